namespace SkyMix.Theory

open System
open System.Buffers
open System.Collections.Generic

/// Discrete Fourier transforms of any length for the ring transforms, X_k = Σ_j x_j e^{−2πijk/n}.
///
/// Algorithm: mixed-radix Stockham autosort (decimation in frequency, no bit reversal) with radix-4 and
/// radix-2 butterflies and a plain O(p) butterfly per point for other prime factors p; lengths whose
/// prime factors make that dearer than two power-of-two transforms (the kernel's transform is made once,
/// with the plan) go through Bluestein's chirp-z convolution instead (HEALPix polar rings have n = 4i with i prime as often as not).
/// Real sequences of even length n go through one complex transform of n/2 points (even/odd packing,
/// e.g. Press et al., Numerical Recipes §12.3). Plans are immutable and may be shared between threads;
/// scratch space comes from the shared array pool.
/// Accuracy: O(ε log n) relative to ‖x‖ (tests compare with the direct sum).
[<RequireQualifiedAccess>]
module Fft =

    /// One Stockham stage: radix p over sub-transforms of length len = p·m at stride s, with the
    /// twiddles ω_len^{j·t} for j < m, t < p (index j·p + t) and the p-th roots of unity.
    type private Stage = { P: int; M: int; S: int; TwRe: float[]; TwIm: float[]; RootRe: float[]; RootIm: float[] }

    /// Bluestein: X_k = c_k Σ_j (z_j c_j) conj(c_{k−j}), c_j = e^{−iπj²/h}, as a cyclic convolution of
    /// power-of-two length L ≥ 2h − 1 whose kernel's transform (divided by L) is stored.
    type private Chirp = { L: int; Inner: Stage[]; CRe: float[]; CIm: float[]; KRe: float[]; KIm: float[] }

    type private Complex =
        | Stockham of Stage[]
        | Bluestein of Chirp

    /// Plan for real transforms of even length n (immutable; share it between threads).
    type RealPlan =
        private
            { N: int
              Transform: Complex
              WRe: float[]
              WIm: float[] }

        /// The transform length n.
        member p.Length = p.N

    let private factors (n: int) =
        let rec go n acc =
            if n = 1 then List.rev acc
            elif n % 4 = 0 then go (n / 4) (4 :: acc)
            elif n % 2 = 0 then go (n / 2) (2 :: acc)
            else
                let mutable p = 3
                while n % p <> 0 do p <- p + 2
                go (n / p) (p :: acc)
        go n []

    /// ω_n^k = e^{−2πik/n} for k = 0 … n−1: cos/sin of the first eighth (n = 4q) or half, the rest by
    /// the exact symmetries ω^{q−k} = −i conj ω^k, ω^{n/2−k} = −conj ω^k and ω^{n−k} = conj ω^k.
    let private roots (n: int) =
        let re, im = Array.zeroCreate n, Array.zeroCreate n
        let direct k =
            let a = -2.0 * Math.PI * float k / float n
            re.[k] <- cos a
            im.[k] <- sin a
        if n % 4 = 0 then
            let q = n / 4
            for k in 0 .. q / 2 do direct k
            for k in q / 2 + 1 .. q do
                re.[k] <- -im.[q - k]
                im.[k] <- -re.[q - k]
            for k in q + 1 .. 2 * q do
                re.[k] <- -re.[2 * q - k]
                im.[k] <- im.[2 * q - k]
        else
            for k in 0 .. n / 2 do direct k
        for k in n / 2 + 1 .. n - 1 do
            re.[k] <- re.[n - k]
            im.[k] <- -im.[n - k]
        re, im

    /// Stockham stages of length n, with the roots read from a table of ω_{n0}^k, n0 a multiple of n.
    let private stagesFrom (wr: float[], wi: float[]) (n: int) =
        let step = wr.Length / n
        let wr, wi = (fun k -> wr.[k * step]), (fun k -> wi.[k * step])
        let mutable len = n
        let mutable s = 1
        [| for p in factors n do
               let m = len / p
               // ω_len^{jt} = ω_n^{jt·s}, jt < len
               let tw i = (i / p) * (i % p) * s
               let root t = t * (n / p)
               yield { P = p; M = m; S = s
                       TwRe = Array.init (m * p) (tw >> wr)
                       TwIm = Array.init (m * p) (tw >> wi)
                       RootRe = Array.init p (root >> wr)
                       RootIm = Array.init p (root >> wi) }
               len <- m
               s <- s * p |]

    let private stages (n: int) = stagesFrom (roots n) n

    /// One decimation-in-frequency stage (Stockham autosort): for each j < m and q < s,
    /// y[q + s(pj + t)] = ω_len^{jt} Σ_r x[q + s(j + rm)] ω_p^{rt}.
    let private stage (st: Stage) (xr: float[]) (xi: float[]) (yr: float[]) (yi: float[]) (sr: Span<float>) (si: Span<float>) =
        let p, m, s = st.P, st.M, st.S
        match p with
        | 4 ->
            for j in 0 .. m - 1 do
                let w1r, w1i = st.TwRe.[4 * j + 1], st.TwIm.[4 * j + 1]
                let w2r, w2i = st.TwRe.[4 * j + 2], st.TwIm.[4 * j + 2]
                let w3r, w3i = st.TwRe.[4 * j + 3], st.TwIm.[4 * j + 3]
                let i0, i1, i2, i3 = s * j, s * (j + m), s * (j + 2 * m), s * (j + 3 * m)
                let o = s * 4 * j
                for q in 0 .. s - 1 do
                    let t0r, t0i = xr.[i0 + q] + xr.[i2 + q], xi.[i0 + q] + xi.[i2 + q]
                    let t1r, t1i = xr.[i0 + q] - xr.[i2 + q], xi.[i0 + q] - xi.[i2 + q]
                    let t2r, t2i = xr.[i1 + q] + xr.[i3 + q], xi.[i1 + q] + xi.[i3 + q]
                    let t3r, t3i = xr.[i1 + q] - xr.[i3 + q], xi.[i1 + q] - xi.[i3 + q]
                    yr.[o + q] <- t0r + t2r
                    yi.[o + q] <- t0i + t2i
                    let ar, ai = t1r + t3i, t1i - t3r // t1 − i t3
                    yr.[o + s + q] <- ar * w1r - ai * w1i
                    yi.[o + s + q] <- ar * w1i + ai * w1r
                    let br, bi = t0r - t2r, t0i - t2i
                    yr.[o + 2 * s + q] <- br * w2r - bi * w2i
                    yi.[o + 2 * s + q] <- br * w2i + bi * w2r
                    let cr, ci = t1r - t3i, t1i + t3r // t1 + i t3
                    yr.[o + 3 * s + q] <- cr * w3r - ci * w3i
                    yi.[o + 3 * s + q] <- cr * w3i + ci * w3r
        | 2 ->
            for j in 0 .. m - 1 do
                let wr, wi = st.TwRe.[2 * j + 1], st.TwIm.[2 * j + 1]
                let i0, i1 = s * j, s * (j + m)
                let o = s * 2 * j
                for q in 0 .. s - 1 do
                    let ar, ai = xr.[i0 + q], xi.[i0 + q]
                    let br, bi = xr.[i1 + q], xi.[i1 + q]
                    yr.[o + q] <- ar + br
                    yi.[o + q] <- ai + bi
                    let dr, di = ar - br, ai - bi
                    yr.[o + s + q] <- dr * wr - di * wi
                    yi.[o + s + q] <- dr * wi + di * wr
        | _ ->
            for j in 0 .. m - 1 do
                for q in 0 .. s - 1 do
                    for r in 0 .. p - 1 do
                        sr.[r] <- xr.[q + s * (j + r * m)]
                        si.[r] <- xi.[q + s * (j + r * m)]
                    for t in 0 .. p - 1 do
                        let mutable accR = 0.0
                        let mutable accI = 0.0
                        let mutable k = 0 // r·t mod p
                        for r in 0 .. p - 1 do
                            accR <- accR + sr.[r] * st.RootRe.[k] - si.[r] * st.RootIm.[k]
                            accI <- accI + sr.[r] * st.RootIm.[k] + si.[r] * st.RootRe.[k]
                            k <- k + t
                            if k >= p then k <- k - p
                        let wr, wi = st.TwRe.[p * j + t], st.TwIm.[p * j + t]
                        yr.[q + s * (p * j + t)] <- accR * wr - accI * wi
                        yi.[q + s * (p * j + t)] <- accR * wi + accI * wr

    /// Complex DFT of the first n entries of (xr, xi) in place, with (yr, yi) as the second buffer.
    let private stockham (sts: Stage[]) (n: int) (xr: float[]) (xi: float[]) (yr: float[]) (yi: float[]) =
        // scratch for the generic butterflies only
        let maxP = sts |> Array.fold (fun a st -> if st.P = 2 || st.P = 4 then a else max a st.P) 0
        let sr = if maxP > 0 then Span(Array.zeroCreate maxP) else Span.Empty
        let si = if maxP > 0 then Span(Array.zeroCreate maxP) else Span.Empty
        let mutable a = struct (xr, xi)
        let mutable b = struct (yr, yi)
        for st in sts do
            let struct (ar, ai) = a
            let struct (br, bi) = b
            stage st ar ai br bi sr si
            let t = a
            a <- b
            b <- t
        // the result is in a; bring it back into (xr, xi) when the stage count is odd
        let struct (ar, ai) = a
        if not (obj.ReferenceEquals(ar, xr)) then
            Array.blit ar 0 xr 0 n
            Array.blit ai 0 xi 0 n

    /// Relative cost of a Stockham transform of length n: n per level, p/2 per level for a generic radix p.
    let private stockhamCost (n: int) =
        factors n |> List.sumBy (fun p -> if p <= 4 then float n else float n * float p / 2.0)

    /// The power-of-two length of Bluestein's convolution for a complex length h.
    let private chirpLength (h: int) =
        let mutable l = 1
        while l < 2 * h - 1 do l <- 2 * l
        l

    /// Whether Bluestein beats the direct Stockham transform for a complex length h.
    let private needsChirp (h: int) =
        let l = chirpLength h
        stockhamCost h > 2.0 * stockhamCost l + 4.0 * float l

    /// Bluestein's tables for complex length h from the roots ω_{2h}^k.
    let private chirp (inner: Stage[]) (wr: float[], wi: float[]) (h: int) : Chirp =
        let l = chirpLength h
        // c_j = e^{−iπj²/h} = ω_{2h}^{j² mod 2h}, the exponent reduced exactly
        let index j = int ((int64 j * int64 j) % (2L * int64 h))
        let cRe = Array.init h (fun j -> wr.[index j])
        let cIm = Array.init h (fun j -> wi.[index j])
        let kRe, kIm = Array.zeroCreate l, Array.zeroCreate l
        for j in 0 .. h - 1 do
            kRe.[j] <- cRe.[j] / float l
            kIm.[j] <- -cIm.[j] / float l
            if j > 0 then
                kRe.[l - j] <- kRe.[j]
                kIm.[l - j] <- kIm.[j]
        stockham inner l kRe kIm (Array.zeroCreate l) (Array.zeroCreate l)
        { L = l; Inner = inner; CRe = cRe; CIm = cIm; KRe = kRe; KIm = kIm }

    /// Complex DFT of the first h entries of (xr, xi) in place.
    let private complexForward (t: Complex) (h: int) (xr: float[]) (xi: float[]) =
        let pool = ArrayPool<float>.Shared
        match t with
        | Stockham sts ->
            let yr, yi = pool.Rent h, pool.Rent h
            stockham sts h xr xi yr yi
            pool.Return yr
            pool.Return yi
        | Bluestein c ->
            let l = c.L
            let ar, ai, yr, yi = pool.Rent l, pool.Rent l, pool.Rent l, pool.Rent l
            for j in 0 .. h - 1 do
                ar.[j] <- xr.[j] * c.CRe.[j] - xi.[j] * c.CIm.[j]
                ai.[j] <- xr.[j] * c.CIm.[j] + xi.[j] * c.CRe.[j]
            Array.Clear(ar, h, l - h)
            Array.Clear(ai, h, l - h)
            stockham c.Inner l ar ai yr yi
            // multiply by the kernel's transform; the inverse transform as conj ∘ DFT ∘ conj
            for k in 0 .. l - 1 do
                let r = ar.[k] * c.KRe.[k] - ai.[k] * c.KIm.[k]
                let i = ar.[k] * c.KIm.[k] + ai.[k] * c.KRe.[k]
                ar.[k] <- r
                ai.[k] <- -i
            stockham c.Inner l ar ai yr yi
            for k in 0 .. h - 1 do
                let r, i = ar.[k], -ai.[k]
                xr.[k] <- r * c.CRe.[k] - i * c.CIm.[k]
                xi.[k] <- r * c.CIm.[k] + i * c.CRe.[k]
            for a in [| ar; ai; yr; yi |] do pool.Return a

    /// A real plan of length n, with the power-of-two stages of Bluestein's convolution from inner.
    let private build (inner: int -> Stage[]) (n: int) : RealPlan =
        if n < 2 || n % 2 = 1 then inputError $"real FFT length must be even and ≥ 2, got {n}"
        let h = n / 2
        let wr, wi = roots n
        let transform =
            if needsChirp h then Bluestein (chirp (inner (chirpLength h)) (wr, wi) h) else Stockham (stagesFrom (wr, wi) h)
        { N = n
          Transform = transform
          WRe = Array.sub wr 0 (h + 1)
          WIm = Array.sub wi 0 (h + 1) }

    /// A plan for real transforms of even length n ≥ 2.
    let realPlan (n: int) : RealPlan = build stages n

    /// Plans for several lengths at once, built in parallel; Bluestein lengths share their inner stages.
    let realPlans (lengths: int[]) : RealPlan[] =
        let inner =
            lengths
            |> Array.filter (fun n -> n >= 2 && n % 2 = 0 && needsChirp (n / 2))
            |> Array.map (fun n -> chirpLength (n / 2))
            |> Array.distinct
            |> Array.map (fun l -> KeyValuePair(l, stages l))
            |> Dictionary
        lengths |> Array.Parallel.map (build (fun l -> inner.[l]))

    /// X_k = Σ_j x[off+j] e^{−2πijk/n} for k = 0 … n/2 into (re, im), from n real values.
    let realForward (pl: RealPlan) (x: float[]) (off: int) (re: Span<float>) (im: Span<float>) =
        let h = pl.N / 2
        let pool = ArrayPool<float>.Shared
        let zr, zi = pool.Rent h, pool.Rent h
        // z_t = x_2t + i x_2t+1 transformed as one complex sequence; then split E (even) and O (odd):
        // E_k = (Z_k + conj Z_{h−k})/2, O_k = (Z_k − conj Z_{h−k})/(2i), X_k = E_k + ω_n^k O_k
        for t in 0 .. h - 1 do
            zr.[t] <- x.[off + 2 * t]
            zi.[t] <- x.[off + 2 * t + 1]
        complexForward pl.Transform h zr zi
        for k in 0 .. h do
            let a = if k = h then 0 else k
            let b = if k = 0 then 0 else h - k
            let er, ei = 0.5 * (zr.[a] + zr.[b]), 0.5 * (zi.[a] - zi.[b])
            let orr, oi = 0.5 * (zi.[a] + zi.[b]), -0.5 * (zr.[a] - zr.[b])
            re.[k] <- er + pl.WRe.[k] * orr - pl.WIm.[k] * oi
            im.[k] <- ei + pl.WRe.[k] * oi + pl.WIm.[k] * orr
        pool.Return zr
        pool.Return zi

    /// f[off+j] = Σ_{k=0}^{n−1} G_k e^{+2πijk/n} (real) from the Hermitian half G_k, k = 0 … n/2.
    let realBackward (pl: RealPlan) (re: ReadOnlySpan<float>) (im: ReadOnlySpan<float>) (f: float[]) (off: int) =
        let h = pl.N / 2
        let pool = ArrayPool<float>.Shared
        let zr, zi = pool.Rent h, pool.Rent h
        // E_k = (G_k + G_{k+h})/2, O_k = (G_k − G_{k+h}) ω_n^{−k}/2 with G_{k+h} = conj G_{h−k};
        // f_2t + i f_2t+1 = 2 Σ_k (E_k + i O_k) e^{+2πitk/h}, done as conj(DFT(conj(E + iO)))
        for k in 0 .. h - 1 do
            let gr, gi = re.[k], im.[k]
            let hr, hi = re.[h - k], -im.[h - k]
            let er, ei = 0.5 * (gr + hr), 0.5 * (gi + hi)
            let dr, di = 0.5 * (gr - hr), 0.5 * (gi - hi)
            // ω_n^{−k} = conj(W_k)
            let orr = dr * pl.WRe.[k] + di * pl.WIm.[k]
            let oi = di * pl.WRe.[k] - dr * pl.WIm.[k]
            // store conj(E + iO) = (er − oi) − i(ei + orr)
            zr.[k] <- 2.0 * (er - oi)
            zi.[k] <- -2.0 * (ei + orr)
        complexForward pl.Transform h zr zi
        for t in 0 .. h - 1 do
            f.[off + 2 * t] <- zr.[t]
            f.[off + 2 * t + 1] <- -zi.[t]
        pool.Return zr
        pool.Return zi
