namespace SkyMix.Theory

open System
open System.Threading.Tasks

/// Resolution of the mixing-matrix quadratures. `Refined` doubles every resolution; the tests require
/// C_ℓ/C_1 to change by less than 1e-7 under it.
type Accuracy =
    { /// Gauss–Legendre nodes per k panel
      NodesPerPanel: int
      /// k panels per π/ΔT (the period of c_ℓ c_ℓ' in k) in the oscillatory region
      PanelsPerPeriod: float
      /// the analytic large-k limit of c_ℓ + i s_ℓ takes over between K/2 and K = max(40, 2·TailFactor·ℓ_max,κ/ΔT)
      TailFactor: float
      /// extra μ nodes of the Legendre quadrature that gives c_ℓ + i s_ℓ below k = Ω/c
      ExtraMuNodes: int
      /// logarithmic k panels per decade where the integrands are smooth
      PanelsPerDecade: int }

    static member Default =
        { NodesPerPanel = 12; PanelsPerPeriod = 1.0; TailFactor = 2.0; ExtraMuNodes = 24; PanelsPerDecade = 6 }

    /// Coarser quadratures for fits against simulated spectra: C_ℓ/C_1 within ~1e-8 of Default at
    /// ℓ ≤ 60, two to three times faster.
    static member Fitting =
        { NodesPerPanel = 8; PanelsPerPeriod = 1.0; TailFactor = 1.5; ExtraMuNodes = 16; PanelsPerDecade = 4 }

    member a.Refined =
        { NodesPerPanel = 2 * a.NodesPerPanel
          PanelsPerPeriod = 2.0 * a.PanelsPerPeriod
          TailFactor = 2.0 * a.TailFactor
          ExtraMuNodes = 2 * a.ExtraMuNodes
          PanelsPerDecade = 2 * a.PanelsPerDecade }

/// The k axis of the Λ and κ quadratures: logarithmic panels where the integrands are smooth, uniform
/// panels of width ≤ π/ΔT where they oscillate, n Gauss–Legendre nodes per panel.
[<RequireQualifiedAccess>]
module internal KGrid =

    /// The panels of `nodes`: k1 clamped to [a, b], the number of logarithmic panels on [a, k1] and of
    /// uniform panels of width ≤ h on [k1, b].
    let panels (acc: Accuracy) (a: float) (k1: float) (b: float) (h: float) =
        let k1 = min b (max a k1)
        let nLog = if k1 > a then max 1.0 (ceil (float acc.PanelsPerDecade * log10 (k1 / a))) else 0.0
        let nUniform = if b > k1 then max 1.0 (ceil ((b - k1) / h)) else 0.0
        k1, nLog, nUniform

    /// Nodes and weights for ∫_{a}^{b} dk: logarithmic panels on [a, k1], uniform panels of width h on
    /// [k1, b]; each panel carries NodesPerPanel Gauss–Legendre nodes.
    let nodes (acc: Accuracy) (a: float) (k1: float) (b: float) (h: float) =
        let xs = ResizeArray()
        let ws = ResizeArray()
        let panel lo hi =
            if hi > lo then
                let x, w = GaussLegendre.on lo hi acc.NodesPerPanel
                xs.AddRange x
                ws.AddRange w
        let k1, nLog, nUniform = panels acc a k1 b h
        let n = int nLog
        for i in 0 .. n - 1 do panel (a * (k1 / a) ** (float i / float n)) (a * (k1 / a) ** (float (i + 1) / float n))
        let n = int nUniform
        for i in 0 .. n - 1 do panel (k1 + (b - k1) * float i / float n) (k1 + (b - k1) * float (i + 1) / float n)
        xs.ToArray(), ws.ToArray()

    /// C^∞ step from 1 (x ≤ 0) to 0 (x ≥ 1).
    let window (x: float) =
        if x <= 0.0 then 1.0
        elif x >= 1.0 then 0.0
        else
            let a = exp (-1.0 / x)
            let b = exp (-1.0 / (1.0 - x))
            b / (a + b)

/// The band of κ that M^(1c) needs (its 3j weights vanish unless |ℓA − ℓB| ≤ 2 with equal parities):
/// Diagonal.[A] = κ_{A,A}, Next.[A] = κ_{A,A+2}.
type KappaBand = { Diagonal: float[]; Next: float[] }

