namespace SkyMix.Theory

open System

/// Physical constants and the conversions between rigidity, gyroradius, ρ and Ω (docs/physics.md §1).
/// Theory units: c = 1, time in 1/Ω, length in c/Ω, where Ω = qB0/p is the gyrofrequency in the regular
/// field B0 = B_rms √(1−η) (not in B_rms).
[<RequireQualifiedAccess>]
module Units =

    /// Speed of light [m/s] (exact, SI).
    let c = 299792458.0
    /// Parsec [m] (IAU 2015).
    let parsec = 3.0856775814913673e16
    /// Microgauss [T].
    let microgauss = 1e-10

    /// A rigidity [V] as a physicist writes it: 10 TV, 1.5 PV, 300 GV (4 significant digits; `separator` between
    /// number and unit: " " for text, "" for the command-line syntax 10TV).
    let rigidityText (separator: string) (volts: float) =
        let value, unit = if volts >= 1e15 then volts / 1e15, "PV" elif volts >= 1e12 then volts / 1e12, "TV" else volts / 1e9, "GV"
        value.ToString("G4", Globalization.CultureInfo.InvariantCulture) + separator + unit

    /// The paper's smallest wavelength, λ_min = r_g/150 at the smallest rigidity of a study (Sec. 2.1.2).
    let lambdaMinOverRgPaper = 150.0

    /// Gyroradius r_g = pc/(qB_rms) = R/(c B_rms) [pc] for rigidity R [V] in B_rms [µG]:
    /// 1.0810 pc · (R / 1 PV)/(B_rms / 1 µG).
    let gyroradiusPc (rigidityVolt: float) (bRmsMicroGauss: float) =
        rigidityVolt / (c * bRmsMicroGauss * microgauss) / parsec

    /// ρ = r_g/L_c.
    let rho (rigidityVolt: float) (bRmsMicroGauss: float) (lcParsec: float) =
        gyroradiusPc rigidityVolt bRmsMicroGauss / lcParsec

    /// ρ = r_g/L_c of input values, each checked first: an InputError names the first that is not a positive
    /// number (the rigidity, then --brms, then --lc), or says that ρ itself leaves double precision — so every
    /// command refuses the same input the same way.
    let rhoOfInputs (rigidityVolt: float) (bRmsMicroGauss: float) (lcParsec: float) =
        let positive x = x > 0.0 && Double.IsFinite x
        if not (positive rigidityVolt) then inputError $"a rigidity must be a positive number of volts, got {rigidityVolt} V"
        if not (positive bRmsMicroGauss) then inputError $"--brms must be a positive field in µG, got {bRmsMicroGauss}"
        if not (positive lcParsec) then inputError $"--lc must be a positive length in pc, got {lcParsec}"
        let r = rho rigidityVolt bRmsMicroGauss lcParsec
        if not (positive r) then
            let g (x: float) = x.ToString("G6", Globalization.CultureInfo.InvariantCulture)
            let rigidity = rigidityText " " rigidityVolt
            inputError (
                $"ρ = r_g/L_c of {rigidity} in B_rms = {g bRmsMicroGauss} µG over L_c = {g lcParsec} pc is {r}, " +
                $"outside double precision: the field or the length is unphysically " + (if Double.IsFinite r then "large" else "small"))
        r

    /// The theory's length unit c/Ω in pc: r_g/√(1 − η) (Ω is the gyrofrequency in B0 = B_rms√(1 − η)).
    let lengthUnitPc (gyroradiusParsec: float) (eta: float) = gyroradiusParsec / sqrt (1.0 - eta)

    /// L_c in units of c/Ω: √(1 − η)/ρ.
    let lcInLengthUnits (rho: float) (eta: float) = sqrt (1.0 - eta) / rho

    /// Seconds in a Julian year.
    let secondsPerYear = 365.25 * 86400.0

    /// A time in units of 1/Ω (e.g. Ωτ_s) in years, for Ω [1/s].
    let years (omegaTime: float) (omegaPerSecond: float) = omegaTime / omegaPerSecond / secondsPerYear

    /// A diffusion coefficient in units of c²/Ω converted to cm²/s, for Ω [1/s].
    let diffusionCm2PerSecond (kzz: float) (omegaPerSecond: float) = kzz * c * c / omegaPerSecond * 1e4

    /// k_max [Ω/c] of a smallest wavelength λ_min = r_g/n: 2πn/√(1 − η).
    let kMaxOfLambdaMin (n: float) (eta: float) = 2.0 * Math.PI * n / sqrt (1.0 - eta)

    /// Ω [1/s] for gyroradius r_g [pc] and turbulence level η.
    let omegaPerSecond (gyroradiusParsec: float) (eta: float) = sqrt (1.0 - eta) * c / (gyroradiusParsec * parsec)

    /// k_min/Ω = 2π/L_max in units of Ω/c, with L_max = 5 L_c: 2πρ/(5√(1−η)).
    let kMin (rho: float) (eta: float) = 2.0 * Math.PI * rho / (5.0 * sqrt (1.0 - eta))

    /// Default k_max/Ω: the smallest wavelength is r_g/150 at the smallest rigidity ρ_min of a study
    /// (paper, Sec. 2.1.2): 300π (ρ/ρ_min)/√(1−η).
    let kMaxDefault (rho: float) (rhoMin: float) (eta: float) = kMaxOfLambdaMin (lambdaMinOverRgPaper * rho / rhoMin) eta

