/// The fitting protocol of the paper (Secs. 3.2–3.3; docs/physics.md §8) as a pure function of a study's
/// parameters and its realisations: ΩΔT per run, its variants, the dipoles, and the law across runs.
module SkyMix.Theory.FitRun

open System

/// The protocol's choices, each with its source or the measurement behind it.
type Protocol =
    { /// fit at the first output time ≥ this × τ_s^sim: C_ℓ^sub is constant for T ≳ τ_s (paper Sec. 3.2, Fig. 4);
      /// twice τ_s leaves a margin for the slow rise of K_zz(T) (still ~1% per factor 1.4 in T at ΩT = 1000)
      FitTimeOverTauSim: float
      /// the lower end of the ΩΔT search: the paper asks ΩΔT ≳ 2π for gyroresonance; 2 keeps the range open below it
      OmegaDTMin: float
      /// the upper end as a multiple of the paper's law 4(Ωτ_s^QLT)^{1/3}: a design choice, wide enough that a
      /// fit near the paper's law (the paper's Fig. 6 points lie close to it) is interior, while the scan's
      /// points stay dense enough to resolve the χ² oscillation
      OmegaDTMaxOverLaw: float
      /// points of the logarithmic scan that brackets the global χ² minimum (the χ² oscillates with the gyration
      /// phase; 20 points resolve it at the paper's ΩΔT: refits with 40 move ΩΔT by < 1e-6 on the quick study)
      ScanPoints: int
      /// the table that serves the jackknife and the variants (design choices, not tuned on data): a cubic
      /// spline through TableNodes spectra over ΩΔT ± max(TableSigmas·σ, TableFraction·ΩΔT), wide enough that
      /// delete-one refits and the variants land inside it, and refits on it with RefitScanPoints scan points
      /// (the spline equals direct spectra to the accuracy the fit tests check)
      TableNodes: int
      TableSigmas: float
      TableFraction: float
      RefitScanPoints: int
      /// refits at every other output time ≥ this × τ_s^sim (how ΩΔT moves with T): from half the scattering
      /// time C_ℓ^sub is near its plateau (paper Fig. 4), so the earlier times show the approach to it
      VariantTimeOverTauSim: float
      /// the paper's truncation (its Sec. 2.2.3), fitted beside the ℓ_max → ∞ limit
      PaperLmax: int
      /// the model spectrum reported (fit.json, Fig. 5): C_ℓ/C_1 of the fitted theory for ℓ ≤ min(ℓ_max, max(this, ℓ_fit))
      ModelLmax: int }

    static member Default =
        { FitTimeOverTauSim = 2.0
          OmegaDTMin = 2.0
          OmegaDTMaxOverLaw = 3.0
          ScanPoints = 20
          TableNodes = 25
          TableSigmas = 4.0
          TableFraction = 0.15
          RefitScanPoints = 13
          VariantTimeOverTauSim = 0.5
          PaperLmax = 100
          ModelLmax = 100 }

/// What a fit is asked: the paper's truncation at Lmax (None: the ℓ_max → ∞ limit), the largest ℓ fitted
/// (None: where the signal-to-noise first drops below 1) and the time (None: the protocol's).
type Request = { Lmax: int option; LFit: int option; Time: float option }

/// One refit: what changed, at which time, and its result.
type Variant = { What: string; Time: float; Fit: OmegaDTFit }

/// Everything the fit of one run yields.
type RunFit =
    { Time: float
      Fit: OmegaDTFit
      /// jackknife error of ΩΔT over realisations (each refitted without one)
      JackknifeSigma: float
      OmegaTauSQlt: float
      /// Ωτ_s^sim = 3ΩK_zz(T) at the last output and its jackknife error
      OmegaTauSSim: float
      OmegaTauSSimErr: float
      /// refits at other times, with the eq. 7 noise, and with the theory's other truncation
      Variants: Variant[]
      Observed: Observed
      /// the theory fitted: its boundary and ℓ_max
      Boundary: Boundary
      TheoryLmax: int
      /// C_ℓ/C_1 of the fitted theory (its boundary and ℓ_max) at the best ΩΔT, ℓ = 0 … min(ℓ_max, max(ModelLmax, ℓ_fit)), and
      /// the power-law index over ℓ = 5 … 30 of the prediction at that ΩΔT (its ℓ_max → ∞ limit, or the truncation)
      Model: float[]
      ModelIndex: float option
      /// dipoles in (c/Ω)²|∇f̄/f̄|² at the fit time: ⟨C_1⟩^sub ± err, ⟨C_1⟩^QLT = 4π|⟨Φ⟩|², C_1^mat = C_1[S/Ω]·(8π/3)ΩK_zz^QLT
      C1Sub: float
      C1SubErr: float
      C1Qlt: float
      C1Mat: float
      CosAlpha: float
      CosAlphaErr: float
      Realizations: int }