/// κ_{ℓAℓB}(ΔT) = ∫₀^ΔT∫₀^ΔT dt_A dt_B ∫ dk g(k) j_ℓA(k t_A) j_ℓB(k t_B) cos(Ω(t_A − t_B)) (paper eq. 48).
/// Units Ω = c = 1; ΔT is ΩΔT.
///
/// Method (docs/physics.md, "Mixing matrix"): cos(t_A − t_B) = cos cos + sin sin turns eq. 48 into
/// κ_AB = ∫ dk g(k) Re[I_A(k) I_B(k)*] with I_ℓ(k) = c_ℓ + i s_ℓ = ∫₀^ΔT j_ℓ(kt) e^{it} dt — a k quadrature of
/// products instead of a double time integral per pair (the paper's Levin integration).
///   - k ≥ 1: all I_ℓ from I_0 = [Si((k+1)T) + Si((k−1)T) + i(Cin((k+1)T) − Cin(|k−1|T))]/(2k) by the
///     three-term recurrence I_{ℓ+1} = [ℓ I_{ℓ−1} − (2ℓ+1)(j_ℓ(kT) e^{iT} − δ_ℓ0 − i I_ℓ)/k]/(ℓ+1), which
///     follows from (2ℓ+1) j_ℓ' = ℓ j_{ℓ−1} − (ℓ+1) j_{ℓ+1} (DLMF 10.51.2) and one integration by parts.
///     Its homogeneous solutions are P_ℓ(1/k) and Q_ℓ(1/k) up to phases, bounded for k ≥ 1, so it is
///     stable upwards: O(ℓ) work per node.
///   - k < 1 (where the recurrence would grow like (1/k + √(1/k² − 1))^ℓ): Gauss–Legendre in μ of
///     I_ℓ = ½(−i)^ℓ ∫₋₁¹ P_ℓ(μ) E(1 + kμ) dμ, E(x) = (e^{ixT} − 1)/(ix), up to the ℓ where
///     |j_ℓ(kT)| < 1e-30 (I_ℓ is smaller still above it).
///   - above K = max(40, 2·TailFactor·ℓ_max,κ/ΔT) the ΔT → ∞ limit I_ℓ = i^ℓ[πP_ℓ(1/k) + 2iQ_ℓ(1/k)]/(2k),
///     blended in smoothly over [K/2, K] so that its oscillating difference D from the finite-ΔT value
///     integrates away; the non-oscillating part of D_A D_B* (the end-point term at t = ΔT,
///     (−1)^{(A−B)/2}[(k+1)⁻² + (k−1)⁻²]/(4k²T²) for equal parities) is added back in closed form.
/// Cost O(ℓ_max,κ × number of k nodes) for the band, memory O(ℓ_max,κ). The k nodes are summed in fixed
/// blocks, so the result does not depend on the number of threads.
/// Accuracy: κ ~1e-8 relative against the numpy reference samples (ℓA, ℓB ≤ 20; reference tests); the recurrence
/// agrees with a Legendre quadrature in μ at the same k nodes to 1e-10 (the test's tolerance).
[<RequireQualifiedAccess>]
module Kappa =

    /// The k quadrature of κ for one ΔT and ℓ_max,κ: Main nodes carry the finite-ΔT integrals with weight
    /// w_k g(k)·blend, Limit nodes the ΔT → ∞ limit with weight w_k g(k)·(1 − blend) (blend region) or
    /// w_k g(k) (above the break); EndPoint = Σ_Limit w g [(k+1)⁻² + (k−1)⁻²]/(k²T²).
    type Quadrature =
        { OmegaDT: float
          Break: float
          Main: float[]
          MainWeight: float[]
          Limit: float[]
          LimitWeight: float[]
          EndPoint: float }

    /// The break K between the finite-ΔT integrals and the ΔT → ∞ limit.
    let private kBreak (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) =
        min s.KMax (max 40.0 (2.0 * acc.TailFactor * float (max lmaxKappa 1) / omegaDT))

    /// The k nodes and weights of κ's quadrature.
    let quadrature (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) : Quadrature =
        if not (omegaDT > 0.0 && Double.IsFinite omegaDT) then inputError $"ΩΔT must be a positive number, got {omegaDT}"
        let t = omegaDT
        let kb = kBreak s acc t lmaxKappa
        let kx, kw = KGrid.nodes acc s.KMin (min kb (1.0 / t)) kb (Math.PI / (t * acc.PanelsPerPeriod))
        let blend = kx |> Array.map (fun k -> if kb < s.KMax then KGrid.window ((k - 0.5 * kb) / (0.5 * kb)) else 1.0)
        let ux, uw = if s.KMax > kb then KGrid.nodes acc kb s.KMax s.KMax 1.0 else [||], [||]
        let inBlend = [| for i in 0 .. kx.Length - 1 do if blend.[i] < 1.0 then yield i |]
        let lx = Array.append (inBlend |> Array.map (fun i -> kx.[i])) ux
        let lw = Array.append (inBlend |> Array.map (fun i -> kw.[i] * (1.0 - blend.[i]))) uw
        let lw = Array.map2 (fun w k -> w * Spectrum.g s k) lw lx
        let endPoint =
            Array.fold2 (fun acc w k -> acc + w * (1.0 / ((k + 1.0) * (k + 1.0)) + 1.0 / ((k - 1.0) * (k - 1.0))) / (k * k * t * t)) 0.0 lw lx
        let keep = [| for i in 0 .. kx.Length - 1 do if blend.[i] > 0.0 then yield i |]
        { OmegaDT = t
          Break = kb
          Main = keep |> Array.map (fun i -> kx.[i])
          MainWeight = keep |> Array.map (fun i -> kw.[i] * blend.[i] * Spectrum.g s kx.[i])
          Limit = lx
          LimitWeight = lw
          EndPoint = endPoint }

    /// The number of k nodes of κ's quadrature for ΔT and ℓ_max,κ (grows as ΔT·max(40, ℓ_max,κ/ΔT)), without
    /// building them.
    let nodeCount (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) =
        let kb = kBreak s acc omegaDT lmaxKappa
        let _, a, b = KGrid.panels acc s.KMin (min kb (1.0 / omegaDT)) kb (Math.PI / (omegaDT * acc.PanelsPerPeriod))
        let _, c, d = if s.KMax > kb then KGrid.panels acc kb s.KMax s.KMax 1.0 else 0.0, 0.0, 0.0
        (a + b + c + d) * float acc.NodesPerPanel

    /// The largest κ quadrature computed: nodes (two arrays of doubles each) and nodes × ℓ_max,κ (the work).
    let private maxNodes, maxWork = 2e7, 4e10

    /// Raises InputError when κ's quadrature for ΔT and ℓ_max,κ would exceed maxNodes or maxWork.
    let checkSize (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) =
        let nodes = nodeCount s acc omegaDT lmaxKappa
        if nodes > maxNodes || nodes * float (lmaxKappa + 1) > maxWork then
            inputError (
                $"ΩΔT = {omegaDT:G4} with ℓ_max = {lmaxKappa / 2} needs {nodes:G3} k nodes for the κ quadrature (they grow as ΩΔT, "
                + $"since the integrands oscillate with period 2π/ΔT in k; the limit is {maxNodes:G2} nodes and {maxWork:G2} node·ℓ); "
                + "the paper's rigidities have ΩΔT ≈ 10–50, so a much smaller ρ or η, or a larger ΩΔT, lies outside what this quadrature resolves")

    /// Scratch for one thread: j_ℓ, P_ℓ, Q_ℓ and the Gauss–Legendre rule in μ used below k = 1.
    type private Work(lmax: int, mu: float[], muW: float[]) =
        member val J: float[] = Array.zeroCreate (lmax + 1)
        member val P: float[] = Array.zeroCreate (lmax + 1)
        member val Q: float[] = Array.zeroCreate (lmax + 1)
        member _.Mu = mu
        member _.MuW = muW

    /// The largest ℓ with |j_ℓ(x)| ≥ 1e-30 (j buffer already filled for x); above the turning point j_ℓ
    /// falls monotonically, and so does I_ℓ = ∫ j_ℓ(kt)e^{it}dt ≤ T max_t |j_ℓ(kt)|.
    let private lastSignificant (x: float) (j: float[]) =
        let mutable l = j.Length - 1
        while l > 0 && float l > x && abs j.[l] < 1e-30 do l <- l - 1
        l

    /// I_ℓ(k) = ∫₀^T j_ℓ(kt) e^{it} dt into (re, im) for ℓ = 0 … re.Length − 1.
    let private finiteInto (t: float) (k: float) (w: Work) (re: float[]) (im: float[]) =
        let lmax = re.Length - 1
        Bessel.sphericalJInto (k * t) (Span(w.J, 0, lmax + 1))
        if k >= 1.0 then
            let ap, am = (k + 1.0) * t, (k - 1.0) * t
            re.[0] <- (SineIntegral.si ap + SineIntegral.si am) / (2.0 * k)
            im.[0] <- (SineIntegral.cin ap - SineIntegral.cin am) / (2.0 * k)
            let ct, st = cos t, sin t
            let mutable prevRe, prevIm = 0.0, 0.0
            for l in 0 .. lmax - 1 do
                // J_ℓ = (j_ℓ(kT) e^{iT} − δ_ℓ0 − i I_ℓ)/k, I_{ℓ+1} = [ℓ I_{ℓ−1} − (2ℓ+1) J_ℓ]/(ℓ+1)
                let jRe = (w.J.[l] * ct - (if l = 0 then 1.0 else 0.0) + im.[l]) / k
                let jIm = (w.J.[l] * st - re.[l]) / k
                let c = float (2 * l + 1)
                let nextRe = (float l * prevRe - c * jRe) / float (l + 1)
                let nextIm = (float l * prevIm - c * jIm) / float (l + 1)
                prevRe <- re.[l]
                prevIm <- im.[l]
                re.[l + 1] <- nextRe
                im.[l + 1] <- nextIm
        else
            let top = lastSignificant (k * t) w.J
            Array.Clear re
            Array.Clear im
            let p = Span(w.P, 0, top + 1)
            for j in 0 .. w.Mu.Length - 1 do
                let x = 1.0 + k * w.Mu.[j]
                let h = 0.5 * w.MuW.[j] / x
                let er = h * sin (x * t)
                let ei = h * 2.0 * (sin (0.5 * x * t)) ** 2.0
                Legendre.pInto w.Mu.[j] p
                for l in 0 .. top do
                    re.[l] <- re.[l] + p.[l] * er
                    im.[l] <- im.[l] + p.[l] * ei
            // multiply by (−i)^ℓ
            for l in 0 .. top do
                let r, i = re.[l], im.[l]
                match l % 4 with
                | 0 -> ()
                | 1 -> re.[l] <- i; im.[l] <- -r
                | 2 -> re.[l] <- -r; im.[l] <- -i
                | _ -> re.[l] <- -i; im.[l] <- r

    /// The ΔT → ∞ limit I_ℓ = i^ℓ[πP_ℓ(1/k) + 2iQ_ℓ(1/k)]/(2k), k > 1.
    let private limitInto (k: float) (w: Work) (re: float[]) (im: float[]) =
        let n = re.Length
        Legendre.pInto (1.0 / k) (Span(w.P, 0, n))
        Legendre.qInto (1.0 / k) (Span(w.Q, 0, n))
        for l in 0 .. n - 1 do
            let x = Math.PI * w.P.[l] / (2.0 * k)
            let y = w.Q.[l] / k
            match l % 4 with
            | 0 -> re.[l] <- x; im.[l] <- y
            | 1 -> re.[l] <- -y; im.[l] <- x
            | 2 -> re.[l] <- -x; im.[l] <- -y
            | _ -> re.[l] <- y; im.[l] <- -x

    /// The μ rule below k = 1: exact for P_ℓ E(1 + kμ) up to the largest significant ℓ there.
    let private muRule (acc: Accuracy) (q: Quadrature) (lmaxKappa: int) =
        let below = q.Main |> Array.filter (fun k -> k < 1.0)
        if below.Length = 0 then [||], [||]
        else
            let kTop = Array.max below
            let j = Array.zeroCreate (lmaxKappa + 1)
            Bessel.sphericalJInto (kTop * q.OmegaDT) (Span j)
            let top = lastSignificant (kTop * q.OmegaDT) j
            GaussLegendre.rule ((top + int (ceil q.OmegaDT)) / 2 + acc.ExtraMuNodes + 1)

    /// Σ over every node of weight · f(I(k)), in fixed blocks of nodes (deterministic for any number of
    /// threads); `add` accumulates one node into a block's partial sum.
    let private reduce (acc: Accuracy) (q: Quadrature) (lmaxKappa: int) (size: int)
                       (add: float -> float[] -> float[] -> float[] -> unit) : float[] =
        let mu, muW = muRule acc q lmaxKappa
        let nMain, n = q.Main.Length, q.Main.Length + q.Limit.Length
        let blocks = max 1 (min 64 ((n + 63) / 64))
        let partial = Array.init blocks (fun _ -> Array.zeroCreate size)
        Parallel.For(0, blocks, fun b ->
            let w = Work(lmaxKappa, mu, muW)
            let re, im = Array.zeroCreate (lmaxKappa + 1), Array.zeroCreate (lmaxKappa + 1)
            for i in b * n / blocks .. (b + 1) * n / blocks - 1 do
                if i < nMain then
                    finiteInto q.OmegaDT q.Main.[i] w re im
                    add q.MainWeight.[i] re im partial.[b]
                else
                    limitInto q.Limit.[i - nMain] w re im
                    add q.LimitWeight.[i - nMain] re im partial.[b])
        |> ignore
        let total = Array.zeroCreate size
        for p in partial do
            for i in 0 .. size - 1 do total.[i] <- total.[i] + p.[i]
        total

    /// κ_{A,A} and κ_{A,A+2} for A ≤ lmaxKappa (Next has lmaxKappa − 1 entries): all that M^(1c) uses.
    let band (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) : KappaBand =
        if lmaxKappa < 2 then inputError $"the κ band needs ℓ_max,κ ≥ 2, got {lmaxKappa}"
        checkSize s acc omegaDT lmaxKappa
        let q = quadrature s acc omegaDT lmaxKappa
        let n = lmaxKappa + 1
        let sums =
            reduce acc q lmaxKappa (2 * n) (fun wt re im into ->
                for a in 0 .. n - 1 do
                    into.[a] <- into.[a] + wt * (re.[a] * re.[a] + im.[a] * im.[a])
                for a in 0 .. n - 3 do
                    into.[n + a] <- into.[n + a] + wt * (re.[a] * re.[a + 2] + im.[a] * im.[a + 2]))
        { Diagonal = Array.init n (fun a -> sums.[a] + 0.25 * q.EndPoint)
          Next = Array.init (n - 2) (fun a -> sums.[n + a] - 0.25 * q.EndPoint) }

    /// The whole matrix κ_{ℓAℓB}, ℓA, ℓB ≤ lmaxKappa (both parities; O(ℓ²) work per node, so meant for
    /// small ℓ: references, checks and the literal eq. 47).
    let matrix (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) : float[,] =
        if lmaxKappa < 0 || lmaxKappa > 400 then inputError $"the full κ matrix is computed for ℓ ≤ 400, got {lmaxKappa}"
        let q = quadrature s acc omegaDT lmaxKappa
        let n = lmaxKappa + 1
        let sums =
            reduce acc q lmaxKappa (n * n) (fun wt re im into ->
                for a in 0 .. n - 1 do
                    let ra, ia = wt * re.[a], wt * im.[a]
                    for b in 0 .. n - 1 do
                        into.[a * n + b] <- into.[a * n + b] + ra * re.[b] + ia * im.[b])
        Array2D.init n n (fun a b ->
            let endPoint = if (a + b) % 2 = 0 then (if ((b - a) / 2) % 2 = 0 then 0.25 else -0.25) * q.EndPoint else 0.0
            sums.[a * n + b] + endPoint)

    /// c_ℓ + i s_ℓ = ∫₀^ΔT j_ℓ(kt) e^{it} dt for ℓ = 0 … lmax at one k (the method above, without the
    /// limit): for checks against other quadratures.
    let timeIntegrals (acc: Accuracy) (omegaDT: float) (k: float) (lmax: int) : float[] * float[] =
        if not (k > 0.0 && Double.IsFinite k) then inputError $"k must be a positive number, got {k}"
        let q = { OmegaDT = omegaDT; Break = k; Main = [| k |]; MainWeight = [| 1.0 |]; Limit = [||]; LimitWeight = [||]; EndPoint = 0.0 }
        let mu, muW = muRule acc q lmax
        let re, im = Array.zeroCreate (lmax + 1), Array.zeroCreate (lmax + 1)
        finiteInto omegaDT k (Work(lmax, mu, muW)) re im
        re, im
