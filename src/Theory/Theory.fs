/// The theory library's front door: the validated entry points for a whole prediction (the host and the
/// command line also call the modules below it — Units, Qlt, Sky, Fit, Jackknife — directly). Everything
/// in the library is pure: parameters in, numbers out.
module SkyMix.Theory.Api

open System

/// Angular power spectrum C_ℓ (ℓ = 0 … lmax) of a HEALPix RING map, as healpy.anafast(map, lmax, iter)
/// with use_weights = False and no monopole/dipole removal. lmax may exceed 3·Nside − 1.
let angularSpectrum (map: float[]) (lmax: int) (iter: int) : float[] = Sky.anafast map lmax iter

/// Inputs of one prediction (physics.md §1). Theory units: Ω = c = 1.
type PredictInput =
    { /// ρ = r_g/L_c
      Rho: float
      /// η = ⟨δB²⟩/B_rms²
      Eta: float
      /// spectral index of g(k) ∝ k^{−q}
      Q: float
      /// k_max in units of Ω/c
      KMax: float
      /// largest multipole of the truncated mixing matrix
      Lmax: int
      /// ΩΔT; when None, ΩΔT = LawA·(Ωτ_s)^{1/3} (eq. 51)
      OmegaDT: float option
      /// the constant a of eq. 51 (the paper finds ≈ 4)
      LawA: float
      /// quadrature resolution
      Accuracy: Accuracy }

/// Everything derived for one rigidity.
type Prediction =
    { Input: PredictInput
      Spectrum: Spectrum
      /// K_zz [c²/Ω] from QLT
      Kzz: float
      /// Ωτ_s = 3ΩK_zz
      OmegaTauS: float
      /// the ΩΔT used
      OmegaDT: float
      Lambda0: float
      Lambda2: float
      /// W = ⅔Λ₀ − ⅓Λ₂
      W: float
      /// C_ℓ in units of S/Ω, ℓ = 0 … lmax (C_0 = 0)
      Cl: float[]
      /// C_ℓ/C_1
      ClOverC1: float[]
      /// power-law index of C_ℓ over ℓ = 5 … min(30, lmax), if lmax ≥ 6
      Index: float option
      /// C_ℓ/C_1 of the same calculation truncated at lmax/2
      HalfLmaxClOverC1: float[]
      /// max over ℓ ≤ min(30, lmax/2) of |(C_ℓ/C_1)(lmax/2) / (C_ℓ/C_1)(lmax) − 1|; None when lmax < 3
      TruncationChange: float option
      /// C_ℓ/C_1 continued to ℓ = 2 lmax by the power law of its tail (Mixing.extend); None when
      /// lmax < 8 or the spectrum is not positive (no tail to continue)
      ExtendedClOverC1: float[] option
      /// the paper's check of the extension: the lmax/2 spectrum extended to lmax against the full one,
      /// max over lmax/2 < ℓ ≤ lmax of |extended/full − 1|; None when lmax < 16 (the lmax/2 spectrum has
      /// no tail to continue)
      ExtensionChange: float option
      /// Σ_ℓ (2ℓ+1)(2M^(1a)+M^(1c))_{ℓℓ0} relative to Σ_ℓ (2ℓ+1)|…|, ℓ0 = 1 … lmax/2 (power lost past lmax)
      SumRuleResidual: float[]
      /// M^(1a)_ℓℓ (eq. 40) and M^(1c) (eq. 47) on ℓ, ℓ0 = 0 … lmax
      M1a: float[]
      M1c: float[,]
      /// M = I + 2M^(1a) + M^(1c) on ℓ, ℓ0 = 0 … lmax
      M: float[,] }

/// Checks a prediction's inputs; raises InputError saying what is wrong and what is allowed.
let validate (p: PredictInput) =
    if not (p.Rho > 0.0 && Double.IsFinite p.Rho) then inputError $"ρ must be a positive number, got {p.Rho}"
    if not (p.Eta > 0.0 && p.Eta < 1.0) then inputError $"η must lie in (0, 1), got {p.Eta}"
    if not (p.Q > 0.0 && p.Q <= 1.95) then inputError $"q must lie in (0, 1.95], got {p.Q}"
    if p.Lmax < 2 || p.Lmax > 1000 then inputError $"ℓ_max must lie in 2 … 1000, got {p.Lmax}"
    match p.OmegaDT with
    | Some dt when not (dt > 0.0 && Double.IsFinite dt) -> inputError $"ΩΔT must be a positive number, got {dt}"
    | _ -> ()
    if not (p.LawA > 0.0 && Double.IsFinite p.LawA) then inputError $"the law constant a must be positive, got {p.LawA}"
    let kMin = Units.kMin p.Rho p.Eta
    if not (p.KMax > kMin && Double.IsFinite p.KMax) then
        inputError $"k_max must exceed k_min = 2πρ/(5√(1−η)) = {kMin:G4} Ω/c (ρ = {p.Rho:G4}, η = {p.Eta:G3}), got k_max = {p.KMax:G6} Ω/c; lower ρ or raise k_max"

/// The spectrum, QLT and ΩΔT of a prediction without the mixing matrix (cheap); ΩΔT from the law of eq. 51
/// unless it is given.
let turbulence (p: PredictInput) : Spectrum * float * float =
    validate p
    let s = Spectrum.create p.Q (Units.kMin p.Rho p.Eta) p.KMax p.Eta
    let kzz = Qlt.kzz s
    let dt = p.OmegaDT |> Option.defaultWith (fun () -> p.LawA * (Qlt.tauOfKzz kzz) ** (1.0 / 3.0))
    Mixing.checkKappaSize s p.Accuracy dt (2 * p.Lmax)
    s, kzz, dt