/// The slab turbulence spectrum, defined once for the theory, QLT and the field generator
/// (paper eq. 28 with δ(k⊥)/k⊥; docs/physics.md §2): ⟨ω_a(z) ω_b(z')⟩ = 4π δ_ab ∫₀^∞ g(k) cos(k(z−z')) dk for
/// a, b ∈ {x, y}, ω = qδB/p in units of Ω, with g(k) = A k^{−q} on [k_min, k_max] and 0 outside, k in
/// units of Ω/c. Normalisation: 8π ∫ g dk = ⟨δB²⟩/B0² = η/(1−η).
type Spectrum =
    { /// amplitude A of g(k) = A k^{−q}
      A: float
      /// spectral index q (5/3 for Kolmogorov)
      Q: float
      /// smallest wavenumber [Ω/c]
      KMin: float
      /// largest wavenumber [Ω/c]
      KMax: float }

[<RequireQualifiedAccess>]
module Spectrum =

    /// ∫_{k1}^{k2} k^{−q} dk.
    let private powerIntegral (q: float) (k1: float) (k2: float) =
        if abs (q - 1.0) < 1e-12 then log (k2 / k1) else (k1 ** (1.0 - q) - k2 ** (1.0 - q)) / (q - 1.0)

    /// The spectrum with index q on [kMin, kMax] normalised to 8π ∫ g dk = η/(1−η).
    let create (q: float) (kMin: float) (kMax: float) (eta: float) : Spectrum =
        if not (eta > 0.0 && eta < 1.0) then inputError $"η must lie in (0, 1), got {eta}"
        if not (kMin > 0.0 && Double.IsFinite kMin) then
            inputError "k_min = 2π/L_max = 2πρ/(5√(1−η)) overflows double precision: ρ (or 1/√(1−η)) is far too large"
        if not (kMax > kMin && Double.IsFinite kMax) then
            inputError $"k_max must exceed k_min = 2π/L_max = {kMin:G4} Ω/c, got k_max = {kMax:G6} Ω/c: lower ρ or raise k_max (k_min grows with ρ)"
        // the Λ and κ quadratures have logarithmic panels up to k_max and special functions of kΔT: beyond 20 decades
        // they slow without bound (k_max = 1e308 never finishes) while the field holds no physics a run resolves
        if kMax / kMin > 1e20 then
            inputError $"k_max = {kMax:G3} Ω/c is more than 20 decades above k_min = {kMin:G3} Ω/c; give a k_max below {1e20 * kMin:G3} Ω/c"
        // q → 2 pushes K_zz's quadrature nodes μ = t^{1/(2−q)} below the smallest double (q = 1.99 gives NaN)
        if not (q > 0.0 && q <= 1.95) then inputError $"the spectral index q must lie in (0, 1.95], got {q} (q = 5/3 is Kolmogorov, 3/2 Kraichnan)"
        let a = eta / (1.0 - eta) / (8.0 * Math.PI * powerIntegral q kMin kMax)
        { A = a; Q = q; KMin = kMin; KMax = kMax }

    /// g(k): A k^{−q} on [k_min, k_max], 0 outside.
    let g (s: Spectrum) (k: float) = if k >= s.KMin && k <= s.KMax then s.A * k ** -s.Q else 0.0

    /// The power law A k^{−q} without the cut-offs (the QLT resonance uses it for every k).
    let powerLaw (s: Spectrum) (k: float) = s.A * k ** -s.Q

    /// 8π ∫_{k1}^{k2} g(k) dk: the share of ⟨δB²⟩/B0² carried by the band [k1, k2].
    let bandVariance (s: Spectrum) (k1: float) (k2: float) =
        let lo, hi = max k1 s.KMin, min k2 s.KMax
        if hi <= lo then 0.0 else 8.0 * Math.PI * s.A * powerIntegral s.Q lo hi

    /// ⟨δB²⟩/B0² = 8π ∫ g dk.
    let variance (s: Spectrum) = bandVariance s s.KMin s.KMax

    /// The same shape with every g multiplied by f (C_ℓ/C_1 at fixed ΩΔT must not change).
    let scaled (f: float) (s: Spectrum) = { s with A = f * s.A }

