/// The theory library's front door: the validated entry points for a whole prediction (the host and the
/// command line also call the modules below it — Units, Qlt, Sky, Fit, Jackknife — directly). Everything
/// in the library is pure: parameters in, numbers out.
module SkyMix.Theory.Api

open System

/// Angular power spectrum C_ℓ (ℓ = 0 … lmax) of a HEALPix RING map, as healpy.anafast(map, lmax, iter)
/// with use_weights = False and no monopole/dipole removal. lmax may exceed 3·Nside − 1.
let angularSpectrum (map: float[]) (lmax: int) (iter: int) : float[] = Sky.anafast map lmax iter

/// The largest ℓmax any prediction uses (a dense system of ℓmax² doubles, O(ℓmax³) work: ~2 min at 4000).
[<Literal>]
let MaxLmax = 4000

/// The smallest ΩΔT solved. κ ∝ ΔT² comes out of O(1) terms that cancel: at ρ = 0.01 (ℓ_max = 30) C_ℓ/C_1 is
/// smooth in ΩΔT down to 1e-3 (C_2/C_1 = 0.163, 0.186, 0.234 at ΩΔT = 1, 1e-2, 1e-3) and turns negative at 1e-4
/// (measured once when the floor was set; no test). The paper's ΩΔT are 10–50; fits start at 2.
[<Literal>]
let MinOmegaDT = 1e-3

/// How far the mixing equation is solved in ℓ.
type Truncation =
    /// The paper's truncation: ℓ ≤ lmax with the absorbing boundary (power sent above ℓmax is lost).
    | Paper of lmax: int
    /// The ℓmax → ∞ limit: ℓmax doubled from max(100, 2·Lout) with the zero-flux boundary until C_ℓ/C_1,
    /// ℓ ≤ Lout, has a limit with relative error ≤ Tol (Convergence.limitOf), at most up to LmaxLimit.
    | Converged of ConvergenceGoal

and ConvergenceGoal =
    { /// the largest ℓ whose C_ℓ/C_1 must converge
      Lout: int
      /// relative error allowed on each of them
      Tol: float
      /// the largest ℓmax tried
      LmaxLimit: int }

    /// C_ℓ/C_1 for ℓ ≤ 50 to 1e-3, ℓmax up to MaxLmax.
    static member Default = { Lout = 50; Tol = 1e-3; LmaxLimit = MaxLmax }

    /// This goal for ℓ ≤ lout.
    member g.WithLout(lout: int) = { g with Lout = lout }

    /// This goal with another tolerance.
    member g.WithTol(tol: float) = { g with Tol = tol }

/// Inputs of one prediction (docs/physics.md, "Units"). Theory units: Ω = c = 1.
type PredictInput =
    { /// ρ = r_g/L_c
      Rho: float
      /// η = ⟨δB²⟩/B_rms²
      Eta: float
      /// spectral index of g(k) ∝ k^{−q}
      Q: float
      /// k_max in units of Ω/c
      KMax: float
      /// how far in ℓ the mixing equation is solved
      Truncation: Truncation
      /// ΩΔT; when None, ΩΔT = LawA·(Ωτ_s)^{1/3} (eq. 51)
      OmegaDT: float option
      /// the constant a of eq. 51 (the paper finds ≈ 4)
      LawA: float
      /// quadrature resolution
      Accuracy: Accuracy }

