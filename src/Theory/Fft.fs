namespace SkyMix.Theory

open System

/// Discrete Fourier transforms of any length for the ring transforms, X_k = Σ_j x_j e^{−2πijk/n}.
///
/// Algorithm: mixed-radix Stockham autosort (decimation in frequency, no bit reversal) with radix-4 and
/// radix-2 butterflies and a plain O(p²) butterfly for other prime factors p.
/// Real sequences of even length n go through one complex transform of n/2 points (even/odd packing,
/// e.g. Press et al., Numerical Recipes §12.3). HEALPix rings have n = 4i, i ≤ Nside.
/// Accuracy: O(ε log n) relative to ‖x‖ (tests compare with the direct sum).
[<RequireQualifiedAccess>]
module Fft =

    /// One Stockham stage: radix p over sub-transforms of length len = p·m at stride s, with the
    /// twiddles ω_len^{j·t} for j < m, t < p (index j·p + t) and the p-th roots of unity.
    type private Stage = { P: int; M: int; S: int; TwRe: float[]; TwIm: float[]; RootRe: float[]; RootIm: float[] }

    /// Plan for real transforms of even length n (holds buffers: one plan per thread).
    type RealPlan =
        private
            { N: int
              Stages: Stage[]
              ScratchRe: float[]
              ScratchIm: float[]
              ZRe: float[]
              ZIm: float[]
              BRe: float[]
              BIm: float[]
              WRe: float[]
              WIm: float[] }

        /// The transform length n.
        member p.Length = p.N

    let private factors (n: int) =
        let rec go n acc =
            if n = 1 then List.rev acc
            elif n % 4 = 0 then go (n / 4) (4 :: acc)
            elif n % 2 = 0 then go (n / 2) (2 :: acc)
            elif n % 3 = 0 then go (n / 3) (3 :: acc)
            elif n % 5 = 0 then go (n / 5) (5 :: acc)
            else
                let mutable p = 7
                while n % p <> 0 do p <- p + 2
                go (n / p) (p :: acc)
        go n []

    let private stages (n: int) =
        let mutable len = n
        let mutable s = 1
        [| for p in factors n do
               let m = len / p
               let angle i = -2.0 * Math.PI * float ((i / p) * (i % p)) / float len
               let root t = -2.0 * Math.PI * float t / float p
               yield { P = p; M = m; S = s
                       TwRe = Array.init (m * p) (angle >> cos)
                       TwIm = Array.init (m * p) (angle >> sin)
                       RootRe = Array.init p (root >> cos)
                       RootIm = Array.init p (root >> sin) }
               len <- m
               s <- s * p |]

    /// One decimation-in-frequency stage (Stockham autosort): for each j < m and q < s,
    /// y[q + s(pj + t)] = ω_len^{jt} Σ_r x[q + s(j + rm)] ω_p^{rt}.
    let private stage (st: Stage) (xr: float[]) (xi: float[]) (yr: float[]) (yi: float[]) (sr: float[]) (si: float[]) =
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
                        for r in 0 .. p - 1 do
                            let k = (r * t) % p
                            accR <- accR + sr.[r] * st.RootRe.[k] - si.[r] * st.RootIm.[k]
                            accI <- accI + sr.[r] * st.RootIm.[k] + si.[r] * st.RootRe.[k]
                        let wr, wi = st.TwRe.[p * j + t], st.TwIm.[p * j + t]
                        yr.[q + s * (p * j + t)] <- accR * wr - accI * wi
                        yi.[q + s * (p * j + t)] <- accR * wi + accI * wr

    /// Complex DFT of (xr, xi) of length h in place, with (yr, yi) as the second buffer.
    let private complexForward (pl: RealPlan) (xr: float[]) (xi: float[]) (yr: float[]) (yi: float[]) =
        let mutable a = struct (xr, xi)
        let mutable b = struct (yr, yi)
        for st in pl.Stages do
            let struct (ar, ai) = a
            let struct (br, bi) = b
            stage st ar ai br bi pl.ScratchRe pl.ScratchIm
            let t = a
            a <- b
            b <- t
        // the result is in a; bring it back into (xr, xi) when the stage count is odd
        let struct (ar, ai) = a
        if not (obj.ReferenceEquals(ar, xr)) then
            Array.blit ar 0 xr 0 xr.Length
            Array.blit ai 0 xi 0 xi.Length

    /// A plan for real transforms of even length n ≥ 2.
    let realPlan (n: int) : RealPlan =
        if n < 2 || n % 2 = 1 then inputError $"real FFT length must be even and ≥ 2, got {n}"
        let h = n / 2
        let st = stages h
        let maxP = st |> Array.fold (fun a l -> max a l.P) 1
        { N = n
          Stages = st
          ScratchRe = Array.zeroCreate maxP
          ScratchIm = Array.zeroCreate maxP
          ZRe = Array.zeroCreate h
          ZIm = Array.zeroCreate h
          BRe = Array.zeroCreate h
          BIm = Array.zeroCreate h
          WRe = Array.init (h + 1) (fun k -> cos (-2.0 * Math.PI * float k / float n))
          WIm = Array.init (h + 1) (fun k -> sin (-2.0 * Math.PI * float k / float n)) }

    /// X_k = Σ_j x[off+j] e^{−2πijk/n} for k = 0 … n/2 into (re, im), from n real values.
    let realForward (pl: RealPlan) (x: float[]) (off: int) (re: Span<float>) (im: Span<float>) =
        let h = pl.N / 2
        let zr, zi = pl.ZRe, pl.ZIm
        // z_t = x_2t + i x_2t+1 transformed as one complex sequence; then split E (even) and O (odd):
        // E_k = (Z_k + conj Z_{h−k})/2, O_k = (Z_k − conj Z_{h−k})/(2i), X_k = E_k + ω_n^k O_k
        for t in 0 .. h - 1 do
            zr.[t] <- x.[off + 2 * t]
            zi.[t] <- x.[off + 2 * t + 1]
        complexForward pl zr zi pl.BRe pl.BIm
        for k in 0 .. h do
            let a, b = k % h, (h - k) % h
            let er, ei = 0.5 * (zr.[a] + zr.[b]), 0.5 * (zi.[a] - zi.[b])
            let orr, oi = 0.5 * (zi.[a] + zi.[b]), -0.5 * (zr.[a] - zr.[b])
            re.[k] <- er + pl.WRe.[k] * orr - pl.WIm.[k] * oi
            im.[k] <- ei + pl.WRe.[k] * oi + pl.WIm.[k] * orr

    /// f[off+j] = Σ_{k=0}^{n−1} G_k e^{+2πijk/n} (real) from the Hermitian half G_k, k = 0 … n/2.
    let realBackward (pl: RealPlan) (re: ReadOnlySpan<float>) (im: ReadOnlySpan<float>) (f: float[]) (off: int) =
        let h = pl.N / 2
        let zr, zi = pl.ZRe, pl.ZIm
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
        complexForward pl zr zi pl.BRe pl.BIm
        for t in 0 .. h - 1 do
            f.[off + 2 * t] <- zr.[t]
            f.[off + 2 * t + 1] <- -zi.[t]