/// One periodic part of a slab field (one nested grid): δB_x/B0, δB_y/B0 at z, its period and its grid spacing
/// (lengths in c/Ω).
type FieldPart = { Sample: Func<float, struct (float * float)>; Period: float; Spacing: float }

/// The local mean field of the paper's Sec. 3.3: δB averaged over |z| < L_avg/2 around the observer, and the
/// angle α between B0 + that average and B0.
[<RequireQualifiedAccess>]
module LocalField =

    /// L_avg = L_c/30: the paper's choice ("sufficiently smaller than the correlation length"; it reports the
    /// results insensitive to it). Lengths in any one unit.
    let averagingLength (lc: float) = lc / 30.0

    /// Variance of one component of ω averaged over a length L [units of Ω²]: 4π ∫ g(k) sinc²(kL/2) dk. Gauss–
    /// Legendre on logarithmic panels while kL/2 ≤ 50; above, sinc² by its mean 2/(kL)² in closed form (the
    /// neglected oscillation is a relative 1/(kL) of a tail below 1e-3 of the total).
    let averagedVariance (s: Spectrum) (length: float) =
        if not (length > 0.0 && Double.IsFinite length) then inputError $"the averaging length must be positive, got {length}"
        let kSwitch = min s.KMax (max s.KMin (100.0 / length))
        let x, w = GaussLegendre.rule 16
        let panels = max 1 (int (ceil (20.0 * log10 (kSwitch / s.KMin))))
        let mutable sum = 0.0
        for p in 0 .. panels - 1 do
            let a = s.KMin * (kSwitch / s.KMin) ** (float p / float panels)
            let b = s.KMin * (kSwitch / s.KMin) ** (float (p + 1) / float panels)
            let h = 0.5 * (b - a)
            for i in 0 .. x.Length - 1 do
                let k = a + h * (x.[i] + 1.0)
                let y = 0.5 * k * length
                let sinc = if abs y < 1e-8 then 1.0 else sin y / y
                sum <- sum + h * w.[i] * Spectrum.g s k * sinc * sinc
        // ∫_{kSwitch}^{kmax} A k^{−q}·2/(kL)² dk
        let tail =
            if s.KMax > kSwitch then
                2.0 * s.A / (length * length) * (kSwitch ** (-s.Q - 1.0) - s.KMax ** (-s.Q - 1.0)) / (s.Q + 1.0)
            else 0.0
        4.0 * Math.PI * (sum + tail)

    /// ⟨cos α⟩ for the Gaussian averaged field: with b̄_x, b̄_y independent of variance σ² (averagedVariance, in
    /// units of B0²), X = b̄_x² + b̄_y² is exponential with mean m = 2σ² and cos α = (1 + X)^{−1/2}, so
    /// ⟨cos α⟩ = √(π/m) e^{1/m} erfc(1/√m). At η = 0.5 without averaging (m = 1) it is 0.7578.
    let meanCosAlpha (s: Spectrum) (length: float) =
        let m = 2.0 * averagedVariance s length
        let x = 1.0 / sqrt m
        // e^{x²} erfc(x): directly while it is accurate, else its asymptotic series (relative error < 1e-10 for x > 6)
        let erfcx =
            if x < 6.0 then exp (x * x) * MathNet.Numerics.SpecialFunctions.Erfc x
            else 1.0 / (x * sqrt Math.PI) * (1.0 - 1.0 / (2.0 * x * x) + 3.0 / (4.0 * x ** 4.0) - 15.0 / (8.0 * x ** 6.0))
        sqrt Math.PI * x * erfcx

    /// The local mean field measured on one field made of periodic parts (the nested grids): δB_x/B0, δB_y/B0
    /// averaged over z ∈ [−L/2, L/2], giving B_i/B0 = (b̄_x, b̄_y, 1) and cos α_i = (1 + b̄_x² + b̄_y²)^{−1/2}.
    /// Each part is integrated by the midpoint rule with max(2001, 20·length/spacing) points on its own grid
    /// spacing; where L spans whole periods of a part, they are one period's integral times their number, so the
    /// work is bounded by 40 samples per grid point however long L is (L_c/30 of a tiny ρ spans millions of
    /// periods). Its ensemble agrees with averagedVariance and meanCosAlpha (test).
    let measure (parts: FieldPart[]) (length: float) : struct (float[] * float) =
        let integral (part: FieldPart) (a: float) (b: float) =
            let n = int (max 2001.0 (20.0 * (b - a) / part.Spacing)) ||| 1
            let h = (b - a) / float n
            let mutable ix, iy = 0.0, 0.0
            for k in 0 .. n - 1 do
                let struct (bx, by) = part.Sample.Invoke(a + h * (float k + 0.5))
                ix <- ix + bx
                iy <- iy + by
            ix * h, iy * h
        let mutable sx, sy = 0.0, 0.0
        for part in parts do
            let whole = floor (length / part.Period)
            let px, py = if whole >= 1.0 then integral part 0.0 part.Period else (0.0, 0.0)
            let rx, ry = integral part (-0.5 * length + whole * part.Period) (0.5 * length)
            sx <- sx + whole * px + rx
            sy <- sy + whole * py + ry
        let mx, my = sx / length, sy / length
        struct ([| mx; my; 1.0 |], 1.0 / sqrt (1.0 + mx * mx + my * my))