/// The steady-state spectrum of the truncated mixing equation (eq. 20) and its diagnostics.
let predict (p: PredictInput) : Prediction =
    let s, kzz, dt = turbulence p
    let l0 = Mixing.lambda s p.Accuracy dt 0
    let l2 = Mixing.lambda s p.Accuracy dt 2
    let w = Mixing.wOf l0 l2
    let kappa = Mixing.kappa s p.Accuracy dt (2 * p.Lmax)
    let spectrumAt lmax =
        let m1a = Mixing.m1aDiagonal w lmax
        let m1c = Mixing.m1c kappa lmax
        m1a, m1c, Mixing.steadyState m1a m1c dt
    let m1a, m1c, cl = spectrumAt p.Lmax
    let half = max 2 (p.Lmax / 2)
    let _, _, clHalf = spectrumAt half
    let over (c: float[]) = c |> Array.map (fun v -> v / c.[1])
    let ratio, ratioHalf = over cl, over clHalf
    let top = min 30 half
    let change =
        if half < p.Lmax then Some(Seq.max [ for l in 1 .. top -> abs (ratioHalf.[l] / ratio.[l] - 1.0) ]) else None
    let positive (c: float[]) = c.[1..] |> Array.forall (fun v -> v > 0.0)
    let extended = if p.Lmax >= 8 && positive ratio then Some(Mixing.extend ratio (2 * p.Lmax)) else None
    let extensionChange =
        if half >= 8 && positive ratioHalf then
            let e = Mixing.extend ratioHalf p.Lmax
            Some(Seq.max [ for l in half + 1 .. p.Lmax -> abs (e.[l] / ratio.[l] - 1.0) ])
        else None
    let residual =
        let sums = Mixing.sumRule m1a m1c
        [| for l0 in 1 .. half ->
               let scale = Seq.sum [ for l in 0 .. p.Lmax -> float (2 * l + 1) * abs ((if l = l0 then 2.0 * m1a.[l] else 0.0) + m1c.[l, l0]) ]
               sums.[l0] / scale |]
    { Input = p
      Spectrum = s
      Kzz = kzz
      OmegaTauS = Qlt.tauOfKzz kzz
      OmegaDT = dt
      Lambda0 = l0
      Lambda2 = l2
      W = w
      Cl = cl
      ClOverC1 = ratio
      Index =
        if p.Lmax >= 6 && Array.forall (fun v -> v > 0.0) cl.[5 .. min 30 p.Lmax] then
            Some(fst (Mixing.powerLaw cl 5 (min 30 p.Lmax)))
        else None
      HalfLmaxClOverC1 = ratioHalf
      TruncationChange = change
      ExtendedClOverC1 = extended
      ExtensionChange = extensionChange
      SumRuleResidual = residual
      M1a = m1a
      M1c = m1c
      M = Mixing.matrix m1a m1c }

/// The factor (8π/3)ΩK_zz that turns a prediction's C_ℓ [S/Ω] into the units of simulated maps,
/// (c/Ω)²|∇f̄/f̄|² (physics.md §5).
let mapUnits (p: Prediction) = 8.0 * Math.PI / 3.0 * p.Kzz

/// The anisotropy f/f̄ − 1 of one backtracked particle for a unit gradient ĝ (eq. 3): (r(t₀) − r⊕)·ĝ
/// − 3p̂(t₀)·K·ĝ with K = diag(0, 0, K_zz) from QLT (slab QLT has no perpendicular diffusion at this order)
/// and p̂(t₀) = −u, u the backtracked antiparticle's direction at the far end; lengths in c/Ω.
let mapValue (dx: float) (dy: float) (dz: float) (uz: float) (g: float[]) (kzz: float) =
    dx * g.[0] + dy * g.[1] + dz * g.[2] + 3.0 * kzz * uz * g.[2]

/// C_ℓ(nΔT), n = 0 … steps, of a prediction's mixing equation (eq. 19 in its integrated form, Mixing.evolve)
/// from the QLT dipole C_1(0) = 4πK_zz²(∂_z f̄/f̄)² = (3/2)ΩK_zz S/Ω alone; it relaxes to the steady state.
let evolve (p: Prediction) (steps: int) : float[][] =
    if steps < 1 then inputError $"the evolution needs at least one step, got {steps}"
    Mixing.evolve p.M1a p.M1c p.OmegaDT (1.5 * p.Kzz) steps

/// C_ℓ/C_1 (ℓ = 0 … lmax) of the steady state at a given ΩΔT, without the diagnostics of `predict`:
/// the model that fits call many times.
let spectrumShape (p: PredictInput) (omegaDT: float) : float[] =
    let s, _, _ = turbulence { p with OmegaDT = Some omegaDT }
    let w = Mixing.w s p.Accuracy omegaDT
    let cl = Mixing.steadyState (Mixing.m1aDiagonal w p.Lmax) (Mixing.m1c (Mixing.kappa s p.Accuracy omegaDT (2 * p.Lmax)) p.Lmax) omegaDT
    cl |> Array.map (fun v -> v / cl.[1])