/// The smallest truncation a fit may use: C_ℓ/C_1 at ℓ = 2 and 3 (the fewest ℓ fitted) with one ℓ above them.
[<Literal>]
let MinLmax = 4

/// The largest ℓ whose C_ℓ/C_1 the fit can use: the data's 3·Nside − 1, and a fixed ℓ_max.
let lTop (nside: int) (lmax: int option) = min (3 * nside - 1) (defaultArg lmax Int32.MaxValue)

/// Refuses a resolution whose spectra end before ℓ = 3 (a fit uses C_ℓ/C_1 at ℓ = 2 … ℓ_fit ≥ 3): checked before
/// a study is simulated for fitting.
let checkResolution (nside: int) (lmax: int option) =
    if lTop nside lmax < 3 then
        inputError $"Nside {nside} gives C_ℓ up to ℓ = 3·Nside − 1 = {3 * nside - 1}; a fit needs ℓ = 2 … 3 at least: use Nside ≥ 2"

/// The time index of the fit: the first output ≥ `time` (an InputError when there is none), else the first
/// ≥ FitTimeOverTauSim·τ_s^sim, else the last.
let fitTime (protocol: Protocol) (e: EnsembleStats) (tauSim: float) (time: float option) =
    let last = e.Times.Length - 1
    match time with
    | Some t ->
        match Array.tryFindIndex (fun x -> x >= t * (1.0 - 1e-9)) e.Times with
        | Some i -> i
        | None -> inputError $"no output time ≥ {t}; the run reaches ΩT = {e.Times.[last]:G4}"
    | None -> Array.tryFindIndex (fun x -> x >= protocol.FitTimeOverTauSim * tauSim) e.Times |> Option.defaultValue last

/// The theory a fit compares with: the paper's truncation at a fixed ℓ_max, or the zero-flux spectrum at the
/// largest ℓ_max where C_ℓ/C_1 for ℓ ≤ ℓ_fit has converged at any of `omegaDTs` (the ends of the search range
/// and the paper's law: the convergence in ℓ_max differs little across ΩΔT, and this takes the slowest).
let private theory (input: Api.PredictInput) (lmax: int option) (lfit: int) (omegaDTs: float list) =
    match lmax with
    | Some n -> Absorbing, n
    | None ->
        let goal = Api.ConvergenceGoal.Default.WithLout(min lfit (Api.ConvergenceGoal.Default.LmaxLimit / 8))
        let convergedAt (dt: float) =
            let p = Api.predict { input with Truncation = Api.Converged goal; OmegaDT = Some dt }
            if not p.Limit.Value.Converged then
                inputError $"the mixing equation's C_ℓ/C_1 for ℓ ≤ {goal.Lout} did not converge within ℓ_max ≤ {goal.LmaxLimit} at ρ = {input.Rho:G4}, ΩΔT = {dt:G4}; fit with a fixed --lmax"
            p.Lmax
        ZeroFlux, omegaDTs |> List.map convergedAt |> List.max