/// The paper's truncated spectrum (absorbing boundary at Lmax) and the checks the paper's Sec. 2.2.3 makes of it.
type PaperTruncation =
    { Lmax: int
      /// C_ℓ/C_1, ℓ = 0 … Lmax
      ClOverC1: float[]
      /// C_ℓ/C_1 of the same calculation truncated at Lmax/2
      HalfLmaxClOverC1: float[]
      /// max over ℓ ≤ min(30, Lmax/2) of |(C_ℓ/C_1)(Lmax/2) / (C_ℓ/C_1)(Lmax) − 1|; None when Lmax < 3
      TruncationChange: float option
      /// C_ℓ/C_1 continued to ℓ = 2 Lmax by the power law of its tail (SteadyState.extend); None when
      /// Lmax < 8 or the spectrum is not positive (no tail to continue)
      ExtendedClOverC1: float[] option
      /// the paper's check of the extension: the Lmax/2 spectrum extended to Lmax against the full one,
      /// max over Lmax/2 < ℓ ≤ Lmax of |extended/full − 1|; None when Lmax < 16
      ExtensionChange: float option
      /// power-law index of C_ℓ over ℓ = 5 … min(30, Lmax), if Lmax ≥ 6 and C_ℓ > 0 there
      Index: float option
      /// Σ_ℓ (2ℓ+1)(2M^(1a)+M^(1c))_{ℓℓ0} relative to Σ_ℓ (2ℓ+1)|…|, ℓ0 = 1 … Lmax/2 (power lost past Lmax)
      SumRuleResidual: float[]
      /// where the injected power goes
      Budget: PowerBudget }

/// The ℓmax → ∞ limit of C_ℓ/C_1 for ℓ ≤ Lout (Truncation.Converged).
type ConvergedSpectrum =
    { /// every ℓ ≤ Lout reached its tolerance within the ℓmax limit
      Converged: bool
      /// the ℓmax computed, in order
      LmaxUsed: int[]
      /// C_ℓ/C_1, ℓ = 0 … Lout: the limits, or (when not converged) the values at the last ℓmax
      ClOverC1: float[]
      /// their errors (0 for ℓ ≤ 1, where C_ℓ/C_1 is 0 and 1 by definition; NaN for an ℓ that did not converge)
      Err: float[]
      /// the ℓ ≤ Lout that did not converge
      Unconverged: int[] }

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
      /// the boundary and ℓmax of the last spectrum computed (the one in Cl)
      Boundary: Boundary
      Lmax: int
      /// C_ℓ in units of S/Ω, ℓ = 0 … Lmax (C_0 = 0), and C_ℓ/C_1, of the last spectrum computed
      Cl: float[]
      ClOverC1: float[]
      /// the ℓmax → ∞ limit (Truncation.Converged only)
      Limit: ConvergedSpectrum option
      /// the paper's truncation: at Lmax (Truncation.Paper) or at ℓmax = 100 (Converged), for comparison
      Paper: PaperTruncation
      /// power-law index of C_ℓ over ℓ = 5 … 30 (or Lout, or Lmax, if smaller) of the main result: the limit
      /// (Converged) or the paper's truncation (Paper)
      Index: float option
      /// where the injected power goes in the last spectrum computed
      Budget: PowerBudget
      /// M^(1a)_ℓℓ (eq. 40) and M^(1c) (eq. 47) on ℓ, ℓ0 = 0 … Lmax
      M1a: float[]
      M1c: float[,] }

    /// C_ℓ/C_1 of the main result: the ℓ_max → ∞ limit (ℓ ≤ Lout) or the paper's truncation.
    member p.MainClOverC1 = match p.Limit with Some lim -> lim.ClOverC1 | None -> p.ClOverC1

