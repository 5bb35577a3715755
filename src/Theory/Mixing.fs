namespace SkyMix.Theory

open System
open System.Threading.Tasks

/// The mixing matrix of the paper (eqs. 17–51) for slab turbulence, with the corrections of docs/physics.md §4.
/// Units Ω = c = 1; ΔT is ΩΔT.
[<RequireQualifiedAccess>]
module Mixing =

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
    /// integral (docs/physics.md §4) — for ℓ ∈ {0, 2}, as ∫ g(k) λ_ℓ(k) dk with λ_ℓ in closed form.
    /// Accuracy: ~1e-10 relative against an independent implementation (tests, reference ~1e-9).
    let lambda (s: Spectrum) (acc: Accuracy) (omegaDT: float) (l: int) : float =
        if l <> 0 && l <> 2 then inputError $"Λ_ℓ is needed for ℓ = 0 and 2 only, got ℓ = {l}"
        if not (omegaDT > 0.0 && Double.IsFinite omegaDT) then inputError $"ΩΔT must be a positive number, got {omegaDT}"
        let t = omegaDT
        // λ_ℓ(k) = πT/(2k)·(1, ½) + wiggles of relative size 1/(Tk)²: resolve the wiggles up to kT = 1000·TailFactor
        let kOsc = min s.KMax (max 40.0 (1000.0 * acc.TailFactor / t))
        let x, w = KGrid.nodes acc s.KMin (min kOsc (1.0 / t)) kOsc (Math.PI / (t * acc.PanelsPerPeriod))
        let xt, wt = KGrid.nodes acc kOsc s.KMax s.KMax 1.0 // logarithmic above the oscillations
        let mutable sum = 0.0
        for i in 0 .. x.Length - 1 do sum <- sum + w.[i] * Spectrum.g s x.[i] * lambdaOfK l t x.[i]
        for i in 0 .. xt.Length - 1 do sum <- sum + wt.[i] * Spectrum.g s xt.[i] * lambdaOfK l t xt.[i]
        sum

    /// The work of Λ₀ and Λ₂ together, in spherical-Bessel evaluations: one per node at k ≥ 0.3, 16⌈ΩΔT⌉ per
    /// node below (the τ quadrature there). It grows as (ΩΔT)², so large ΩΔT are costed before they start.
    let lambdaWork (s: Spectrum) (acc: Accuracy) (omegaDT: float) =
        let t = omegaDT
        let kOsc = min s.KMax (max 40.0 (1000.0 * acc.TailFactor / t))
        let x, _ = KGrid.nodes acc s.KMin (min kOsc (1.0 / t)) kOsc (Math.PI / (t * acc.PanelsPerPeriod))
        let xt, _ = KGrid.nodes acc kOsc s.KMax s.KMax 1.0
        let per k = if k >= 0.3 then 1.0 else 16.0 * ceil (max 1.0 t)
        2.0 * (Array.sumBy per x + Array.sumBy per xt)

    /// W = ⅔Λ₀ − ⅓Λ₂ (eq. 40) from Λ₀ and Λ₂.
    let wOf (lambda0: float) (lambda2: float) = 2.0 / 3.0 * lambda0 - 1.0 / 3.0 * lambda2

    /// W = ⅔Λ₀ − ⅓Λ₂ (eq. 40).
    let w (s: Spectrum) (acc: Accuracy) (omegaDT: float) = wOf (lambda s acc omegaDT 0) (lambda s acc omegaDT 2)

    /// M^(1a)_ℓℓ = −4π ℓ(ℓ+1) W, ℓ = 0 … lmax (eq. 40 with the erratum 8π → 4π of docs/physics.md §4;
    /// M^(1b) = M^(1a)).
    let m1aDiagonal (w: float) (lmax: int) =
        Array.init (lmax + 1) (fun l -> -4.0 * Math.PI * (float l * float (l + 1)) * w)

    // ---- M^(1c) (eq. 47) and M ----------------------------------------------------------------

    /// (d ℓ0+d ℓ0; 0 0 0)² at ℓ0 + 1 over its value at ℓ0 = lo: (2lo+1)(lo+d+1)/((lo+1)(2lo+2d+3)); the first
    /// member (|ℓ − ℓ0| ℓ ℓ0; 0 0 0)² of a family is 1/(2d+1) at lo = 0 (from the closed form in factorials).
    let firstRatio (d: int) (lo: int) =
        float (2 * lo + 1) * float (lo + d + 1) / (float (lo + 1) * float (2 * lo + 2 * d + 3))

    /// The elements (M^(1c)_{lo,hi}, M^(1c)_{hi,lo}) of one pair lo ≤ hi (see m1cBlock), from the first member
    /// `first` = (hi−lo lo hi; 0 0 0)² of the 3j family; A runs from hi − lo up to min(hi + lo, aCap) (a cap
    /// below hi + lo is exact when κ vanishes above it).
    let pair (kappa: KappaBand) (lo: int) (hi: int) (first: float) (aCap: int) : struct (float * float) =
        let kd, kn = kappa.Diagonal, kappa.Next
        let amin = hi - lo
        let d2 = float amin ** 2.0
        let p2 = float (hi + lo + 1) ** 2.0
        let e2 (a: float) = (a * a - d2) * (p2 - a * a)
        let top = min (hi + lo) aCap
        // s1 = Σ_A (2A+1) w0² κ_AA; s2 = −2 Σ_A Y_AA (2A+1)² w0² κ_AA + 4 Σ_A Y_{A,A+2} (2A+1)(2A+5) w0_A w0_{A+2} κ_{A,A+2}
        // (i^{B−A} = −1 for B = A ± 2, both orders; w0_A w0_{A+2} < 0); w0² = (A lo hi; 0 0 0)², A ≡ hi − lo (mod 2)
        let mutable s1 = 0.0
        let mutable s2 = 0.0
        let mutable q = first
        let mutable ai = amin
        while ai <= top do
            let a = float ai
            let fa = 2.0 * a + 1.0
            let eUp = e2 (a + 1.0)
            let yaa = (eUp / (fa + 2.0) + (if ai > amin then e2 a / (fa - 2.0) else 0.0)) / (4.0 * fa * fa)
            s1 <- s1 + fa * q * kd.[ai]
            s2 <- s2 - 2.0 * yaa * fa * fa * q * kd.[ai]
            if ai + 2 <= top then
                let qNext = q * eUp / e2 (a + 2.0)
                // 4 Y_{A,A+2} (2A+1)(2A+5) w0_A w0_{A+2} = −√(e(A+1)² e(A+2)² w0_A² w0_{A+2}²)/(2A+3)
                s2 <- s2 - sqrt (eUp * e2 (a + 2.0) * q * qNext) / (fa + 2.0) * kn.[ai]
                q <- qNext
            ai <- ai + 2
        let element (l0: int) = 2.0 * Math.PI * float (2 * l0 + 1) * (2.0 * float l0 * float (l0 + 1) * s1 + s2)
        struct (element hi, element lo)

    /// M^(1c)_{ℓℓ0} for ℓ = 0 … rows, ℓ0 = 0 … cols (eq. 47, prefactor π as printed):
    ///   π(2ℓ0+1) Σ_{ℓA,ℓB} i^{ℓB−ℓA} (2ℓA+1)(2ℓB+1)·2·(ℓA ℓ ℓ0; 0 0 0)(ℓB ℓ ℓ0; 0 0 0) S_AB κ_AB,
    ///   S_AB = Σ_m (2ℓ0(ℓ0+1) − 2m²)(ℓA ℓ ℓ0; 0 m −m)(ℓB ℓ ℓ0; 0 m −m),
    /// with ℓA ≡ ℓB ≡ ℓ + ℓ0 (mod 2).
    ///
    /// The m sums in closed form: with w_m(A) = (A ℓ ℓ0; 0 m −m), Schulten & Gordon's recursion in A at
    /// m1 = 0 reads m w_m(A) = [e(A+1) w_m(A+1) + e(A) w_m(A−1)]/(2(2A+1)), e(A)² = (A² − (ℓ−ℓ0)²)((ℓ+ℓ0+1)² − A²),
    /// independent of m; with Σ_m w_m(A) w_m(B) = δ_AB/(2A+1) it gives Y_AB = Σ_m m² w_m(A) w_m(B):
    ///   Y_AA = e(A+1)²/(4(2A+1)²(2A+3)) + e(A)²/(4(2A+1)²(2A−1)),  Y_{A,A+2} = e(A+1)e(A+2)/(4(2A+1)(2A+3)(2A+5)),
    /// and 0 for |A − B| > 2. So S_AB = 2ℓ0(ℓ0+1)δ_AB/(2A+1) − 2Y_AB needs only κ_AA and κ_{A,A+2}, and
    /// each element costs O(min(ℓ, ℓ0)): O(ℓ_max³) for the matrix. The (A ℓ ℓ0; 0 0 0)² come from their
    /// two-step ratio in A, started from the family's first member, which follows from the previous pair on
    /// the same diagonal ℓ − ℓ0 (firstRatio); Y, and hence each pair {ℓ, ℓ0}, is symmetric in ℓ ↔ ℓ0, so both
    /// orders share one pass. Tests: equal to the literal double sum over ℓA, ℓB, m with single 3j symbols to
    /// 1e-12.
    let m1cBlock (kappa: KappaBand) (rows: int) (cols: int) : float[,] =
        if kappa.Diagonal.Length < rows + cols + 1 then
            inputError $"M^(1c) for ℓ ≤ {rows}, ℓ0 ≤ {cols} needs κ up to ℓ = {rows + cols}, got {kappa.Diagonal.Length - 1}"
        let res = Array2D.zeroCreate (rows + 1) (cols + 1)
        let top = max rows cols
        // one diagonal d = hi − lo per task: the first 3j of each pair follows from the previous pair's
        Parallel.For(0, top + 1, fun d ->
            let mutable first = 1.0 / float (2 * d + 1)
            for lo in 0 .. top - d do
                let hi = lo + d
                if lo > 0 then first <- first * firstRatio d (lo - 1)
                let wantLoHi = lo <= rows && hi <= cols
                let wantHiLo = hi <= rows && lo <= cols
                if wantLoHi || wantHiLo then
                    let struct (toHi, toLo) = pair kappa lo hi first Int32.MaxValue
                    if wantLoHi then res.[lo, hi] <- toHi
                    if wantHiLo && lo <> hi then res.[hi, lo] <- toLo)
        |> ignore
        res

    /// The square block ℓ, ℓ0 = 0 … lmax of M^(1c) (needs κ up to 2 lmax).
    let m1c (kappa: KappaBand) (lmax: int) : float[,] = m1cBlock kappa lmax lmax

    /// M = I + 2M^(1a) + M^(1c) (eqs. 27, 40, 47; M^(1b) = M^(1a)).
    let matrix (m1aDiag: float[]) (m1c: float[,]) : float[,] =
        let n = m1aDiag.Length
        Array2D.init n n (fun i j -> (if i = j then 1.0 + 2.0 * m1aDiag.[i] else 0.0) + m1c.[i, j])

    /// Σ_{ℓ ≤ lmax} (2ℓ+1)(2M^(1a) + M^(1c))_{ℓℓ0} for each ℓ0: zero for every ℓ0 ≥ 1 if total sky power is
    /// conserved (docs/physics.md §4), up to the power that leaves through ℓ > lmax.
    let sumRule (m1aDiag: float[]) (m1c: float[,]) : float[] =
        let n = m1aDiag.Length
        Array.init n (fun l0 ->
            let mutable s = 0.0
            for l in 0 .. n - 1 do
                s <- s + float (2 * l + 1) * ((if l = l0 then 2.0 * m1aDiag.[l] else 0.0) + m1c.[l, l0])
            s)