/// Fits one run: `input` carries the study's ρ, η, q and k_max, `nside` its HEALPix resolution, `rs` its
/// finished realisations (at least two, ordered by index).
let fit (protocol: Protocol) (input: Api.PredictInput) (nside: int) (request: Request) (rs: Realization[]) : RunFit =
    if rs.Length < 2 then inputError $"{rs.Length} finished realisation(s); fitting needs at least 2 (for errors)"
    let e = Ensemble.ofRealizations rs
    let last = e.Times.Length - 1
    let tauSim = Qlt.tauOfKzz (e.Kzz last)
    let tauSimErr = Qlt.tauOfKzz (e.KzzErr last)
    let t = fitTime protocol e tauSim request.Time
    let observedAt (x: EnsembleStats) k = { Ratio = x.Ratio.[k]; Err = x.RatioErr.[k] }
    let obs = observedAt e t
    let lfit = request.LFit |> Option.defaultWith (fun () -> min (Fit.lFit obs) (lTop nside request.Lmax))
    let fitting = { input with Accuracy = Accuracy.Fitting }
    let s, _, _ = Api.turbulence input
    let tauQlt = Qlt.scatteringTime s
    let lo, hi = protocol.OmegaDTMin, protocol.OmegaDTMaxOverLaw * Fit.paperLaw tauQlt
    let boundary, lmax = theory fitting request.Lmax lfit [ lo; Fit.paperLaw tauQlt; hi ]
    let cache = Collections.Generic.Dictionary<float, float[]>()
    let model (x: float) =
        match cache.TryGetValue x with
        | true, m -> m
        | _ ->
            let m = Api.spectrumShape fitting boundary lmax x
            cache.[x] <- m
            m
    let best = Fit.omegaDT model obs lfit lo hi protocol.ScanPoints
    let width = max (protocol.TableSigmas * best.Sigma) (protocol.TableFraction * best.OmegaDT)
    let tlo, thi = max lo (best.OmegaDT - width), min hi (best.OmegaDT + width)
    let table = Fit.tabulate model (Array.init protocol.TableNodes (fun i -> tlo + (thi - tlo) * float i / float (protocol.TableNodes - 1)))
    let refit ob lf = Fit.omegaDT table ob lf tlo thi protocol.RefitScanPoints
    // delete-one refits: the subset's spectrum, weighted with the full sample's errors
    let leaveOneOut =
        rs |> Array.mapi (fun i _ ->
            let subset = rs |> Array.indexed |> Array.filter (fun (k, _) -> k <> i) |> Array.map snd
            (refit { Ratio = (Ensemble.ofRealizations subset).Ratio.[t]; Err = obs.Err } lfit).OmegaDT)
    let otherTimes =
        [ for k in 0 .. e.Times.Length - 1 do
              if k <> t && e.Times.[k] >= protocol.VariantTimeOverTauSim * tauSim then
                  let o = observedAt e k
                  yield { What = "time"; Time = e.Times.[k]; Fit = refit o (min lfit (Fit.lFit o)) } ]
    let eq7 = { What = "noise eq. 7"; Time = e.Times.[t]; Fit = refit (observedAt (Ensemble.ofRealizations (Ensemble.withEq7Noise rs)) t) lfit }
    // the theory's other truncation: the paper's ℓ_max beside the limit, or ℓ_max/2 beside a fixed ℓ_max
    let other = max lfit (match request.Lmax with Some n -> n / 2 | None -> protocol.PaperLmax)
    let otherFit =
        { What = (match request.Lmax with Some _ -> $"the paper's truncation at ℓ_max = {other}" | None -> $"the paper's truncation at ℓ_max = {other} instead of the limit")
          Time = e.Times.[t]
          Fit = Fit.omegaDT (Api.spectrumShape fitting Absorbing other) obs lfit lo hi protocol.ScanPoints }
    let truncation =
        match request.Lmax with
        | Some n -> Api.Paper n
        | None -> Api.Converged(Api.ConvergenceGoal.Default.WithLout(min lfit (Api.ConvergenceGoal.Default.LmaxLimit / 8)))
    let prediction = Api.predict { input with Truncation = truncation; OmegaDT = Some best.OmegaDT }
    let c1, c1Err = Ensemble.c1Sub rs t
    { Time = e.Times.[t]
      Fit = best
      JackknifeSigma = Jackknife.error leaveOneOut
      OmegaTauSQlt = tauQlt
      OmegaTauSSim = tauSim
      OmegaTauSSimErr = tauSimErr
      Variants = Array.ofList (otherTimes @ [ eq7; otherFit ])
      Observed = obs
      Boundary = boundary
      TheoryLmax = lmax
      Model = (Api.spectrumShape fitting boundary lmax best.OmegaDT).[.. min lmax (max protocol.ModelLmax lfit)]
      ModelIndex = prediction.Index
      C1Sub = c1
      C1SubErr = c1Err
      C1Qlt = e.C1Qlt.[t]
      C1Mat = prediction.Cl.[1] * Api.mapUnits prediction
      CosAlpha = e.CosAlpha
      CosAlphaErr = e.CosAlphaErr
      Realizations = rs.Length }

/// The law ΩΔT = a(Ωτ_s)^b across runs: a with b = 1/3 for τ_s from QLT and from the simulations, and a, b
/// free (τ_s from QLT).
type Law = { Qlt: LawFit; Simulated: LawFit; Free: LawFit }

/// The law across runs. Each ΩΔT enters with the larger of its Δχ² = 1 half-width and its jackknife error; runs
/// whose minimum sits on the edge of the search range (no ΩΔT fits) are left out. None with fewer than two
/// distinct interior runs.
let law (fits: RunFit[]) : Law option =
    let inside = fits |> Array.filter (fun f -> not f.Fit.AtEdge)
    if (inside |> Array.map (fun f -> f.OmegaTauSQlt) |> Array.distinct).Length < 2 then None
    else
        let y = inside |> Array.map (fun f -> f.Fit.OmegaDT)
        let sigma = inside |> Array.map (fun f -> max (max f.Fit.Sigma f.JackknifeSigma) (1e-6 * f.Fit.OmegaDT))
        let qlt = inside |> Array.map (fun f -> f.OmegaTauSQlt)
        let sim = inside |> Array.map (fun f -> f.OmegaTauSSim)
        Some { Qlt = Fit.lawOneThird qlt y sigma; Simulated = Fit.lawOneThird sim y sigma; Free = Fit.lawFree qlt y sigma }