/// The spectrum, QLT and ΩΔT of a prediction, its inputs checked (η, q and the k range by Spectrum.create, the
/// size of the κ quadrature by Kappa.checkSize); InputError says what is wrong and what is allowed.
let private derive (p: PredictInput) : Spectrum * float * float =
    if not (p.Rho > 0.0 && Double.IsFinite p.Rho) then inputError $"ρ must be a positive number, got {p.Rho}"
    match p.Truncation with
    | Paper lmax when lmax < 2 || lmax > MaxLmax -> inputError $"ℓ_max must lie in 2 … {MaxLmax}, got {lmax}"
    | Converged g when g.Lout < 2 || g.Lout > MaxLmax / 8 -> inputError $"ℓ_out must lie in 2 … {MaxLmax / 8}, got {g.Lout}"
    | Converged g when not (g.Tol > 0.0 && g.Tol < 1.0) -> inputError $"the tolerance must lie in (0, 1), got {g.Tol}"
    | Converged g when g.LmaxLimit < max 100 (2 * g.Lout) * 4 || g.LmaxLimit > MaxLmax ->
        inputError $"the ℓ_max limit must lie in {max 100 (2 * g.Lout) * 4} … {MaxLmax} (at least three doublings from max(100, 2ℓ_out)), got {g.LmaxLimit}"
    | _ -> ()
    match p.OmegaDT with
    | Some dt when not (dt >= MinOmegaDT && Double.IsFinite dt) ->
        inputError $"ΩΔT must be a number ≥ {MinOmegaDT} (below it κ's quadrature loses C_ℓ to round-off), got {dt}"
    | _ -> ()
    if not (p.LawA > 0.0 && Double.IsFinite p.LawA) then inputError $"the law constant a must be positive, got {p.LawA}"
    let s = Spectrum.create p.Q (Units.kMin p.Rho p.Eta) p.KMax p.Eta
    let kzz = Qlt.kzz s
    let dt = p.OmegaDT |> Option.defaultWith (fun () -> p.LawA * (Qlt.tauOfKzz kzz) ** (1.0 / 3.0))
    if p.OmegaDT.IsNone && not (dt >= MinOmegaDT && Double.IsFinite dt) then
        inputError $"the law gives ΩΔT = a(Ωτ_s)^(1/3) = {dt:G3} (a = {p.LawA:G4}), below the floor {MinOmegaDT} where κ's quadrature loses C_ℓ to round-off: raise --a, or give --omega-dt"
    let firstLmax = match p.Truncation with Paper lmax -> lmax | Converged g -> max 100 (2 * g.Lout)
    Kappa.checkSize s p.Accuracy dt (2 * firstLmax)
    s, kzz, dt

/// The work of a prediction's W = ⅔Λ₀ − ⅓Λ₂ in spherical-Bessel evaluations (Mixing.lambdaWork): at large ΩΔT
/// it dominates, growing as (ΩΔT)²; the command line turns it into a time before it starts.
let lambdaWork (p: PredictInput) : float =
    let s, _, dt = derive p
    Mixing.lambdaWork s p.Accuracy dt

/// Checks a prediction's inputs (everything `predict` needs, before any long computation).
let validate (p: PredictInput) : unit = derive p |> ignore

/// The spectrum, QLT K_zz and ΩΔT of a prediction without the mixing matrix (cheap); ΩΔT from the law of eq. 51
/// unless it is given.
let turbulence (p: PredictInput) : Spectrum * float * float = derive p

/// Where a valid input leaves the assumptions of the theory, one sentence each (empty when none): the resonance
/// k = Ω/(c|μ|) of QLT needs wavenumbers k ≥ Ω/c inside [k_min, k_max] (k_min > Ω/c leaves the particles with
/// |μ| > c k_min/Ω unscattered at first order; k_max < Ω/c leaves every μ without a resonance).
let warnings (p: PredictInput) : string list =
    let s, _, _ = derive p
    let why =
        if p.Eta > 0.99 then $"η = {p.Eta:G6} is close to 1, so B0 and Ω are small" else $"ρ = {p.Rho:G3} is large"
    [ if s.KMin > 1.0 then
          $"k_min = 2πρ/(5√(1−η)) = {s.KMin:G3} Ω/c exceeds Ω/c ({why}): particles with |μ| > {1.0 / s.KMin:G3} have no resonant wave, so QLT's τ_s (and the law's ΩΔT) leave the theory's assumptions"
      if s.KMax < 1.0 then
          $"k_max = {s.KMax:G3} Ω/c is below Ω/c: no wave resonates (k = Ω/(c|μ|) ≥ Ω/c), so QLT's τ_s leaves the theory's assumptions"
    ]

