/// Fuzzing every file reader: random bytes and random mutations of valid CSV maps, FITS maps (plain and
/// gzipped), run.json and realisation folders. A reader may accept the input or raise InputError (the clean
/// one-line error of the command line); any other exception — or a non-finite number in what it returns —
/// fails the property.
module SkyMix.PropertyTests.ReaderFuzz

open System
open System.IO
open System.IO.Compression
open System.Text
open FsCheck
open FsCheck.FSharp
open Expecto
open SkyMix.Theory
open SkyMix.Gpu
open SkyMix.Runs
open SkyMix.PropertyTests.Gen

let private scratch = Path.Combine(SkyMix.Tests.Runner.scratch, "fuzz")

/// A valid CSV map of Nside 1.
let private csvMap =
    Encoding.ASCII.GetBytes("ipix,f\n" + String.Join("", [ for p in 0..11 -> $"{p},{Math.Sin(float p) * 1e-3:R}\n" ]))

let private fitsOf (nside: int) =
    let file = Path.Combine(scratch, $"seed{nside}.fits")
    Directory.CreateDirectory scratch |> ignore
    Fits.Write(file, Array.init (12 * nside * nside) (fun p -> cos (float p)))
    File.ReadAllBytes file

let private gzip (b: byte[]) =
    use ms = new MemoryStream()
    (use gz = new GZipStream(ms, CompressionLevel.Fastest)
     gz.Write(b, 0, b.Length))
    ms.ToArray()

/// A small but complete study, its run.json and one realisation folder, written by the real writers.
let private study = lazy (Study.Of(SkyMix.Tests.Settings.study 0.09 20.0 [| 1.0; 10.0 |] 1 1 1UL Defaults.Simulate.stepGyro))

let private runFolder =
    lazy
        (let dir = Path.Combine(scratch, "run")
         RunFolder.Create dir
         let result =
             { Index = 0; Seed = study.Force().SeedOf 0; Times = Seq.toArray (study.Force().TimesReached)
               Cl = [| [| 1.0; 2.0; 0.5 |]; [| 3.0; 1.5; 0.25 |] |]; Noise = [| 0.1; 0.2 |]; NoiseEq7 = [| 0.1; 0.3 |]
               Phi = [| [| 0.1; 0.0; 0.2 |]; [| 0.0; 0.1; 0.3 |] |]; Displacement2 = [| [| 1.0; 1.0; 2.0 |]; [| 3.0; 3.0; 9.0 |] |]
               LocalField = [| 0.1; 0.0; 1.0 |]; CosAlpha = 0.99; Mixing = [||] } : Realization
         RunFolder.WriteRealization(dir, result, null, [||])
         dir)

let private tokens =
    [| "NaN"; "1e999"; "-1e999"; "-"; ","; "\n"; "\r\n"; "\""; "'"; "{"; "}"; "["; "]"; "null"; "true"; "-1"; "0"
       "99999999999999999999"; "1e-400"; "E"; "D"; "="; "END     "; "NESTED"; "1024D"; "2147483647"; "\u0000"; "\u00ff" |]

/// One to four random edits: a byte overwritten, a token spliced in, a range deleted or repeated, a truncation.
let private mutate (seed: byte[]) =
    let edit (b: byte[]) =
        gen {
            let! kind = Gen.choose (0, 5)
            let! at = Gen.choose (0, max 0 (b.Length - 1))
            let! len = Gen.choose (1, 64)
            let! value = Gen.choose (0, 255)
            let! token = Gen.elements tokens
            let cut = min len (b.Length - at)
            return
                match kind with
                | 0 -> (let c = Array.copy b in (if c.Length > 0 then c[at] <- byte value); c)
                | 1 -> Array.concat [ b[.. at - 1]; Encoding.UTF8.GetBytes token; b[at..] ]
                | 2 -> Array.append b[.. at - 1] b[at + cut ..]
                | 3 -> Array.concat [ b[.. at + cut - 1]; b[at .. at + cut - 1]; b[at + cut ..] ]
                | 4 -> b[.. at - 1]
                | _ -> Array.concat [ b[.. at - 1]; Encoding.UTF8.GetBytes token; b[at + cut ..] ]
        }
    gen {
        let! n = Gen.choose (1, 4)
        let mutable b = seed
        for _ in 1..n do
            let! next = edit b
            b <- next
        return b
    }

let private randomBytes = Gen.choose (0, 6000) |> Gen.bind (fun n -> Gen.arrayOfLength n (Gen.choose (0, 255) |> Gen.map byte))

/// Either the reader's value (checked by ok) or InputError; anything else fails with its type and message.
let private cleanOrValid (ok: 'a -> bool) (read: unit -> 'a) =
    try
        ok (read ()) |> Prop.label "accepted, and what it returned is finite"
    with
    | :? InputError -> true |> Prop.classify true "rejected with InputError"
    | e -> false |> Prop.label $"{e.GetType().Name}: {e.Message}"