/// Quasi-linear theory of pitch-angle scattering in slab turbulence (docs/physics.md §3).
[<RequireQualifiedAccess>]
module Qlt =

    /// D_μμ(μ) = 2π² (1−μ²) g(1/|μ|)/|μ| (gyroresonance k = Ω/|μ|, the power law for all |μ|).
    let dmumu (s: Spectrum) (mu: float) =
        let a = abs mu
        2.0 * Math.PI * Math.PI * (1.0 - mu * mu) * Spectrum.powerLaw s (1.0 / a) / a

    /// K_zz = (1/8) ∫₋₁¹ (1−μ²)²/D_μμ dμ [c²/Ω], by Gauss–Legendre in t with μ = t^{1/(2−q)}, which makes
    /// the power-law integrand (1−μ²) μ^{1−q} regular. Agrees with the closed form to 1e-13 (tests).
    let kzz (s: Spectrum) =
        let x, w = GaussLegendre.on 0.0 1.0 96
        let p = 1.0 / (2.0 - s.Q)
        // (1/8)·2∫₀¹ (1−μ²)²/D dμ with dμ = p t^{p−1} dt
        let mutable sum = 0.0
        for i in 0 .. x.Length - 1 do
            let t = x.[i]
            let mu = t ** p
            let integrand = (1.0 - mu * mu) ** 2.0 / dmumu s mu
            sum <- sum + w.[i] * integrand * p * mu / t
        0.25 * sum

    /// K_zz for a pure power law in closed form: 1/(4π²A(2−q)(4−q)), = 9/(28π²A) for q = 5/3.
    let kzzClosedForm (s: Spectrum) = 1.0 / (4.0 * Math.PI * Math.PI * s.A * (2.0 - s.Q) * (4.0 - s.Q))

    /// Scattering time τ_s = λ∥/c = 3K_zz [1/Ω], λ∥ [c/Ω] the same number (docs/physics.md §3: the paper's
    /// "K_zz/3" after eq. 20 is a slip), for any K_zz (QLT or simulated).
    let tauOfKzz (kzz: float) = 3.0 * kzz

    /// τ_s = 3K_zz of QLT [1/Ω].
    let scatteringTime (s: Spectrum) = tauOfKzz (kzz s)

    /// Unperturbed-orbit (finite-time QLT) pitch-angle spread after time t, Ω = 1 (docs/physics.md §3):
    /// ⟨Δμ²⟩(t) = (1−μ²)·4π ∫ g(k) [(1−cos(a₋t))/a₋² + (1−cos(a₊t))/a₊²] dk, a± = kμ ± 1; it tends to
    /// 2 D_μμ t. Valid in weak turbulence only. Gauss–Legendre on panels no wider than 5% in k and
    /// 0.2/(|μ|t) around the resonance.
    let pitchAngleSpread (s: Spectrum) (mu: float) (t: float) =
        let term (a: float) = if abs (a * t) < 1e-6 then 0.5 * t * t else 2.0 * (sin (0.5 * a * t) / a) ** 2.0
        let maxWidth = 0.2 / (abs mu * t + 1e-12)
        let x, w = GaussLegendre.rule 16
        let mutable sum = 0.0
        let mutable lo = s.KMin
        while lo < s.KMax do
            let hi = min s.KMax (min (lo * 1.05) (lo + maxWidth))
            let h = 0.5 * (hi - lo)
            for i in 0 .. x.Length - 1 do
                let k = lo + h * (x.[i] + 1.0)
                sum <- sum + h * w.[i] * Spectrum.g s k * (term (k * mu - 1.0) + term (k * mu + 1.0))
            lo <- hi
        (1.0 - mu * mu) * 4.0 * Math.PI * sum