/// The ℓmax sequence of Truncation.Converged: max(100, 2·Lout) doubled while ≤ LmaxLimit.
let lmaxSequence (g: ConvergenceGoal) =
    Seq.unfold (fun l -> if l <= g.LmaxLimit then Some(l, 2 * l) else None) (max 100 (2 * g.Lout)) |> Seq.toArray

/// One truncated solution: M^(1a), M^(1c), C_ℓ and its power budget.
type private Solved = { M1a: float[]; M1c: float[,]; Cl: float[]; Budget: PowerBudget }

/// One truncation at lmax; `progress` is told, as it starts, which solve this is (the paper's truncation with
/// its absorbing boundary, or a step of the ℓ_max → ∞ limit with the zero-flux boundary).
let private solveAt (progress: string -> unit) (s: Spectrum) (acc: Accuracy) (w: float) (dt: float) (boundary: Boundary) (lmax: int) =
    let m1a = Mixing.m1aDiagonal w lmax
    progress (match boundary with
              | Absorbing -> $"paper's truncation ℓ_max = {lmax} (absorbing)"
              | ZeroFlux -> $"limit ℓ_max → ∞: ℓ_max = {lmax} (zero flux)")
    let band = Kappa.band s acc dt (2 * lmax)
    let m1c = Mixing.m1c band lmax
    let cl = SteadyState.solve boundary m1a m1c dt
    { M1a = m1a; M1c = m1c; Cl = cl; Budget = SteadyState.budget boundary m1a m1c cl dt }

let private over (c: float[]) = c |> Array.map (fun v -> v / c.[1])

/// The power-law index of C_ℓ over ℓ = 5 … min(30, top); None where the range is too short or not positive.
let private indexOf (cl: float[]) (top: int) =
    let hi = min 30 top
    if hi >= 6 && Array.forall (fun v -> v > 0.0) cl.[5..hi] then Some(fst (SteadyState.powerLaw cl 5 hi)) else None

/// The paper's truncation at lmax (absorbing) with its checks.
let private paperTruncation (progress: string -> unit) (s: Spectrum) (acc: Accuracy) (w: float) (dt: float) (lmax: int) : PaperTruncation * Solved =
    let full = solveAt progress s acc w dt Absorbing lmax
    progress $"checks at ℓ_max = {max 2 (lmax / 2)}"
    let half = max 2 (lmax / 2)
    let clHalf = SteadyState.solve Absorbing (Mixing.m1aDiagonal w half) (Array2D.init (half + 1) (half + 1) (fun i j -> full.M1c.[i, j])) dt
    let ratio, ratioHalf = over full.Cl, over clHalf
    let positive (c: float[]) = c.[1..] |> Array.forall (fun v -> v > 0.0)
    let residual =
        let sums = Mixing.sumRule full.M1a full.M1c
        [| for l0 in 1 .. half ->
               let scale = Seq.sum [ for l in 0 .. lmax -> float (2 * l + 1) * abs ((if l = l0 then 2.0 * full.M1a.[l] else 0.0) + full.M1c.[l, l0]) ]
               sums.[l0] / scale |]
    { Lmax = lmax
      ClOverC1 = ratio
      HalfLmaxClOverC1 = ratioHalf
      TruncationChange =
        if half < lmax then Some(Seq.max [ for l in 1 .. min 30 half -> abs (ratioHalf.[l] / ratio.[l] - 1.0) ]) else None
      ExtendedClOverC1 = if lmax >= 8 && positive ratio then Some(SteadyState.extend ratio (2 * lmax)) else None
      ExtensionChange =
        if half >= 8 && positive ratioHalf then
            let e = SteadyState.extend ratioHalf lmax
            Some(Seq.max [ for l in half + 1 .. lmax -> abs (e.[l] / ratio.[l] - 1.0) ])
        else None
      Index = indexOf full.Cl lmax
      SumRuleResidual = residual
      Budget = full.Budget },
    full

