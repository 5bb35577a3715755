/// A small PNG reader for checking figures (8-bit RGB or RGBA, not interlaced — what ScottPlot writes):
/// the size and the pixels, so that a test can tell a drawn figure from a blank one.
module SkyMix.Tests.Png

open System
open System.IO
open System.IO.Compression

/// Width, height and the pixels as (r, g, b) per row; fails on anything but 8-bit RGB(A), non-interlaced.
let read (file: string) =
    let b = File.ReadAllBytes file
    if b.[0..7] <> [| 137uy; 80uy; 78uy; 71uy; 13uy; 10uy; 26uy; 10uy |] then failwith $"{file}: not a PNG"
    let be (i: int) = (int b.[i] <<< 24) ||| (int b.[i + 1] <<< 16) ||| (int b.[i + 2] <<< 8) ||| int b.[i + 3]
    let width, height = be 16, be 20
    let depth, colour, interlace = b.[24], b.[25], b.[28]
    if depth <> 8uy || (colour <> 2uy && colour <> 6uy) || interlace <> 0uy then failwith $"{file}: not 8-bit RGB(A) non-interlaced"
    let channels = if colour = 6uy then 4 else 3
    // concatenate the IDAT chunks and inflate them
    use idat = new MemoryStream()
    let mutable pos = 8
    while pos < b.Length do
        let length = be pos
        let kind = Text.Encoding.ASCII.GetString(b, pos + 4, 4)
        if kind = "IDAT" then idat.Write(b, pos + 8, length)
        pos <- pos + 12 + length
    idat.Position <- 0L
    use z = new ZLibStream(idat, CompressionMode.Decompress)
    use raw = new MemoryStream()
    z.CopyTo raw
    let data = raw.ToArray()
    let stride = width * channels
    let rows = Array.init height (fun _ -> Array.zeroCreate<byte> stride)
    for y in 0 .. height - 1 do
        let filter = data.[y * (stride + 1)]
        let line = rows.[y]
        for x in 0 .. stride - 1 do
            let v = int data.[y * (stride + 1) + 1 + x]
            let a = if x >= channels then int line.[x - channels] else 0
            let up = if y > 0 then int rows.[y - 1].[x] else 0
            let c = if x >= channels && y > 0 then int rows.[y - 1].[x - channels] else 0
            let predicted =
                match filter with
                | 0uy -> 0
                | 1uy -> a
                | 2uy -> up
                | 3uy -> (a + up) / 2
                | _ ->
                    let p = a + up - c
                    let pa, pb, pc = abs (p - a), abs (p - up), abs (p - c)
                    if pa <= pb && pa <= pc then a elif pb <= pc then up else c
            line.[x] <- byte ((v + predicted) &&& 0xff)
    width, height, (fun x y -> let r = rows.[y] in struct (r.[x * channels], r.[x * channels + 1], r.[x * channels + 2]))

/// Size, the share of pixels that differ from the top-left one (the background), and the share of saturated
/// pixels (max − min channel > 60): data curves, points and maps are drawn in colour, axes and text in grey.
let ink (file: string) =
    let w, h, pixel = read file
    let background = pixel 0 0
    let mutable other, coloured = 0, 0
    for y in 0 .. h - 1 do
        for x in 0 .. w - 1 do
            let struct (r, g, b) as p = pixel x y
            if p <> background then other <- other + 1
            if int (max r (max g b)) - int (min r (min g b)) > 60 then coloured <- coloured + 1
    w, h, float other / float (w * h), float coloured / float (w * h)
