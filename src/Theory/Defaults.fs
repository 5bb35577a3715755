/// Every default of SkyMix's commands, defined once: the command line, the run settings and the help texts
/// take them from here.
module SkyMix.Theory.Defaults

/// The paper's study (Sec. 2.1.3): B_rms = 4 µG, L_c = L_max/5 = 30 pc, η = 0.5, a Kolmogorov slab spectrum,
/// and the four rigidities of its Fig. 5.
[<RequireQualifiedAccess>]
module Study =
    let bRmsMicroGauss = 4.0
    let lcParsec = 30.0
    let eta = 0.5
    let q = 5.0 / 3.0
    /// 10 TV, 100 TV, 1 PV, 10 PV [V]
    let rigiditiesVolts = [| 1e13; 1e14; 1e15; 1e16 |]
    /// the paper's smallest wavelength, r_g/150 at the smallest rigidity of the study
    let lambdaMinOverRgPaper = Units.lambdaMinOverRgPaper

/// `skymix predict`.
[<RequireQualifiedAccess>]
module Predict =
    /// the constant a of ΩΔT = a(Ωτ_s)^{1/3} (eq. 51; the paper fits ≈ 4)
    let lawA = Fit.paperA
    /// --lmax auto: C_ℓ/C_1 for ℓ ≤ lout converged to tol
    let lout = Api.ConvergenceGoal.Default.Lout
    let tol = Api.ConvergenceGoal.Default.Tol

/// `skymix cl`.
[<RequireQualifiedAccess>]
module Cl =
    /// Jacobi iterations of the spherical-harmonic analysis (healpy's anafast defaults to 3)
    let iter = 0

/// `skymix matrix`.
[<RequireQualifiedAccess>]
module Matrix =
    /// the rows ℓ = 0 … lmax written (at least the largest ℓ0)
    let lmax = 30

/// `skymix fit`.
[<RequireQualifiedAccess>]
module Fitting =
    /// the folder of fit.csv, fit.json and the figures
    let out = "."

/// `skymix simulate`.
[<RequireQualifiedAccess>]
module Simulate =
    /// 10 PV: the quickest rigidity to backtrack past τ_s [V]
    let rigidityVolts = 1e16
    /// the smallest wavelength as r_g/N (the paper: 150 at 10 TV; 10 keeps a demo fast)
    let lambdaMinOverRg = 10.0
    let nside = 16
    let realizations = 4
    let seed = 1UL
    /// --device: CUDA if present, else the CPU path on all cores
    let device = "auto"
    /// CPU threads (0: all cores)
    let threads = 0
    /// the output times ΩT (the syntax of --times)
    let times = "log:1:300:12"
    /// the step: the smaller of these fractions of the gyro-period 2π/Ω and of the smallest wavelength
    let stepGyro = 0.01
    let stepLambda = 1.0
    /// ∇f̄ ∥ B0
    let gradient = [| 0.0; 0.0; 1.0 |]
    /// the field's memory budget [MB]
    let memoryMegabytes = 2048

/// A preset of `skymix reproduce`.
type Preset =
    { Name: string
      Nside: int
      Realizations: int
      /// smallest wavelength r_g/N at every rigidity; None: the paper's rule (r_g/150 at the smallest rigidity)
      LambdaMinOverRg: float option
      /// output times per rigidity, logarithmic from ΩT = 1 to max(300, 4Ωτ_s^QLT)
      TimesCount: int }

/// `skymix reproduce`.
[<RequireQualifiedAccess>]
module Reproduce =
    let quick =
        { Name = "quick"; Nside = 64; Realizations = 16; LambdaMinOverRg = Some 10.0; TimesCount = 14 }
    let full =
        { Name = "full"; Nside = 256; Realizations = 35; LambdaMinOverRg = None; TimesCount = 20 }
    /// the study folder of a preset: reproduce-quick, reproduce-full
    let folder (preset: Preset) = $"reproduce-{preset.Name}"
    /// the last output time: max(this, 4Ωτ_s^QLT)
    let minLastTime = 300.0
    let lastTimeOverTauQlt = 4.0