/// The ℓmax → ∞ limit of C_ℓ/C_1 for ℓ ≤ g.Lout: zero-flux solutions at doubling ℓmax and Aitken limits
/// (Convergence.limitOf), until every one has relative error ≤ g.Tol or the ℓmax limit is reached.
/// `progress` is told each stage of each ℓmax before it is computed.
let private converge (s: Spectrum) (acc: Accuracy) (w: float) (dt: float) (g: ConvergenceGoal) (progress: string -> unit) =
    let rec go (used: (int * Solved) list) (lmaxes: int list) =
        let values = used |> List.rev |> List.map (fun (_, x) -> over x.Cl) |> List.toArray
        let limits = [| for l in 0 .. g.Lout -> Convergence.limitOf (values |> Array.map (fun r -> r.[l])) |]
        let ok l = l < 2 || (match limits.[l] with Some lim -> lim.Error <= g.Tol * abs lim.Value | None -> false)
        let fine = values.Length >= 3 && Seq.forall ok [ 0 .. g.Lout ]
        let affordable next =
            try Kappa.checkSize s acc dt (2 * next); true with :? InputError -> false
        match lmaxes with
        | next :: rest when not fine && affordable next ->
            go ((next, solveAt progress s acc w dt ZeroFlux next) :: used) rest
        | _ ->
            let last = values.[values.Length - 1]
            let limitAt l = if l >= 2 && ok l then limits.[l] else None
            { Converged = fine
              LmaxUsed = used |> List.rev |> List.map fst |> List.toArray
              ClOverC1 = Array.init (g.Lout + 1) (fun l -> match limitAt l with Some lim -> lim.Value | None -> last.[l])
              Err = Array.init (g.Lout + 1) (fun l -> if l < 2 then 0.0 else (match limitAt l with Some lim -> lim.Error | None -> nan))
              Unconverged = [| for l in 2 .. g.Lout do if not (ok l) then yield l |] },
            snd used.Head
    go [] (lmaxSequence g |> Array.toList)

/// The steady-state spectrum of the mixing equation (eq. 20) and its diagnostics; `progress` is told each
/// stage (W, each solve with its ℓ_max and boundary, the paper's checks) as it starts: at ℓ_max = 4000 each
/// O(ℓ_max³) stage takes about a minute on two cores.
let predictWith (progress: string -> unit) (p: PredictInput) : Prediction =
    let s, kzz, dt = turbulence p
    progress "W = ⅔Λ₀ − ⅓Λ₂"
    let l0 = Mixing.lambda s p.Accuracy dt 0
    let l2 = Mixing.lambda s p.Accuracy dt 2
    let w = Mixing.wOf l0 l2
    let paperLmax = match p.Truncation with Paper lmax -> lmax | Converged _ -> 100
    let paper, paperSolved = paperTruncation progress s p.Accuracy w dt paperLmax
    let boundary, lmax, main, limit =
        match p.Truncation with
        | Paper lmax -> Absorbing, lmax, paperSolved, None
        | Converged g ->
            let limit, last = converge s p.Accuracy w dt g progress
            ZeroFlux, Array.last limit.LmaxUsed, last, Some limit
    let index =
        match limit with
        | Some lim -> indexOf lim.ClOverC1 (lim.ClOverC1.Length - 1)
        | None -> paper.Index
    { Input = p
      Spectrum = s
      Kzz = kzz
      OmegaTauS = Qlt.tauOfKzz kzz
      OmegaDT = dt
      Lambda0 = l0
      Lambda2 = l2
      W = w
      Boundary = boundary
      Lmax = lmax
      Cl = main.Cl
      ClOverC1 = over main.Cl
      Limit = limit
      Paper = paper
      Index = index
      Budget = main.Budget
      M1a = main.M1a
      M1c = main.M1c }

/// `predictWith` without progress reports.
let predict (p: PredictInput) : Prediction = predictWith ignore p

