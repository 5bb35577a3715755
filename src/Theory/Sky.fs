namespace SkyMix.Theory

open System
open System.Buffers
open System.Collections.Generic
open System.Runtime.InteropServices
open System.Runtime.Intrinsics
open System.Threading.Tasks

/// Spherical-harmonic coefficients a_ℓm, m ≥ 0, stored as healpy does: index(ℓ, m) = m(2ℓmax+1−m)/2 + ℓ.
type Alm =
    { Lmax: int
      Re: float[]
      Im: float[] }

    static member Index(lmax: int, l: int, m: int) = m * (2 * lmax + 1 - m) / 2 + l
    static member Size(lmax: int) = (lmax + 1) * (lmax + 2) / 2
    static member Zero(lmax: int) =
        { Lmax = lmax; Re = Array.zeroCreate (Alm.Size lmax); Im = Array.zeroCreate (Alm.Size lmax) }

/// Spherical-harmonic transforms on iso-latitude rings (map ↔ a_ℓm), angular power spectra and dipoles.
///
/// Algorithm (as libsharp/ducc0): one real FFT per ring gives its Fourier phases F_m; then, for each m,
/// the normalised associated Legendre functions λ_ℓm(θ) = Y_ℓm(θ, 0) are run up in ℓ by
///   λ_ℓm = a_ℓm (cos θ λ_{ℓ−1,m} − λ_{ℓ−2,m}/a_{ℓ−1,m}),  a_ℓm = √((4ℓ²−1)/(ℓ²−m²)),
/// carried in the rescaled form λ_ℓm = G_ℓ μ_ℓ, μ_ℓ = α_ℓ cos θ μ_{ℓ−1} + μ_{ℓ−2} (one multiplication and
/// one FMA a step), for sixteen north/south ring pairs at once in four Vector256
/// (λ_ℓm(π−θ) = (−1)^{ℓ+m} λ_ℓm(θ)). Rings with m > ℓmax sin θ + max(100, ℓmax/100) are skipped: there
/// every λ_ℓm with ℓ ≤ ℓmax lies deep in its evanescent tail (libsharp's m limit). Where
/// λ_mm = (−1)^m √((2m+1)/4π ∏(2k−1)/(2k)) sin^m θ underflows, each lane carries a 2^600 scale until
/// the value grows into range. Cost O(N_rings ℓmax²) ∝ Npix^{3/2}; the m values are spread over all
/// cores. map2alm with pixel weight w gives a_ℓm = w Σ_p f_p Y*_ℓm(p), which is healpy's anafast with
/// iter = 0 for w = 4π/Npix; map2almIter adds healpy's Jacobi steps a += map2alm(f − alm2map(a)).
/// Accuracy: agrees with healpy 1.16.1 to ~1e-13 relative on C_ℓ (tests, Nside 4 … 128).
[<RequireQualifiedAccess>]
module Sky =

    open RingLegendre

    type private V = Vector256<float>

    /// λ_ℓm(θ) = Y_ℓm(θ, 0) for 0 ≤ m ≤ ℓ ≤ lmax at one colatitude, in Alm order (index(ℓ, m)).
    let lambdas (lmax: int) (theta: float) : float[] =
        let ring = { Cos = cos theta; Sin = sin theta; NPix = 1; Phi0 = 0.0; FirstPix = 0L }
        let groups = groupsOf [| { North = ring; South = ValueNone } |]
        let group = groups.[0]
        let starts = startsOf groups lmax
        let res = Array.zeroCreate (Alm.Size lmax)
        for m in 0 .. lmax do
            let n = lmax - m + 1
            let c = coefficients lmax m
            let w = start starts m 0 c group
            let baseIdx = Alm.Index(lmax, m, m)
            walkScaled c group n w (fun i v -> res.[baseIdx + i] <- c.G.[i] * v.GetElement 0)
            while w.I < n do
                res.[baseIdx + w.I] <- c.G.[w.I] * w.L0.GetElement 0
                step c group.Cos w
        releaseStarts starts
        res

    /// One FFT plan per distinct ring length, built in parallel and shared by all threads.
    let private plansOf (rings: Ring[]) : IReadOnlyDictionary<int, Fft.RealPlan> =
        let lengths = rings |> Array.map (fun r -> r.NPix) |> Array.distinct
        Dictionary(Array.map2 (fun n p -> KeyValuePair(n, p)) lengths (Fft.realPlans lengths))

    /// e^{−imφ0}, m = 0 … lmax, by complex recurrence re-seeded exactly every 32 steps.
    let private rotation (phi0: float) (lmax: int) (re: float[]) (im: float[]) =
        let c1, s1 = cos phi0, -sin phi0
        for m in 0 .. lmax do
            if m % 32 = 0 then
                re.[m] <- cos (float m * phi0)
                im.[m] <- -sin (float m * phi0)
            else
                re.[m] <- re.[m - 1] * c1 - im.[m - 1] * s1
                im.[m] <- re.[m - 1] * s1 + im.[m - 1] * c1

    /// Fourier phases of one ring, F_m = Σ_j f_j e^{−imφ_j} for m = 0 … lmax (aliased beyond n/2), into
    /// re.[4m + lane], im.[4m + lane]; (rr, ri) = e^{−imφ0} of the ring.
    let private ringPhases (plans: IReadOnlyDictionary<int, Fft.RealPlan>) (map: float[]) (r: Ring) (lmax: int)
                           (rr: float[]) (ri: float[]) (lane: int) (re: Span<float>) (im: Span<float>) =
        let n = r.NPix
        let h = n / 2
        let pool = ArrayPool<float>.Shared
        let xr, xi = pool.Rent(h + 1), pool.Rent(h + 1)
        Fft.realForward plans.[n] map (int r.FirstPix) (Span xr) (Span xi)
        // m ≤ n/2 read the half spectrum directly; above, m mod n and the mirror image
        for m in 0 .. min lmax h do
            re.[4 * m + lane] <- xr.[m] * rr.[m] - xi.[m] * ri.[m]
            im.[4 * m + lane] <- xr.[m] * ri.[m] + xi.[m] * rr.[m]
        for m in h + 1 .. lmax do
            let k = m % n
            let fr = if k <= h then xr.[k] else xr.[n - k]
            let fi = if k <= h then xi.[k] else -xi.[n - k]
            re.[4 * m + lane] <- fr * rr.[m] - fi * ri.[m]
            im.[4 * m + lane] <- fr * ri.[m] + fi * rr.[m]
        pool.Return xr
        pool.Return xi

    /// Synthesis of one ring: f_j = Σ_{m=−lmax}^{lmax} F_m e^{imφ_j} (F_{−m} = conj F_m) into map, with
    /// F_m = fRe.[4m + lane] + i fIm.[4m + lane]; (rr, ri) = e^{−imφ0} of the ring.
    let private ringSynthesis (plans: IReadOnlyDictionary<int, Fft.RealPlan>) (map: float[]) (r: Ring) (lmax: int)
                              (rr: float[]) (ri: float[]) (lane: int) (fRe: Span<float>) (fIm: Span<float>) =
        let n = r.NPix
        let h = n / 2
        let pool = ArrayPool<float>.Shared
        let gr, gi = pool.Rent(h + 1), pool.Rent(h + 1)
        Array.Clear(gr, 0, h + 1)
        Array.Clear(gi, 0, h + 1)
        // F_m e^{imφ0} goes to bin m mod n and its conjugate (F_{−m}) to bin −m mod n; the half
        // spectrum k ≤ n/2 keeps the contributions that land there (the rest are their mirror images)
        let inline put k (vr: float) (vi: float) =
            if k <= h then
                gr.[k] <- gr.[k] + vr
                gi.[k] <- gi.[k] + vi
        for m in 0 .. lmax do
            let fr, fi = fRe.[4 * m + lane], fIm.[4 * m + lane]
            let vr = fr * rr.[m] + fi * ri.[m] // F_m · conj(e^{−imφ0})
            let vi = fi * rr.[m] - fr * ri.[m]
            let k = m % n
            if m = 0 then gr.[0] <- gr.[0] + vr
            else
                put k vr vi
                put ((n - k) % n) vr (-vi)
        gi.[0] <- 0.0
        gi.[h] <- 0.0
        Fft.realBackward plans.[n] (ReadOnlySpan(gr, 0, h + 1)) (ReadOnlySpan(gi, 0, h + 1)) map (int r.FirstPix)
        pool.Return gr
        pool.Return gi

    /// Phases per (group, m), index g·(lmax+1) + m, for the even (north + south) and odd (north − south) ℓ−m.
    type private Phases = { ERe: V[]; EIm: V[]; ORe: V[]; OIm: V[] }

    /// Group gi's block of nm vectors as 4·nm doubles (index 4m + lane).
    let private lanes (a: V[]) (gi: int) (nm: int) : Span<float> = MemoryMarshal.Cast<V, float>(Span(a, gi * nm, nm))

    let private phasesOf (groups: Group[]) (weight: float) (map: float[]) (lmax: int) : Phases =
        let ng = groups.Length
        let nm = lmax + 1
        // pooled (every entry is written below); releasePhases hands them back
        let rent () = ArrayPool<V>.Shared.Rent(nm * ng)
        let ph = { ERe = rent (); EIm = rent (); ORe = rent (); OIm = rent () }
        let plans = plansOf (groups |> Array.collect (fun g -> g.Pairs |> Array.map (fun p -> p.North)))
        Parallel.For(0, ng, fun gi ->
            // the north phases go into the E slots and the south ones into the O slots, lane by lane; then
            // E = w(N + S), O = w(N − S) in place. Lanes without a ring (or a south ring) stay zero, so
            // the equator enters both parities.
            let pairs = groups.[gi].Pairs
            if pairs.Length < 4 || pairs |> Array.exists (fun p -> p.South.IsNone) then
                for a in [| ph.ERe; ph.EIm; ph.ORe; ph.OIm |] do Array.Clear(a, gi * nm, nm)
            let pool = ArrayPool<float>.Shared
            let rr, ri = pool.Rent(lmax + 1), pool.Rent(lmax + 1)
            pairs |> Array.iteri (fun lane p ->
                // mirror rings share φ0 and so the rotation
                rotation p.North.Phi0 lmax rr ri
                ringPhases plans map p.North lmax rr ri lane (lanes ph.ERe gi nm) (lanes ph.EIm gi nm)
                match p.South with
                | ValueSome s -> ringPhases plans map s lmax rr ri lane (lanes ph.ORe gi nm) (lanes ph.OIm gi nm)
                | ValueNone -> ())
            pool.Return rr
            pool.Return ri
            let w = Vector256.Create weight
            for i in gi * nm .. gi * nm + lmax do
                let nr, ni, sr, si = ph.ERe.[i], ph.EIm.[i], ph.ORe.[i], ph.OIm.[i]
                ph.ERe.[i] <- w * (nr + sr)
                ph.EIm.[i] <- w * (ni + si)
                ph.ORe.[i] <- w * (nr - sr)
                ph.OIm.[i] <- w * (ni - si))
        |> ignore
        ph

    let private releasePhases (ph: Phases) =
        for a in [| ph.ERe; ph.EIm; ph.ORe; ph.OIm |] do ArrayPool<V>.Shared.Return a

    /// Adds λ_ℓm · phase of group g over ℓ = m … lmax to the lane accumulators (acc.[ℓ−m]).
    let private analyseGroup (c: MCoeffs) (g: Group) (ph: Phases) (k: int) (n: int) (accRe: V[]) (accIm: V[]) (w: Walk) (upTo: int) =
        let eRe, eIm, oRe, oIm = ph.ERe.[k], ph.EIm.[k], ph.ORe.[k], ph.OIm.[k]
        let inline visit i (lam: V) =
            if i % 2 = 0 then
                accRe.[i] <- Vector256.FusedMultiplyAdd(lam, eRe, accRe.[i])
                accIm.[i] <- Vector256.FusedMultiplyAdd(lam, eIm, accIm.[i])
            else
                accRe.[i] <- Vector256.FusedMultiplyAdd(lam, oRe, accRe.[i])
                accIm.[i] <- Vector256.FusedMultiplyAdd(lam, oIm, accIm.[i])
        walkScaled c g n w (fun i lam -> visit i lam)
        while w.I < upTo do
            visit w.I w.L0
            step c g.Cos w

    /// The fused analysis kernel: four groups (sixteen ring pairs), all unscaled and at the same even
    /// ℓ − m, from there to lmax; per ℓ and group one multiplication and three FMAs, the accumulators
    /// touched once per ℓ.
    let private analyseQuad (c: MCoeffs) (groups: Group[]) (gs: int[]) (ph: Phases) (ks: int[]) (n: int)
                            (accRe: V[]) (accIm: V[]) (ws: Walk[]) =
        let x = struct (groups.[gs.[0]].Cos, groups.[gs.[1]].Cos, groups.[gs.[2]].Cos, groups.[gs.[3]].Cos)
        let ka, kb, kc, kd = ks.[0], ks.[1], ks.[2], ks.[3]
        let eRa, eIa, oRa, oIa = ph.ERe.[ka], ph.EIm.[ka], ph.ORe.[ka], ph.OIm.[ka]
        let eRb, eIb, oRb, oIb = ph.ERe.[kb], ph.EIm.[kb], ph.ORe.[kb], ph.OIm.[kb]
        let eRc, eIc, oRc, oIc = ph.ERe.[kc], ph.EIm.[kc], ph.ORe.[kc], ph.OIm.[kc]
        let eRd, eId, oRd, oId = ph.ERe.[kd], ph.EIm.[kd], ph.ORe.[kd], ph.OIm.[kd]
        // μ_{m+i} (even ℓ − m) of the four groups in l0, μ_{m+i+1} in l1
        let mutable l0 = struct (ws.[0].L0, ws.[1].L0, ws.[2].L0, ws.[3].L0)
        let mutable l1 = struct (ws.[0].L1, ws.[1].L1, ws.[2].L1, ws.[3].L1)
        let mutable i = ws.[0].I
        while i < n do
            let struct (a0, b0, c0, d0) = l0
            accRe.[i] <- fma a0 eRa (fma b0 eRb (fma c0 eRc (fma d0 eRd accRe.[i])))
            accIm.[i] <- fma a0 eIa (fma b0 eIb (fma c0 eIc (fma d0 eId accIm.[i])))
            l0 <- advance4 c (i + 2) x l1 l0
            if i + 1 < n then
                let struct (a1, b1, c1, d1) = l1
                accRe.[i + 1] <- fma a1 oRa (fma b1 oRb (fma c1 oRc (fma d1 oRd accRe.[i + 1])))
                accIm.[i + 1] <- fma a1 oIa (fma b1 oIb (fma c1 oIc (fma d1 oId accIm.[i + 1])))
            l1 <- advance4 c (i + 3) x l0 l1
            i <- i + 2

    /// Analysis: a_ℓm = weight · Σ_p f_p Y*_ℓm(θ_p, φ_p) for ℓ ≤ lmax (healpy map2alm with iter = 0).
    let map2almWeighted (rings: Ring[]) (weight: float) (map: float[]) (lmax: int) : Alm =
        let groups = pairsOf rings |> groupsOf
        let nm = lmax + 1
        let ph = phasesOf groups weight map lmax
        let starts = startsOf groups lmax
        let alm = Alm.Zero lmax
        parallelOverM lmax (fun m ->
            let c = coefficients lmax m
            let n = lmax - m + 1
            let pool = ArrayPool<V>.Shared
            let accRe, accIm = pool.Rent n, pool.Rent n
            Array.Clear(accRe, 0, n)
            Array.Clear(accIm, 0, n)
            let ks = Array.zeroCreate 4
            forBlocks starts groups (activeGroups groups lmax m) m c n
                (fun _ gi w upTo -> analyseGroup c groups.[gi] ph (gi * nm + m) n accRe accIm w upTo)
                (fun gs ws ->
                    for j in 0 .. 3 do ks.[j] <- gs.[j] * nm + m
                    analyseQuad c groups gs ph ks n accRe accIm ws)
                (fun _ _ -> ())
            let baseIdx = Alm.Index(lmax, m, m)
            for i in 0 .. n - 1 do
                alm.Re.[baseIdx + i] <- c.G.[i] * Vector256.Sum accRe.[i]
                alm.Im.[baseIdx + i] <- if m = 0 then 0.0 else c.G.[i] * Vector256.Sum accIm.[i]
            pool.Return accRe
            pool.Return accIm)
        releasePhases ph
        releaseStarts starts
        alm

    /// Even/odd sums Σ G_ℓ a_ℓm μ_ℓ of one group's walk, added to sums.[o .. o+3] (even Re, Im, odd Re, Im).
    let private synthesiseGroup (c: MCoeffs) (g: Group) (gRe: float[]) (gIm: float[]) (n: int) (sums: V[]) (o: int) (w: Walk) (upTo: int) =
        let inline visit i (lam: V) =
            let j = o + 2 * (i % 2)
            sums.[j] <- fma lam (Vector256.Create gRe.[i]) sums.[j]
            sums.[j + 1] <- fma lam (Vector256.Create gIm.[i]) sums.[j + 1]
        walkScaled c g n w (fun i lam -> visit i lam)
        while w.I < upTo do
            visit w.I w.L0
            step c g.Cos w

    /// The fused synthesis kernel: four groups, all unscaled and at the same even ℓ − m, from there to
    /// lmax; the sums of group j in sums.[4j .. 4j+3].
    let private synthesiseQuad (c: MCoeffs) (groups: Group[]) (gs: int[]) (gRe: float[]) (gIm: float[]) (n: int) (sums: V[]) (ws: Walk[]) =
        let x = struct (groups.[gs.[0]].Cos, groups.[gs.[1]].Cos, groups.[gs.[2]].Cos, groups.[gs.[3]].Cos)
        let mutable l0 = struct (ws.[0].L0, ws.[1].L0, ws.[2].L0, ws.[3].L0)
        let mutable l1 = struct (ws.[0].L1, ws.[1].L1, ws.[2].L1, ws.[3].L1)
        let mutable eRa, eIa, oRa, oIa = sums.[0], sums.[1], sums.[2], sums.[3]
        let mutable eRb, eIb, oRb, oIb = sums.[4], sums.[5], sums.[6], sums.[7]
        let mutable eRc, eIc, oRc, oIc = sums.[8], sums.[9], sums.[10], sums.[11]
        let mutable eRd, eId, oRd, oId = sums.[12], sums.[13], sums.[14], sums.[15]
        let mutable i = ws.[0].I
        while i < n do
            let ar, ai = Vector256.Create gRe.[i], Vector256.Create gIm.[i]
            let struct (a0, b0, c0, d0) = l0
            eRa <- fma a0 ar eRa
            eIa <- fma a0 ai eIa
            eRb <- fma b0 ar eRb
            eIb <- fma b0 ai eIb
            eRc <- fma c0 ar eRc
            eIc <- fma c0 ai eIc
            eRd <- fma d0 ar eRd
            eId <- fma d0 ai eId
            l0 <- advance4 c (i + 2) x l1 l0
            if i + 1 < n then
                let ar, ai = Vector256.Create gRe.[i + 1], Vector256.Create gIm.[i + 1]
                let struct (a1, b1, c1, d1) = l1
                oRa <- fma a1 ar oRa
                oIa <- fma a1 ai oIa
                oRb <- fma b1 ar oRb
                oIb <- fma b1 ai oIb
                oRc <- fma c1 ar oRc
                oIc <- fma c1 ai oIc
                oRd <- fma d1 ar oRd
                oId <- fma d1 ai oId
            l1 <- advance4 c (i + 3) x l0 l1
            i <- i + 2
        let inline put o (er: V) (ei: V) (od: V) (oi: V) =
            sums.[o] <- er
            sums.[o + 1] <- ei
            sums.[o + 2] <- od
            sums.[o + 3] <- oi
        put 0 eRa eIa oRa oIa
        put 4 eRb eIb oRb oIb
        put 8 eRc eIc oRc oIc
        put 12 eRd eId oRd oId

    /// Synthesis: f_p = Σ_ℓm a_ℓm Y_ℓm(θ_p, φ_p) on the given rings (real map, a_{ℓ,−m} = (−1)^m a*_ℓm).
    let alm2map (rings: Ring[]) (alm: Alm) : float[] =
        let lmax = alm.Lmax
        let groups = pairsOf rings |> groupsOf
        let ng = groups.Length
        let nm = lmax + 1
        // per (group, m): F_m of the north and the south ring of each lane
        let fnRe, fnIm = Array.zeroCreate<V> (nm * ng), Array.zeroCreate<V> (nm * ng)
        let fsRe, fsIm = Array.zeroCreate<V> (nm * ng), Array.zeroCreate<V> (nm * ng)
        let starts = startsOf groups lmax
        parallelOverM lmax (fun m ->
            let c = coefficients lmax m
            let n = lmax - m + 1
            let baseIdx = Alm.Index(lmax, m, m)
            // G_ℓ a_ℓm, so that the sums run over μ_ℓ
            let gRe = Array.init n (fun i -> c.G.[i] * alm.Re.[baseIdx + i])
            let gIm = Array.init n (fun i -> c.G.[i] * alm.Im.[baseIdx + i])
            let sums = Array.zeroCreate<V> 16
            forBlocks starts groups (activeGroups groups lmax m) m c n
                (fun j gi w upTo -> synthesiseGroup c groups.[gi] gRe gIm n sums (4 * j) w upTo)
                (fun gs ws -> synthesiseQuad c groups gs gRe gIm n sums ws)
                (fun j gi ->
                    // north = even + odd, south = even − odd (λ_ℓm(π−θ) = (−1)^{ℓ+m} λ_ℓm(θ))
                    let o, k = 4 * j, gi * nm + m
                    fnRe.[k] <- sums.[o] + sums.[o + 2]
                    fnIm.[k] <- sums.[o + 1] + sums.[o + 3]
                    fsRe.[k] <- sums.[o] - sums.[o + 2]
                    fsIm.[k] <- sums.[o + 1] - sums.[o + 3]
                    Array.Clear(sums, o, 4)))
        let map = Array.zeroCreate (rings |> Array.sumBy (fun r -> r.NPix))
        let plans = plansOf rings
        Parallel.For(0, ng, fun gi ->
            let pool = ArrayPool<float>.Shared
            let rr, ri = pool.Rent(lmax + 1), pool.Rent(lmax + 1)
            groups.[gi].Pairs |> Array.iteri (fun lane p ->
                // mirror rings share φ0 and so the rotation
                rotation p.North.Phi0 lmax rr ri
                ringSynthesis plans map p.North lmax rr ri lane (lanes fnRe gi nm) (lanes fnIm gi nm)
                match p.South with
                | ValueSome s -> ringSynthesis plans map s lmax rr ri lane (lanes fsRe gi nm) (lanes fsIm gi nm)
                | ValueNone -> ())
            pool.Return rr
            pool.Return ri)
        |> ignore
        releaseStarts starts
        map

    /// map2alm followed by `iter` Jacobi steps a ← a + map2alm(f − alm2map(a)) (healpy's iter).
    let private map2almIter (rings: Ring[]) (weight: float) (map: float[]) (lmax: int) (iter: int) : Alm =
        let alm = map2almWeighted rings weight map lmax
        for _ in 1 .. iter do
            let model = alm2map rings alm
            let residual = Array.map2 (-) map model
            let d = map2almWeighted rings weight residual lmax
            for i in 0 .. alm.Re.Length - 1 do
                alm.Re.[i] <- alm.Re.[i] + d.Re.[i]
                alm.Im.[i] <- alm.Im.[i] + d.Im.[i]
        alm

    /// The a_ℓm that best reproduce a map, min ‖alm2map(a) − f‖², by conjugate gradients on the normal equations
    /// (CGLS: Hestenes & Stiefel 1952; Björck, Numerical Methods for Least Squares Problems, 1996, §7.4), with
    /// map2alm at unit weight as the adjoint of alm2map under ⟨a, b⟩ = Σ_ℓ [a_ℓ0 b_ℓ0 + 2 Σ_{m>0} Re a_ℓm b*_ℓm].
    /// Stops when the normal-equation residual has fallen by `tol` or after maxIter steps. For a map band-limited
    /// well below 3·Nside it returns its a_ℓm where healpy's Jacobi steps converge slowly (test "the identity at T = 0").
    let map2almLeastSquares (map: float[]) (lmax: int) (tol: float) (maxIter: int) : Alm =
        let nside = (Healpix.nsideOfNpix (int64 map.Length)).Value
        let rings = Healpix.rings nside
        let dot (a: Alm) (b: Alm) =
            let mutable sum = 0.0
            for i in 0 .. a.Re.Length - 1 do
                sum <- sum + (if i <= lmax then 1.0 else 2.0) * (a.Re.[i] * b.Re.[i] + a.Im.[i] * b.Im.[i])
            sum
        let axpy (alpha: float) (x: Alm) (y: Alm) =
            for i in 0 .. y.Re.Length - 1 do
                y.Re.[i] <- y.Re.[i] + alpha * x.Re.[i]
                y.Im.[i] <- y.Im.[i] + alpha * x.Im.[i]
        let x = Alm.Zero lmax
        let r = Array.copy map
        let mutable s = map2almWeighted rings 1.0 r lmax
        let p = { s with Re = Array.copy s.Re; Im = Array.copy s.Im }
        let mutable gamma = dot s s
        let stop = tol * tol * gamma
        let mutable k = 0
        while k < maxIter && gamma > stop do
            let q = alm2map rings p
            let alpha = gamma / Array.sumBy (fun v -> v * v) q
            axpy alpha p x
            for i in 0 .. r.Length - 1 do r.[i] <- r.[i] - alpha * q.[i]
            s <- map2almWeighted rings 1.0 r lmax
            let next = dot s s
            let beta = next / gamma
            for i in 0 .. p.Re.Length - 1 do
                p.Re.[i] <- s.Re.[i] + beta * p.Re.[i]
                p.Im.[i] <- s.Im.[i] + beta * p.Im.[i]
            gamma <- next
            k <- k + 1
        x

    /// C_ℓ = (|a_ℓ0|² + 2 Σ_{m>0} |a_ℓm|²)/(2ℓ+1), ℓ = 0 … lmax.
    let cl (alm: Alm) : float[] =
        let lmax = alm.Lmax
        Array.init (lmax + 1) (fun l ->
            let mutable s = 0.0
            for m in 0 .. l do
                let i = Alm.Index(lmax, l, m)
                let p = alm.Re.[i] * alm.Re.[i] + alm.Im.[i] * alm.Im.[i]
                s <- s + (if m = 0 then p else 2.0 * p)
            s / float (2 * l + 1))

    /// HEALPix RING map → a_ℓm as healpy.map2alm(map, lmax, iter, use_weights=False).
    let map2alm (map: float[]) (lmax: int) (iter: int) : Alm =
        let nside =
            match Healpix.nsideOfNpix (int64 map.Length) with
            | Some n -> n
            | None -> inputError $"a HEALPix map has 12·Nside² pixels; got {map.Length}"
        if lmax < 0 || lmax > 8 * nside then
            inputError $"lmax must lie in 0 … 8·Nside = {8 * nside} (healpy's default is 3·Nside − 1), got {lmax}"
        if iter < 0 || iter > 1000 then inputError $"iter must lie in 0 … 1000, got {iter}"
        match Array.tryFindIndex (Double.IsFinite >> not) map with
        | Some p -> inputError $"map pixel {p} is {map.[p]}; every pixel must be a finite number"
        | None -> ()
        map2almIter (Healpix.rings nside) (4.0 * Math.PI / float map.Length) map lmax iter

    /// HEALPix RING map → C_ℓ as healpy.anafast(map, lmax, iter) (no monopole/dipole removal). A C_ℓ beyond
    /// double precision (|a_ℓm|² > 1.8e308, e.g. from a pixel of 1e160) is refused, naming the largest pixel.
    let anafast (map: float[]) (lmax: int) (iter: int) : float[] =
        let cl = map2alm map lmax iter |> cl
        if not (Array.forall Double.IsFinite cl) then
            let p = map |> Array.mapi (fun i v -> struct (i, abs v)) |> Array.maxBy (fun struct (_, v) -> v) |> fun struct (i, _) -> i
            inputError $"C_ℓ of this map exceeds double precision (about 1.8e308): pixel {p} is {map.[p]:G6}; rescale the map (C_ℓ scales with its square)"
        cl

    /// Dipole vector Φ = (1/4π) ∫ p̂ f/f̄ dp (eq. 52) from a_1m of the map f, with f̄ given (for a map of
    /// f/f̄ − 1, f̄ = 1); C_1 = 4π|Φ|² (eq. 54).
    let dipoleAbout (fbar: float) (alm: Alm) : struct (float * float * float) =
        if alm.Lmax < 1 then inputError "the dipole needs a_ℓm up to ℓ = 1"
        let fbar4pi = 4.0 * Math.PI * fbar
        let a10 = alm.Re.[Alm.Index(alm.Lmax, 1, 0)]
        let i11 = Alm.Index(alm.Lmax, 1, 1)
        let c = sqrt (8.0 * Math.PI / 3.0) / fbar4pi
        struct (-c * alm.Re.[i11], c * alm.Im.[i11], sqrt (4.0 * Math.PI / 3.0) * a10 / fbar4pi)

    /// The dipole of eq. 52 with f̄ the map's mean, a_00/√(4π).
    let dipole (alm: Alm) = dipoleAbout (alm.Re.[0] / sqrt (4.0 * Math.PI)) alm

    /// C_1 = 4π|Φ|² of a dipole vector Φ (eqs. 54 and 57).
    let c1OfDipole (phi: float[]) = 4.0 * Math.PI * (phi |> Array.sumBy (fun v -> v * v))

    /// Shot noise of a backtracked sky map m = f/f̄ − 1, the self-consistent white level (docs/physics.md §7):
    /// N = [4π⟨m²⟩ − Σ_{ℓ<2Nside} (2ℓ+1) C_ℓ] / (N_pix − 4 Nside²), ⟨·⟩ the pixel mean; cl must reach ℓ = 2Nside − 1.
    /// It reproduces the measured plateau of C_ℓ at ℓ ≳ 2Nside to within its scatter (~2%; test "noise plateau").
    let noiseSelfConsistent (map: float[]) (cl: float[]) : float =
        let nside =
            match Healpix.nsideOfNpix (int64 map.Length) with
            | Some n -> n
            | None -> inputError $"a HEALPix map has 12·Nside² pixels; got {map.Length}"
        if cl.Length < 2 * nside then inputError $"the noise level needs C_ℓ up to ℓ = {2 * nside - 1}, got {cl.Length - 1}"
        let variance = map |> Array.averageBy (fun v -> v * v)
        let low = Seq.sum [ for l in 0 .. 2 * nside - 1 -> float (2 * l + 1) * cl.[l] ]
        (4.0 * Math.PI * variance - low) / float (map.Length - 4 * nside * nside)

    /// Shot noise of eq. 7 in its measured form, N_ℓ = (4π/N_pix) ⟨((r(t₀) − r⊕)·∇f̄/f̄)²⟩, given that mean
    /// square. It is the mean power per mode of the whole map, signal included: far above the ℓ ≥ 2Nside
    /// plateau while the smooth displacement dominates (early times), and within tens of per cent of it,
    /// on either side, later (README, Noise).
    let noiseEq7 (npix: int) (meanSquareDisplacement: float) = 4.0 * Math.PI / float npix * meanSquareDisplacement
