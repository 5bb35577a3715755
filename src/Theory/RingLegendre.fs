namespace SkyMix.Theory

open System
open System.Buffers
open System.Collections.Concurrent
open System.Runtime.Intrinsics
open System.Threading.Tasks

/// The normalised associated Legendre functions λ_ℓm(θ) = Y_ℓm(θ, 0), walked up in ℓ for many rings at once:
/// the machinery of the ring transforms in Sky (libsharp/ducc0's algorithm, described there). Rings come in
/// north/south pairs (λ_ℓm(π−θ) = (−1)^{ℓ+m} λ_ℓm(θ)), four pairs to a group in the lanes of a Vector256;
/// a walk carries one group's μ_ℓ = λ_ℓ/G_ℓ from ℓ = m, with a 2^600 scale per lane while λ_mm underflows.
module internal RingLegendre =

    type internal V = Vector256<float>

    /// A ring of the map and its mirror image (if any); the transforms work on such pairs.
    type internal Pair = { North: Ring; South: Ring voption }

    let internal pairsOf (rings: Ring[]) =
        let n = rings.Length
        let isMirror (a: Ring) (b: Ring) =
            abs (a.Cos + b.Cos) < 1e-12 && a.NPix = b.NPix && abs (a.Phi0 - b.Phi0) < 1e-12
        [| for i in 0 .. (n - 1) / 2 do
               let j = n - 1 - i
               if i < j && isMirror rings.[i] rings.[j] then yield { North = rings.[i]; South = ValueSome rings.[j] }
               elif i = j then yield { North = rings.[i]; South = ValueNone }
               else
                   yield { North = rings.[i]; South = ValueNone }
                   yield { North = rings.[j]; South = ValueNone } |]

    /// Recurrence coefficients for one m, index i = ℓ − m, in the rescaled form λ_ℓ = G_ℓ μ_ℓ with
    /// μ_ℓ = α_ℓ x μ_{ℓ−1} + μ_{ℓ−2}: G_m = G_{m+1} = 1, G_ℓ = −(a_ℓm/a_{ℓ−1,m}) G_{ℓ−2}, α_ℓ = a_ℓm G_{ℓ−1}/G_ℓ
    /// (|G| stays within 0.1 … 1.2 for ℓmax ≤ 8192).
    type internal MCoeffs = { Alpha: float[]; G: float[] }

    /// One step of the μ recurrence: α x μ1 + μ0. Only the FMA sits on the dependency chain.
    let inline internal next (c: MCoeffs) (i: int) (x: V) (l1: V) (l0: V) =
        Vector256.FusedMultiplyAdd(Vector256.Create(c.Alpha.[i]) * x, l1, l0)

    let internal coefficients (lmax: int) (m: int) =
        let n = lmax - m + 1
        // padded so that the unrolled kernels may read three coefficients past ℓmax
        let alpha = Array.zeroCreate (n + 4)
        let g = Array.create (n + 4) 1.0
        let mutable aPrev = 0.0
        for l in m + 1 .. lmax do
            let i = l - m
            let l2 = float l * float l
            let a = sqrt ((4.0 * l2 - 1.0) / (l2 - float m * float m))
            if i >= 2 then g.[i] <- -(a / aPrev) * g.[i - 2]
            alpha.[i] <- a * g.[i - 1] / g.[i]
            aPrev <- a
        { Alpha = alpha; G = g }

    /// libsharp's m limit of a ring: above it λ_ℓm(θ) is negligible for every ℓ ≤ ℓmax.
    let internal mLimit (lmax: int) (sinTheta: float) =
        float lmax * sinTheta + max 100.0 (0.01 * float lmax)

    /// Four ring pairs processed together (lanes beyond the real pairs are empty: λ ≡ 0); SinMax is the
    /// largest sin θ of its rings (for the m limit).
    type internal Group = { Cos: V; Live: V; Pairs: Pair[]; SinMax: float }

    let internal groupsOf (pairs: Pair[]) =
        pairs
        |> Array.chunkBySize 4
        |> Array.map (fun ps ->
            let cosine k = if k < ps.Length then ps.[k].North.Cos else 0.0
            let live k = if k < ps.Length then 1.0 else 0.0
            { Cos = Vector256.Create(cosine 0, cosine 1, cosine 2, cosine 3)
              Live = Vector256.Create(live 0, live 1, live 2, live 3)
              Pairs = ps
              SinMax = ps |> Array.map (fun p -> p.North.Sin) |> Array.max })

    /// The groups that contribute at this m (index into groups).
    let internal activeGroups (groups: Group[]) (lmax: int) (m: int) =
        [| for gi in 0 .. groups.Length - 1 do
               if float m <= mLimit lmax groups.[gi].SinMax then yield gi |]

    let internal rescaleAbove = Vector256.Create(Math.ScaleB(1.0, 300))
    let internal shrink = Math.ScaleB(1.0, -600)

    /// The λ recurrence of one group for one m: λ_{m+I}, λ_{m+I+1} per lane, a per-lane 2^600 scale
    /// (value · 2^(600·scale), scale ≤ 0) and the mask that is 1 on lanes holding true values.
    type internal Walk =
        { mutable L0: V
          mutable L1: V
          mutable I: int
          Scale: int[]
          mutable Mask: V }

    let internal maskOf (scale: int[]) =
        let inline f k = if scale.[k] = 0 then 1.0 else 0.0
        Vector256.Create(f 0, f 1, f 2, f 3)

    /// λ_mm of every group and m in scaled form (mantissa in [2^-300, 2^300), scale ≤ 0), from the
    /// recurrence λ_mm = −√((2m+1)/(2m)) sin θ λ_{m−1,m−1}, λ_00 = 1/√(4π); index g·(lmax+1) + m.
    type internal Starts = { Mant: V[]; Scale: int[]; Nm: int }

    let internal startsOf (groups: Group[]) (lmax: int) : Starts =
        let ng = groups.Length
        let nm = lmax + 1
        // pooled: a transform's largest tables; releaseStarts hands them back
        let st = { Mant = ArrayPool<V>.Shared.Rent(nm * ng); Scale = ArrayPool<int>.Shared.Rent(4 * nm * ng); Nm = nm }
        Array.Clear(st.Scale, 0, 4 * nm * ng)
        let factor = Array.init (lmax + 1) (fun m -> if m = 0 then 1.0 else -sqrt (float (2 * m + 1) / float (2 * m)))
        Parallel.For(0, ng, fun gi ->
            let g = groups.[gi]
            let mant = Array.init 4 (fun k -> if k < g.Pairs.Length then 1.0 / sqrt (4.0 * Math.PI) else 0.0)
            let scale = Array.zeroCreate 4
            for m in 0 .. lmax do
                for k in 0 .. g.Pairs.Length - 1 do
                    if m > 0 then
                        mant.[k] <- mant.[k] * factor.[m] * g.Pairs.[k].North.Sin
                        if abs mant.[k] < Math.ScaleB(1.0, -300) then
                            mant.[k] <- mant.[k] * Math.ScaleB(1.0, 600)
                            scale.[k] <- scale.[k] - 1
                    st.Scale.[4 * (gi * nm + m) + k] <- scale.[k]
                st.Mant.[gi * nm + m] <- Vector256.Create(mant.[0], mant.[1], mant.[2], mant.[3]))
        |> ignore
        st

    /// Sets w to the start λ_mm, λ_{m+1,m} of group gi.
    let internal restart (w: Walk) (starts: Starts) (m: int) (gi: int) (c: MCoeffs) (g: Group) =
        Array.blit starts.Scale (4 * (gi * starts.Nm + m)) w.Scale 0 4
        w.L0 <- starts.Mant.[gi * starts.Nm + m]
        w.L1 <- w.L0 * g.Cos * Vector256.Create(c.Alpha.[1])
        w.I <- 0
        w.Mask <- maskOf w.Scale

    let internal blankWalk () = { L0 = V.Zero; L1 = V.Zero; I = 0; Scale = Array.zeroCreate 4; Mask = V.Zero }

    let internal releaseStarts (st: Starts) =
        ArrayPool<V>.Shared.Return st.Mant
        ArrayPool<int>.Shared.Return st.Scale

    let internal start (starts: Starts) (m: int) (gi: int) (c: MCoeffs) (g: Group) : Walk =
        let w = blankWalk ()
        restart w starts m gi c g
        w

    /// One step ℓ → ℓ+1 of the walk (coefficients are padded, so the last steps are harmless).
    let inline internal step (c: MCoeffs) (x: V) (w: Walk) =
        let i = w.I
        let l2 = next c (i + 2) x w.L1 w.L0
        w.L0 <- w.L1
        w.L1 <- l2
        w.I <- i + 1

    /// Rescales lanes whose scaled values passed 2^300 (only while some lane is still scaled).
    let internal rescale (w: Walk) =
        let big = Vector256.GreaterThan(Vector256.Abs w.L0, rescaleAbove).ExtractMostSignificantBits()
        if big <> 0u then
            let f k =
                if (big >>> k) &&& 1u = 1u && w.Scale.[k] < 0 then
                    w.Scale.[k] <- w.Scale.[k] + 1
                    shrink
                else 1.0
            let fv = Vector256.Create(f 0, f 1, f 2, f 3)
            w.L0 <- w.L0 * fv
            w.L1 <- w.L1 * fv
            w.Mask <- maskOf w.Scale

    /// Walks the scaled start region: first, while every live lane is still below range, the bare
    /// recurrence (scales checked every 8 steps: one step grows λ by at most √(2m+3) < 2^7, far inside
    /// the 2^700 headroom); then, while some lane is scaled, handing each masked λ_{m+I} to visit.
    let inline internal walkScaled (c: MCoeffs) (g: Group) (n: int) (w: Walk) ([<InlineIfLambda>] visit: int -> V -> unit) =
        while w.I < n && w.Mask * g.Live = V.Zero do
            rescale w
            let mutable l0, l1, i = w.L0, w.L1, w.I
            let stop = min n (i + 8)
            while i < stop do
                let l2 = next c (i + 2) g.Cos l1 l0
                l0 <- l1
                l1 <- l2
                i <- i + 1
            w.L0 <- l0
            w.L1 <- l1
            w.I <- i
        while w.I < n && w.Mask <> V.One do
            rescale w
            visit w.I (w.L0 * w.Mask)
            step c g.Cos w

    let internal parallelOverM (lmax: int) (body: int -> unit) =
        // heaviest m first, one m per work item, so both cores stay busy to the end
        Parallel.ForEach(
            Partitioner.Create([| 0 .. lmax |], EnumerablePartitionerOptions.NoBuffering),
            (fun m -> body m))
        |> ignore

    let inline internal fma (a: V) (b: V) (acc: V) = Vector256.FusedMultiplyAdd(a, b, acc)

    /// One step of four walks side by side: α_{m+i} x μ1 + μ0 for the four groups' x and (μ1, μ0).
    let inline internal advance4 (c: MCoeffs) (i: int) (struct (xa: V, xb: V, xc: V, xd: V)) (struct (a1: V, b1: V, c1: V, d1: V)) (struct (a0: V, b0: V, c0: V, d0: V)) =
        let alpha = Vector256.Create(c.Alpha.[i])
        struct (fma (alpha * xa) a1 a0, fma (alpha * xb) b1 b0, fma (alpha * xc) c1 c0, fma (alpha * xd) d1 d0)

    /// The walks of one m over the active groups: in blocks of four through `quad`, after `single` has
    /// taken each walk out of its scaled start region and up to a common even ℓ − m (usually every lane
    /// starts in range and the block goes to `quad` at once); groups left over one by one through
    /// `single`. `finish slot gi` follows each group's walk (slot: its place in the block).
    let inline internal forBlocks (starts: Starts) (groups: Group[]) (active: int[]) (m: int) (c: MCoeffs) (n: int)
                                 ([<InlineIfLambda>] single: int -> int -> Walk -> int -> unit)
                                 ([<InlineIfLambda>] quad: int[] -> Walk[] -> unit)
                                 ([<InlineIfLambda>] finish: int -> int -> unit) =
        let ws = Array.init 4 (fun _ -> blankWalk ())
        let gs = Array.zeroCreate 4
        let mutable b = 0
        while b < active.Length do
            if b + 3 < active.Length then
                for j in 0 .. 3 do
                    gs.[j] <- active.[b + j]
                    restart ws.[j] starts m gs.[j] c groups.[gs.[j]]
                if ws |> Array.exists (fun w -> w.Mask <> V.One) then
                    for j in 0 .. 3 do single j gs.[j] ws.[j] 0
                    let top = ws |> Array.map (fun w -> w.I) |> Array.max
                    for j in 0 .. 3 do single j gs.[j] ws.[j] (min n (top + top % 2))
                quad gs ws
                for j in 0 .. 3 do finish j gs.[j]
                b <- b + 4
            else
                let gi = active.[b]
                restart ws.[0] starts m gi c groups.[gi]
                single 0 gi ws.[0] n
                finish 0 gi
                b <- b + 1