/// One truncation of a scan in ℓ_max: C_ℓ/C_1 (ℓ = 0 … Lmax) with the given boundary, and the share of the
/// injected power that leaves through ℓ_max (0 for the zero-flux boundary).
type ScanRow = { Lmax: int; Boundary: Boundary; ClOverC1: float[]; EscapedShare: float }

/// How the steady state moves with ℓ_max: both boundaries at every ℓ_max of `lmaxes` (ascending), from one κ
/// band and one M^(1c) at the largest (the smaller truncations are its leading blocks).
let scan (p: PredictInput) (lmaxes: int[]) : ScanRow[] =
    if lmaxes.Length = 0 || Array.exists (fun l -> l < 2 || l > MaxLmax) lmaxes || lmaxes <> Array.sort (Array.distinct lmaxes) then
        inputError $"an ℓ_max scan needs distinct ascending ℓ_max in 2 … {MaxLmax}, got {String.Join(',', lmaxes)}"
    let top = Array.max lmaxes
    let s, _, dt = turbulence { p with Truncation = Paper top }
    let w = Mixing.w s p.Accuracy dt
    let m1c = Mixing.m1c (Kappa.band s p.Accuracy dt (2 * top)) top
    [| for lmax in lmaxes do
           let m1a = Mixing.m1aDiagonal w lmax
           let block = if lmax = top then m1c else Array2D.init (lmax + 1) (lmax + 1) (fun i j -> m1c.[i, j])
           for boundary in [ Absorbing; ZeroFlux ] do
               let cl = SteadyState.solve boundary m1a block dt
               let b = SteadyState.budget boundary m1a block cl dt
               yield { Lmax = lmax; Boundary = boundary; ClOverC1 = over cl; EscapedShare = b.Escaped / b.Injected } |]

/// The factor (8π/3)ΩK_zz that turns a prediction's C_ℓ [S/Ω] into the units of simulated maps,
/// (c/Ω)²|∇f̄/f̄|² (docs/physics.md §7).
let mapUnits (p: Prediction) = 8.0 * Math.PI / 3.0 * p.Kzz

/// The anisotropy f/f̄ − 1 of one backtracked particle for a unit gradient ĝ (eq. 3): (r(t₀) − r⊕)·ĝ
/// − 3p̂(t₀)·K·ĝ with K = diag(0, 0, K_zz) from QLT (slab QLT has no perpendicular diffusion at this order)
/// and p̂(t₀) = −u, u the backtracked antiparticle's direction at the far end; lengths in c/Ω.
let mapValue (dx: float) (dy: float) (dz: float) (uz: float) (g: float[]) (kzz: float) =
    dx * g.[0] + dy * g.[1] + dz * g.[2] + 3.0 * kzz * uz * g.[2]

/// The most values C_ℓ(nΔT) an evolution may hold, (steps + 1)·ℓ_max: 2e7 doubles are 160 MB in memory and about
/// 1 GB of CSV rows.
[<Literal>]
let MaxEvolutionValues = 20_000_000L

/// Refuses an evolution of `steps` steps at `lmax` that has fewer than one step or more than MaxEvolutionValues values.
let checkEvolution (steps: int) (lmax: int) =
    if steps < 1 then inputError $"the evolution needs at least one step, got {steps}"
    let values = int64 (steps + 1) * int64 lmax
    if values > MaxEvolutionValues then
        inputError $"--times {steps} at ℓ_max = {lmax} means {values} values C_ℓ(t) (CSV rows), more than {MaxEvolutionValues}; use at most {MaxEvolutionValues / int64 lmax - 1L} steps"

/// The largest ℓ_max a prediction may solve at: its own, or the top of a convergence sequence.
let lmaxBound (p: PredictInput) =
    match p.Truncation with
    | Paper lmax -> lmax
    | Converged g -> Array.fold max 100 (lmaxSequence g)

