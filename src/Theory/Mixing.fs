namespace SkyMix.Theory

open System
open System.Threading.Tasks
open MathNet.Numerics.LinearAlgebra

/// Resolution of the mixing-matrix quadratures. `refined` doubles every resolution; the tests require
/// C_ℓ/C_1 to change by less than 1e-7 under it.
type Accuracy =
    { /// Gauss–Legendre nodes per k panel
      NodesPerPanel: int
      /// k panels per π/ΔT (the period of c_ℓ c_ℓ' in k) in the oscillatory region
      PanelsPerPeriod: float
      /// the analytic large-k limit of c_ℓ + i s_ℓ takes over between K/2 and K = max(40, 2·TailFactor·ℓ_max,κ/ΔT)
      TailFactor: float
      /// extra μ nodes beyond (ℓ + KΔT/2)/2
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

/// The mixing matrix of the paper (eqs. 17–51) for slab turbulence, with the corrections of physics.md §4.
/// Units Ω = c = 1; ΔT is ΩΔT.
[<RequireQualifiedAccess>]
module Mixing =

    // ---- k quadrature ---------------------------------------------------------------------------

    /// The panels of kNodes: k1 clamped to [a, b], the number of logarithmic panels on [a, k1]
    /// and of uniform panels of width ≤ h on [k1, b].
    let private kPanels (acc: Accuracy) (a: float) (k1: float) (b: float) (h: float) =
        let k1 = min b (max a k1)
        let nLog = if k1 > a then max 1.0 (ceil (float acc.PanelsPerDecade * log10 (k1 / a))) else 0.0
        let nUniform = if b > k1 then max 1.0 (ceil ((b - k1) / h)) else 0.0
        k1, nLog, nUniform

    /// Nodes and weights for ∫_{a}^{b} dk: logarithmic panels on [a, k1], uniform panels of width
    /// h on [k1, b]; each panel carries n Gauss–Legendre nodes.
    let private kNodes (acc: Accuracy) (a: float) (k1: float) (b: float) (h: float) =
        let xs = ResizeArray()
        let ws = ResizeArray()
        let panel lo hi =
            if hi > lo then
                let x, w = GaussLegendre.on lo hi acc.NodesPerPanel
                xs.AddRange x
                ws.AddRange w
        let k1, nLog, nUniform = kPanels acc a k1 b h
        let n = int nLog
        for i in 0 .. n - 1 do panel (a * (k1 / a) ** (float i / float n)) (a * (k1 / a) ** (float (i + 1) / float n))
        let n = int nUniform
        for i in 0 .. n - 1 do panel (k1 + (b - k1) * float i / float n) (k1 + (b - k1) * float (i + 1) / float n)
        xs.ToArray(), ws.ToArray()

    /// The break K: the μ quadrature of c_ℓ + i s_ℓ runs up to K, the ΔT → ∞ limit from K/2 up, and a
    /// smooth window blends the two over [K/2, K] (so the oscillating difference integrates away).
    let private kBreak (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) =
        min s.KMax (max 40.0 (2.0 * acc.TailFactor * float (max lmaxKappa 1) / omegaDT))

    /// Number of μ nodes of κ's quadrature up to the break K.
    let private muNodes (acc: Accuracy) (kb: float) (omegaDT: float) (lmaxKappa: int) =
        (float lmaxKappa + ceil (kb * omegaDT / 2.0)) / 2.0 + float acc.ExtraMuNodes

    /// Memory of κ's quadrature [bytes]: about eight double arrays of μ nodes × k nodes.
    let private kappaBytes (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) =
        let kb = kBreak s acc omegaDT lmaxKappa
        let _, nLog, nUniform = kPanels acc s.KMin (min kb (1.0 / omegaDT)) kb (Math.PI / (omegaDT * acc.PanelsPerPeriod))
        64.0 * muNodes acc kb omegaDT lmaxKappa * (nLog + nUniform) * float acc.NodesPerPanel

    /// The largest κ quadrature computed [bytes]; above it an InputError says why.
    let private kappaMemoryLimit = 8e9

    /// Raises InputError when κ's quadrature for ΩΔT and ℓ_max,κ would exceed kappaMemoryLimit.
    let checkKappaSize (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) =
        let bytes = kappaBytes s acc omegaDT lmaxKappa
        if bytes > kappaMemoryLimit then
            inputError (
                $"ΩΔT = {omegaDT:G4} with ℓ_max = {lmaxKappa / 2} needs {bytes / 1e9:G3} GB for the κ quadrature (it grows as ΩΔT²; "
                + $"the limit is {kappaMemoryLimit / 1e9:F0} GB, near ΩΔT ≈ 270 at ℓ_max = 100); the paper's rigidities have ΩΔT ≈ 10–50, "
                + "so a much smaller ρ or η, or a larger ΩΔT, lies outside what this quadrature resolves")

    /// C^∞ step from 1 (x ≤ 0) to 0 (x ≥ 1).
    let private window (x: float) =
        if x <= 0.0 then 1.0
        elif x >= 1.0 then 0.0
        else
            let a = exp (-1.0 / x)
            let b = exp (-1.0 / (1.0 - x))
            b / (a + b)

    // ---- Λ_ℓ and W (eqs. 38–40) ---------------------------------------------------------------

    /// 2 sin²(Tx/2)/x = (1 − cos Tx)/x, finite at x = 0.
    let private oneMinusCosOver (t: float) (x: float) =
        if abs (t * x) < 1e-8 then 0.5 * t * t * x else 2.0 * (sin (0.5 * t * x)) ** 2.0 / x

    /// λ_ℓ(k) = ∫₀^T (T−τ) cos τ j_ℓ(kτ) dτ, ℓ ∈ {0, 2}. For k ≥ 0.3 in closed form: with
    /// x = 1 + kμ, λ_ℓ = (−1)^{ℓ/2}/(2k) ∫_{1−k}^{1+k} P_ℓ((x−1)/k) (1 − cos Tx)/x² dx, whose pieces are
    /// ∫(1−cos Tx)/x² = −(1−cos Tx)/x + T Si(Tx), ∫(1−cos Tx)/x = Cin(Tx), ∫(1−cos Tx) = x − sin(Tx)/T.
    /// Below k = 0.3 (where the P_2 combination cancels like k⁻⁴) by Gauss–Legendre in τ.
    let private lambdaOfK (l: int) (t: float) (k: float) =
        if k >= 0.3 then
            let f0 x = -oneMinusCosOver t x + t * SineIntegral.si (t * x)
            let i0 = f0 (1.0 + k) - f0 (1.0 - k)
            if l = 0 then i0 / (2.0 * k)
            else
                let i1 = SineIntegral.cin (t * (1.0 + k)) - SineIntegral.cin (t * (1.0 - k))
                let i2 = 2.0 * k - (sin (t * (1.0 + k)) - sin (t * (1.0 - k))) / t
                -(3.0 * i2 - 6.0 * i1 + (3.0 - k * k) * i0) / (4.0 * k * k * k)
        else
            let panels = max 1 (int (ceil t))
            let x, w = GaussLegendre.on 0.0 1.0 16
            let j = Array.zeroCreate 3
            let mutable sum = 0.0
            for p in 0 .. panels - 1 do
                let a = t * float p / float panels
                let h = t / float panels
                for i in 0 .. x.Length - 1 do
                    let tau = a + h * x.[i]
                    Bessel.sphericalJInto (k * tau) (Span j)
                    sum <- sum + h * w.[i] * (t - tau) * cos tau * j.[l]
            sum

    /// Λ_ℓ(ΔT) = ∫₀^ΔT (ΔT−τ) cos(Ωτ) G_ℓ(τ) dτ, G_ℓ(τ) = ∫ g(k) j_ℓ(kτ) dk — eq. 39 reduced to one time
    /// integral (physics.md §4) — for ℓ ∈ {0, 2}, as ∫ g(k) λ_ℓ(k) dk with λ_ℓ in closed form.
    /// Accuracy: ~1e-10 relative against an independent implementation (tests, reference ~1e-9).
    let lambda (s: Spectrum) (acc: Accuracy) (omegaDT: float) (l: int) : float =
        if l <> 0 && l <> 2 then inputError $"Λ_ℓ is needed for ℓ = 0 and 2 only, got ℓ = {l}"
        if not (omegaDT > 0.0 && Double.IsFinite omegaDT) then inputError $"ΩΔT must be a positive number, got {omegaDT}"
        let t = omegaDT
        // λ_ℓ(k) = πT/(2k)·(1, ½) + wiggles of relative size 1/(Tk)²: resolve the wiggles up to kT = 1000·TailFactor
        let kOsc = min s.KMax (max 40.0 (1000.0 * acc.TailFactor / t))
        let x, w = kNodes acc s.KMin (min kOsc (1.0 / t)) kOsc (Math.PI / (t * acc.PanelsPerPeriod))
        let xt, wt = kNodes acc kOsc s.KMax s.KMax 1.0 // logarithmic above the oscillations
        let mutable sum = 0.0
        for i in 0 .. x.Length - 1 do sum <- sum + w.[i] * Spectrum.g s x.[i] * lambdaOfK l t x.[i]
        for i in 0 .. xt.Length - 1 do sum <- sum + wt.[i] * Spectrum.g s xt.[i] * lambdaOfK l t xt.[i]
        sum

    /// W = ⅔Λ₀ − ⅓Λ₂ (eq. 40) from Λ₀ and Λ₂.
    let wOf (lambda0: float) (lambda2: float) = 2.0 / 3.0 * lambda0 - 1.0 / 3.0 * lambda2

    /// W = ⅔Λ₀ − ⅓Λ₂ (eq. 40).
    let w (s: Spectrum) (acc: Accuracy) (omegaDT: float) = wOf (lambda s acc omegaDT 0) (lambda s acc omegaDT 2)

    /// M^(1a)_ℓℓ = −4π ℓ(ℓ+1) W, ℓ = 0 … lmax (eq. 40 with the erratum 8π → 4π of physics.md §4;
    /// M^(1b) = M^(1a)).
    let m1aDiagonal (w: float) (lmax: int) =
        Array.init (lmax + 1) (fun l -> -4.0 * Math.PI * float (l * (l + 1)) * w)

    // ---- κ (eq. 48) ------------------------------------------------------------------------------

    /// κ_{ℓAℓB}(ΔT) = ∫₀^ΔT∫₀^ΔT dt_A dt_B ∫ dk g(k) j_ℓA(k t_A) j_ℓB(k t_B) cos(Ω(t_A − t_B)) (eq. 48) for
    /// ℓA, ℓB ≤ lmaxKappa, as a symmetric matrix (M^(1c) uses the entries of equal parity only).
    ///
    /// Method (physics.md §4): κ = ∫ dk g [c_A c_B + s_A s_B] with c_ℓ + i s_ℓ = ∫₀^ΔT j_ℓ(kt) e^{it} dt
    /// = ½(−i)^ℓ ∫₋₁¹ P_ℓ(μ) E(1 + kμ) dμ, so that with u_ℓ = 2i^ℓ(c_ℓ + i s_ℓ) = U = P·E — a product of the
    /// Legendre matrix on Gauss nodes μ ∈ [0, 1] and the weighted E(1 ± kμ) on the k nodes — κ is
    /// ¼ Re[i^{B−A} u_A u_B*] summed over the k nodes: a few matrix products, no integral per pair. Above
    /// K = max(40, 2·TailFactor·ℓ/ΔT) the ΔT → ∞ limit c_ℓ + i s_ℓ = (i^ℓ/2k)[πP_ℓ(1/k) + 2iQ_ℓ(1/k)] is
    /// used, blended in smoothly over [K/2, K] so that its oscillating difference D from the finite-ΔT
    /// value integrates away; the non-oscillating part of D_A D_B* (its end-point term at t = ΔT) is
    /// added back in closed form. (Without that term C_ℓ/C_1 moves by 5e-7 between TailFactor 2 and 4;
    /// with it by 1e-8.)
    /// Accuracy: ~1e-9 relative against an independent implementation (tests).
    let kappa (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) : float[,] =
        if not (omegaDT > 0.0 && Double.IsFinite omegaDT) then inputError $"ΩΔT must be a positive number, got {omegaDT}"
        let t = omegaDT
        let lk = lmaxKappa
        let kb = kBreak s acc t lk
        checkKappaSize s acc t lk
        let kx, kw = kNodes acc s.KMin (min kb (1.0 / t)) kb (Math.PI / (t * acc.PanelsPerPeriod))
        // the limit's nodes: those of the blending interval [K/2, K], then logarithmic panels above K
        let blend = kx |> Array.map (fun k -> if kb < s.KMax then window ((k - 0.5 * kb) / (0.5 * kb)) else 1.0)
        let ux, uw = if s.KMax > kb then kNodes acc kb s.KMax s.KMax 1.0 else [||], [||]
        let inBlend = [| for i in 0 .. kx.Length - 1 do if blend.[i] < 1.0 then yield i |]
        let tx = Array.append (inBlend |> Array.map (fun i -> kx.[i])) ux
        let tw = Array.append (inBlend |> Array.map (fun i -> kw.[i] * (1.0 - blend.[i]))) uw
        let nMu = int (muNodes acc kb t lk)
        let mu, muW = GaussLegendre.on 0.0 1.0 nMu
        let nk, nt = kx.Length, tx.Length
        // E(1 ± kμ) = [sin(T(1 ± kμ)) + 2i sin²(T(1 ± kμ)/2)]/(1 ± kμ), weighted by √(w_k g(k)), from one
        // sincos of Tkμ per entry; row-major μ × k
        let st, ct = sin t, cos t
        let ePr, ePi = Array.zeroCreate (nMu * nk), Array.zeroCreate (nMu * nk)
        let eMr, eMi = Array.zeroCreate (nMu * nk), Array.zeroCreate (nMu * nk)
        Parallel.For(0, nk, fun c ->
            let k = kx.[c]
            let sw = sqrt (blend.[c] * kw.[c] * Spectrum.g s k)
            for j in 0 .. nMu - 1 do
                let struct (sa, ca) = Math.SinCos(t * k * mu.[j])
                let e (x: float) (sn: float) (cs: float) =
                    if abs (t * x) < 1e-6 then struct (t, 0.5 * t * t * x) else struct (sn / x, (1.0 - cs) / x)
                let struct (pr, pi) = e (1.0 + k * mu.[j]) (st * ca + ct * sa) (ct * ca - st * sa)
                let struct (mr, mi) = e (1.0 - k * mu.[j]) (st * ca - ct * sa) (ct * ca + st * sa)
                let i = j * nk + c
                ePr.[i] <- sw * pr
                ePi.[i] <- sw * pi
                eMr.[i] <- sw * mr
                eMi.[i] <- sw * mi)
        |> ignore
        // the non-oscillating part of |D|², D = (c + is) − limit ≈ end-point term of ∫_T^∞ j_ℓ(kt) e^{it} dt:
        // Re D_A D_B* → (−1)^{(A−B)/2} [(k+1)⁻² + (k−1)⁻²]/(4k²T²) for equal parities, 0 for mixed ones
        let dd =
            Seq.sum [ for j in 0 .. nt - 1 ->
                          let k = tx.[j]
                          tw.[j] * Spectrum.g s k * (1.0 / ((k + 1.0) * (k + 1.0)) + 1.0 / ((k - 1.0) * (k - 1.0))) / (k * k * t * t) ]
        let buf = Array.zeroCreate (lk + 1)
        // per parity: u_ℓ = 2 i^ℓ (c_ℓ + i s_ℓ) on every node, as (Re, Im) rows for the μ-quadrature nodes and
        // the limit's nodes, where u_ℓ = (−1)^ℓ [πP_ℓ(1/k) + 2iQ_ℓ(1/k)]/k
        let uOf parity =
            let ls = [| parity .. 2 .. lk |]
            let nl = ls.Length
            let sign = if parity = 0 then 1.0 else -1.0
            let p = Array.zeroCreate (nl * nMu)
            for j in 0 .. nMu - 1 do
                Legendre.pInto mu.[j] (Span buf)
                for r in 0 .. nl - 1 do p.[r * nMu + j] <- buf.[ls.[r]] * muW.[j]
            let tailRe, tailIm = Array.zeroCreate (nl * nt), Array.zeroCreate (nl * nt)
            for j in 0 .. nt - 1 do
                let sw = sign * sqrt (tw.[j] * Spectrum.g s tx.[j]) / tx.[j]
                Legendre.pInto (1.0 / tx.[j]) (Span buf)
                for r in 0 .. nl - 1 do tailRe.[r * nt + j] <- Math.PI * buf.[ls.[r]] * sw
                Legendre.qInto (1.0 / tx.[j]) (Span buf)
                for r in 0 .. nl - 1 do tailIm.[r * nt + j] <- 2.0 * buf.[ls.[r]] * sw
            // E(1 + kμ) ± E(1 − kμ) for even/odd ℓ, then u = P·E
            let combine (a: float[]) (b: float[]) = Array.init a.Length (fun i -> a.[i] + sign * b.[i])
            let ure = Dense.multiply p nl nMu (combine ePr eMr) nk
            let uim = Dense.multiply p nl nMu (combine ePi eMi) nk
            ls, ure, uim, tailRe, tailIm
        let parts = [| uOf 0; uOf 1 |]
        let result = Array2D.zeroCreate (lk + 1) (lk + 1)
        // Σ_nodes x_A y_B over both node sets
        let cross (a: int) (b: int) (xa: int) (yb: int) =
            let lsA, reA, imA, tReA, tImA = parts.[a]
            let lsB, reB, imB, tReB, tImB = parts.[b]
            let pick part (re: float[]) (im: float[]) = if part = 0 then re else im
            let main = Dense.multiplyTransposed (pick xa reA imA) lsA.Length nk (pick yb reB imB) lsB.Length
            let tail = Dense.multiplyTransposed (pick xa tReA tImA) lsA.Length nt (pick yb tReB tImB) lsB.Length
            Array.map2 (+) main tail
        for parity in 0 .. 1 do
            // equal parities: κ_AB = ¼ (−1)^{(B−A)/2} Σ (Re u_A Re u_B + Im u_A Im u_B)
            let ls, _, _, _, _ = parts.[parity]
            let nl = ls.Length
            let rr, ii = cross parity parity 0 0, cross parity parity 1 1
            for a in 0 .. nl - 1 do
                for b in 0 .. nl - 1 do
                    let phase = if ((ls.[b] - ls.[a]) / 2) % 2 = 0 then 1.0 else -1.0
                    result.[ls.[a], ls.[b]] <- 0.25 * phase * (rr.[a * nl + b] + ii.[a * nl + b] + dd)
        // mixed parities (A even, B odd): κ_AB = ¼ Re[i^{B−A} u_A u_B*] = ∓¼ Im(u_A u_B*) for B − A ≡ ±1 (mod 4)
        let lsE, _, _, _, _ = parts.[0]
        let lsO, _, _, _, _ = parts.[1]
        let imRe, reIm = cross 0 1 1 0, cross 0 1 0 1
        for a in 0 .. lsE.Length - 1 do
            for b in 0 .. lsO.Length - 1 do
                let im = imRe.[a * lsO.Length + b] - reIm.[a * lsO.Length + b]
                let v = if ((lsO.[b] - lsE.[a]) % 4 + 4) % 4 = 1 then -0.25 * im else 0.25 * im
                result.[lsE.[a], lsO.[b]] <- v
                result.[lsO.[b], lsE.[a]] <- v
        result

    // ---- M^(1c) (eq. 47) and M ----------------------------------------------------------------

    /// M^(1c)_{ℓℓ0} for ℓ = 0 … rows, ℓ0 = 0 … cols (eq. 47, prefactor π as printed; physics.md §4):
    ///   π(2ℓ0+1) Σ_{ℓA,ℓB} i^{ℓB−ℓA} (2ℓA+1)(2ℓB+1)·2·(ℓA ℓ ℓ0; 0 0 0)(ℓB ℓ ℓ0; 0 0 0) S_AB κ_AB,
    ///   S_AB = Σ_m (2ℓ0(ℓ0+1) − 2m²)(ℓA ℓ ℓ0; 0 m −m)(ℓB ℓ ℓ0; 0 m −m),
    /// with ℓA ≡ ℓB ≡ ℓ + ℓ0 (mod 2). The m sum acts on the coupled state |(ℓ ℓ0) ℓA 0⟩ as the rank-0 plus
    /// rank-2 operator 2(L0² − L0z²), so S_AB = 0 unless |ℓA − ℓB| ≤ 2; its rank-0 part follows from
    /// Σ_m (ℓA ℓ ℓ0; 0 m −m)(ℓB ℓ ℓ0; 0 m −m) = δ_AB/(2ℓA+1). The m² part is summed over the 3j families
    /// in ℓA (Schulten–Gordon), computed once per unordered pair {ℓ, ℓ0} (the families are symmetric).
    let m1cBlock (kappa: float[,]) (rows: int) (cols: int) : float[,] =
        if Array2D.length1 kappa < rows + cols + 1 then
            inputError $"M^(1c) for ℓ ≤ {rows}, ℓ0 ≤ {cols} needs κ up to ℓ = {rows + cols}, got {Array2D.length1 kappa - 1}"
        let res = Array2D.zeroCreate (rows + 1) (cols + 1)
        let top = max rows cols
        Parallel.For(0, top + 1, (fun () -> Array.zeroCreate (2 * top + 2), Array.zeroCreate (2 * top + 2)), (fun hi _ (w0buf: float[], wmbuf: float[]) ->
            // unordered pairs {lo ≤ hi}: the families over ℓA (from hi − lo to hi + lo) serve both orders
            for lo in 0 .. hi do
                let wantLoHi = lo <= rows && hi <= cols
                let wantHiLo = hi <= rows && lo <= cols
                if wantLoHi || wantHiLo then
                    let amin = hi - lo
                    let n = 2 * lo + 1
                    Wigner3j.familyInto lo hi 0 0 (Span(w0buf, 0, n)) |> ignore
                    // y.[i] = Σ_m m² w_m(A) w_m(A), y2.[i] = Σ_m m² w_m(A) w_m(A+2), A = amin + i, m = ±1 … ±lo
                    let y = Array.zeroCreate n
                    let y2 = Array.zeroCreate n
                    for m in 1 .. lo do
                        Wigner3j.familyInto lo hi m (-m) (Span(wmbuf, 0, n)) |> ignore
                        let m2 = 2.0 * float (m * m)
                        for i in 0 .. 2 .. n - 1 do
                            y.[i] <- y.[i] + m2 * wmbuf.[i] * wmbuf.[i]
                            if i + 2 < n then y2.[i] <- y2.[i] + m2 * wmbuf.[i] * wmbuf.[i + 2]
                    // the element in column ℓ0: S_AB = 2ℓ0(ℓ0+1)·δ_AB/(2A+1) − 2 Y_AB
                    let element (l0: int) =
                        let c0 = 2.0 * float (l0 * (l0 + 1))
                        let mutable sum = 0.0
                        for i in 0 .. 2 .. n - 1 do
                            let a = amin + i
                            let fa = float (2 * a + 1)
                            sum <- sum + (c0 / fa - 2.0 * y.[i]) * fa * fa * w0buf.[i] * w0buf.[i] * kappa.[a, a]
                            if i + 2 < n then
                                // B = A ± 2: i^{B−A} = −1, both orders
                                let fb = float (2 * a + 5)
                                sum <- sum + 4.0 * y2.[i] * fa * fb * w0buf.[i] * w0buf.[i + 2] * kappa.[a, a + 2]
                        Math.PI * float (2 * l0 + 1) * 2.0 * sum
                    if wantLoHi then res.[lo, hi] <- element hi
                    if wantHiLo && lo <> hi then res.[hi, lo] <- element lo
            w0buf, wmbuf), ignore)
        |> ignore
        res

    /// The square block ℓ, ℓ0 = 0 … lmax of M^(1c) (needs κ up to 2 lmax).
    let m1c (kappa: float[,]) (lmax: int) : float[,] = m1cBlock kappa lmax lmax

    /// M = I + 2M^(1a) + M^(1c) (eqs. 27, 40, 47; M^(1b) = M^(1a)).
    let matrix (m1aDiag: float[]) (m1c: float[,]) : float[,] =
        let n = m1aDiag.Length
        Array2D.init n n (fun i j -> (if i = j then 1.0 + 2.0 * m1aDiag.[i] else 0.0) + m1c.[i, j])

    /// Σ_{ℓ ≤ lmax} (2ℓ+1)(2M^(1a) + M^(1c))_{ℓℓ0} for each ℓ0: zero for every ℓ0 ≥ 1 if total sky power is
    /// conserved (physics.md §4), up to the power that leaves through ℓ > lmax.
    let sumRule (m1aDiag: float[]) (m1c: float[,]) : float[] =
        let n = m1aDiag.Length
        Array.init n (fun l0 ->
            let mutable s = 0.0
            for l in 0 .. n - 1 do
                s <- s + float (2 * l + 1) * ((if l = l0 then 2.0 * m1aDiag.[l] else 0.0) + m1c.[l, l0])
            s)

    // ---- steady state (eq. 20) and time dependence (eq. 19) -------------------------------------

    /// The steady state of eq. 20 on ℓ = 1 … lmax: −(2M^(1a) + M^(1c)) C = ΩΔT e₁, i.e. C_ℓ in units of S/Ω
    /// with S = (8π/3) K_zz (∂_z f̄/f̄)². Returns C_ℓ for ℓ = 0 … lmax with C_0 = 0 (the monopole is
    /// driven and has no steady state).
    let steadyState (m1aDiag: float[]) (m1c: float[,]) (omegaDT: float) : float[] =
        let n = m1aDiag.Length - 1
        let a = Matrix<float>.Build.Dense(n, n, fun i j ->
            -((if i = j then 2.0 * m1aDiag.[i + 1] else 0.0) + m1c.[i + 1, j + 1]))
        let b = Vector<float>.Build.Dense(n)
        b.[0] <- omegaDT
        let c = a.Solve b
        Array.init (n + 1) (fun l -> if l = 0 then 0.0 else c.[l - 1])

    /// e^A for a square matrix: scaling and squaring with a Taylor series (‖A/2^s‖₁ ≤ ½, 24 terms).
    let private expm (a: Matrix<float>) =
        let norm = a.L1Norm()
        let s = if norm <= 0.5 then 0 else int (ceil (Math.Log2(norm / 0.5)))
        let b = a / Math.Pow(2.0, float s)
        let n = a.RowCount
        let mutable term = Matrix<float>.Build.DenseIdentity n
        let mutable sum = Matrix<float>.Build.DenseIdentity n
        for k in 1 .. 24 do
            term <- term * b / float k
            sum <- sum + term
        for _ in 1 .. s do sum <- sum * sum
        sum

    /// Time dependence (eq. 19): C_ℓ(nΔT), n = 0 … steps, on ℓ = 1 … lmax (units S/Ω), from a dipole-only
    /// start C_1(0) = c1 (e.g. the QLT dipole 4πK_zz²(∂_z f̄/f̄)² = (3/2)ΩK_zz S/Ω).
    ///
    /// Eq. 19 iterated literally, C ← M C + ΩΔT e₁, diverges: M = I + 2M^(1a) + M^(1c) is a first-order
    /// expansion in ΔT and has eigenvalues far outside the unit circle at large ℓ (spectral radius ~6e3
    /// for ρ = 8.9e-3, ℓmax = 100; tests). We therefore integrate the equation that eq. 18 is the first-order
    /// step of, dC/dt = G C + e₁ with G = (2M^(1a) + M^(1c))/ΔT: its steady state is exactly eq. 20, and
    /// since (2ℓ+1)-weighted columns of G sum to ≤ 0 with non-negative off-diagonal mixing it relaxes to
    /// it. Step by step: C(t+ΔT) = P C(t) + G⁻¹(P − I) e₁ with P = e^{GΔT}.
    let evolve (m1aDiag: float[]) (m1c: float[,]) (omegaDT: float) (c1: float) (steps: int) : float[][] =
        let n = m1aDiag.Length - 1
        let g = Matrix<float>.Build.Dense(n, n, fun i j ->
            ((if i = j then 2.0 * m1aDiag.[i + 1] else 0.0) + m1c.[i + 1, j + 1]) / omegaDT)
        let p = expm (g * omegaDT)
        let e1 = Vector<float>.Build.Dense(n)
        e1.[0] <- 1.0
        let drive = g.Solve((p - Matrix<float>.Build.DenseIdentity n) * e1)
        let states = Array.zeroCreate (steps + 1)
        let mutable c = Vector<float>.Build.Dense(n)
        c.[0] <- c1
        for k in 0 .. steps do
            if k > 0 then c <- p * c + drive
            states.[k] <- Array.init (n + 1) (fun l -> if l = 0 then 0.0 else c.[l - 1])
        states

    // ---- spectrum analysis -----------------------------------------------------------------------

    /// Least-squares power law C_ℓ ≈ c ℓ^index over ℓ = lo … hi (all C_ℓ must be positive): (index, c).
    let powerLaw (cl: float[]) (lo: int) (hi: int) : float * float =
        if lo < 1 || hi >= cl.Length || hi - lo < 1 then
            inputError $"a power-law fit needs 1 ≤ ℓ_lo < ℓ_hi ≤ {cl.Length - 1}, got {lo} … {hi}"
        match [ lo .. hi ] |> List.tryFind (fun l -> not (cl.[l] > 0.0)) with
        | Some l -> inputError $"C_{l} = {cl.[l]:G4} is not positive; no power law can be fitted over ℓ = {lo} … {hi}"
        | None -> ()
        let xs = [| for l in lo .. hi -> log (float l) |]
        let ys = [| for l in lo .. hi -> log cl.[l] |]
        let mx, my = Array.average xs, Array.average ys
        let sxy = Array.fold2 (fun a x y -> a + (x - mx) * (y - my)) 0.0 xs ys
        let sxx = xs |> Array.sumBy (fun x -> (x - mx) * (x - mx))
        let index = sxy / sxx
        index, exp (my - index * mx)

    /// The spectrum continued beyond its ℓmax to lTo by a power law fitted to its tail (the paper's
    /// extrapolation, Sec. 2.2.3). The fit uses ℓ ∈ [ℓmax/4, ℓmax/2]: above ℓmax/2 the truncation bends the
    /// spectrum down (power leaves through ℓ > ℓmax), which a power law must not follow.
    let extend (cl: float[]) (lTo: int) : float[] =
        let lmax = cl.Length - 1
        if lmax < 8 then inputError $"extending a spectrum needs ℓmax ≥ 8, got {lmax}"
        let index, c = powerLaw cl (lmax / 4) (lmax / 2)
        Array.init (max (lTo + 1) cl.Length) (fun l -> if l <= lmax then cl.[l] else c * float l ** index)