let private finite (xs: double[]) = xs |> Array.forall Double.IsFinite

let private fileOf name (bytes: byte[]) =
    Directory.CreateDirectory scratch |> ignore
    let f = Path.Combine(scratch, name)
    File.WriteAllBytes(f, bytes)
    f

let private mapReaders =
    [ "MapCsv.Read", (fun (f: string) -> MapCsv.Read f)
      "Fits.Read", (fun f -> Fits.Read f)
      "skymix cl's reader (Fits.Looks, then FITS or CSV)", (fun f -> if Fits.Looks f then Fits.Read f else MapCsv.Read f) ]

/// Rewrites one file of the seed realisation with mutated bytes and reads the realisation and run.json back.
let private readDamagedRun (file: string) (mutated: byte[]) =
    let dir = Path.Combine(scratch, "damaged")
    if Directory.Exists dir then Directory.Delete(dir, true)
    let source = runFolder.Force()
    for f in Directory.GetFiles(source, "*", SearchOption.AllDirectories) do
        let target = Path.Combine(dir, Path.GetRelativePath(source, f))
        Directory.CreateDirectory(Path.GetDirectoryName target) |> ignore
        File.Copy(f, target)
    File.WriteAllBytes(Path.Combine(dir, file), mutated)
    let run = RunJson.Read(Path.Combine(dir, "run.json"))
    let r = RunFolder.ReadRealization(dir, 0, run.Study)
    Array.concat [ r.Times; Array.concat r.Cl; r.Noise; Array.concat r.Phi; r.LocalField; [| r.CosAlpha; run.Study.Settings.Rho |] ]

let tests =
    let fuzz = { config with maxTest = 300 }
    let runJsonSeed () =
        let dir = runFolder.Force()
        RunJson.Write(dir, study.Force(), "fuzz", Execution(Shard.Whole, [||], 1, [| RealizationExecution(0, "cpu (fuzz)", 1, 1, 1.0, 1.0) |]))
        dir
    testSequenced <| testList "file readers under fuzzing (only InputError may escape)" [
        for name, read in mapReaders do
            testPropertyWithConfig fuzz $"{name}: random bytes" (
                Prop.forAll (Arb.fromGen randomBytes) (fun b -> cleanOrValid finite (fun () -> read (fileOf "random.map" b))))
            testPropertyWithConfig fuzz $"{name}: mutations of a valid CSV map" (
                Prop.forAll (Arb.fromGen (mutate csvMap)) (fun b -> cleanOrValid finite (fun () -> read (fileOf "m.csv" b))))
            for label, seed in [ "Nside 1 FITS", lazy (fitsOf 1); "Nside 16 FITS (1024-element rows)", lazy (fitsOf 16)
                                 "gzipped FITS", lazy (gzip (fitsOf 2)) ] do
                testPropertyWithConfig fuzz $"{name}: mutations of a valid {label}" (
                    Prop.forAll (Arb.fromGen (Gen.constant () |> Gen.bind (fun () -> mutate (seed.Force()))))
                        (fun b -> cleanOrValid finite (fun () -> read (fileOf "m.fits" b))))
        for file in [ "run.json"; "realizations/0000/realization.json"; "realizations/0000/cl.csv"
                      "realizations/0000/diffusion.csv"; "realizations/0000/dipole.csv" ] do
            testPropertyWithConfig fuzz $"run folder: mutations of {file}" (
                Prop.forAll (Arb.fromGen (Gen.constant () |> Gen.bind (fun () -> mutate (File.ReadAllBytes(Path.Combine(runJsonSeed (), file))))))
                    (fun b -> cleanOrValid finite (fun () -> readDamagedRun file b)))
            testPropertyWithConfig { fuzz with maxTest = 100 } $"run folder: random bytes as {file}" (
                Prop.forAll (Arb.fromGen randomBytes) (fun b -> cleanOrValid finite (fun () -> readDamagedRun file b)))
        test "the seeds themselves are read back (the fuzzing starts from valid files)" {
            Expect.equal (MapCsv.Read(fileOf "seed.csv" csvMap)).Length 12 "CSV seed"
            Expect.equal (Fits.Read(fileOf "seed.fits" (fitsOf 16))).Length 3072 "FITS seed"
            Expect.equal (Fits.Read(fileOf "seed.fits.gz" (gzip (fitsOf 2)))).Length 48 "gzipped seed"
            let dir = runJsonSeed ()
            Expect.equal (RunFolder.ReadRealization(dir, 0, (RunJson.Read(Path.Combine(dir, "run.json"))).Study)).CosAlpha 0.99 "run folder seed" }
    ]