/// An upper estimate of the memory [bytes] a prediction holds at once: four dense (ℓ_max + 1)² matrices at its
/// largest ℓ_max (M^(1c), the LU factors, the ℓ_max/2 block, work; measured peak 0.53 GB at 4000, of which
/// 0.06 GB is the runtime), and for an evolution of `steps` steps eight such matrices (the matrix exponential) and
/// its values; a scan in ℓ_max up to `scanTop` (0: none) as a solve there. The command line refuses what exceeds
/// the memory available.
let memoryBytes (p: PredictInput) (steps: int) (scanTop: int) : float =
    let dense (n: int) = 8.0 * float (n + 1) * float (n + 1)
    let l = lmaxBound p
    let evolve = if steps > 0 then 8.0 * dense l + 8.0 * float (steps + 1) * float (l + 1) else 0.0
    64e6 + List.max [ 4.0 * dense l; evolve; 4.0 * dense scanTop ]

/// C_ℓ(nΔT), n = 0 … steps, of a prediction's mixing equation (eq. 19 in its integrated form,
/// SteadyState.evolve, with the prediction's last ℓmax and boundary) from the QLT dipole
/// C_1(0) = 4πK_zz²(∂_z f̄/f̄)² = (3/2)ΩK_zz S/Ω alone; it relaxes to the steady state.
let evolve (p: Prediction) (steps: int) : float[][] =
    checkEvolution steps p.Lmax
    SteadyState.evolve p.Boundary p.M1a p.M1c p.OmegaDT (1.5 * p.Kzz) steps

/// C_ℓ/C_1 (ℓ = 0 … lmax) of the steady state at a given ΩΔT, boundary and ℓmax, without the diagnostics
/// of `predict`: the model that fits call many times.
let spectrumShape (p: PredictInput) (boundary: Boundary) (lmax: int) (omegaDT: float) : float[] =
    let s, _, _ = turbulence { p with OmegaDT = Some omegaDT; Truncation = Paper lmax }
    let w = Mixing.w s p.Accuracy omegaDT
    over (SteadyState.solve boundary (Mixing.m1aDiagonal w lmax) (Mixing.m1c (Kappa.band s p.Accuracy omegaDT (2 * lmax)) lmax) omegaDT)

/// The pair propagator of the theory, M = I + 2M^(1a) + M^(1c) (eqs. 17, 27, 40, 47; first order in the
/// generator, i.e. second order in δB) at ΔT = omegaDT: the columns ℓ0 of `l0s`, rows ℓ = 0 … lmax
/// ([ℓ0 index][ℓ]). Its elements do not depend on a truncation (M^(1c)_ℓℓ0 needs κ up to ℓ + ℓ0 only). The
/// inputs follow predict's rules (ρ, η, q, k_max, ΩΔT ≥ MinOmegaDT, the κ quadrature's size); ℓ0 must lie in
/// 0 … lmax. Compared with the simulation in docs/validation.md.
let propagator (p: PredictInput) (omegaDT: float) (l0s: int[]) (lmax: int) : float[][] =
    let s, _, _ = turbulence { p with OmegaDT = Some omegaDT; Truncation = Paper lmax }
    match l0s |> Array.tryFind (fun l0 -> l0 < 0 || l0 > lmax) with
    | Some l0 -> inputError $"ℓ0 must lie in 0 … ℓ_max = {lmax}, got {l0}"
    | None -> ()
    let w = Mixing.w s p.Accuracy omegaDT
    let m = Mixing.matrix (Mixing.m1aDiagonal w lmax) (Mixing.m1c (Kappa.band s p.Accuracy omegaDT (2 * lmax)) lmax)
    let columns = l0s |> Array.map (fun l0 -> Array.init (lmax + 1) (fun l -> m.[l, l0]))
    if columns |> Array.exists (Array.exists (Double.IsFinite >> not)) then
        inputError $"the propagator at ρ = {p.Rho:G3}, η = {p.Eta:G3}, ΩΔT = {omegaDT:G3} is not finite in double precision (W = {w:G3}): these inputs lie outside the theory's numerical range"
    columns
