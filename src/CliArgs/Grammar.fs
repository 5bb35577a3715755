/// SkyMix's command-line grammar, one Argu union per command. Flags are kebab-case; units are in the help.
module SkyMix.CliArgs.Grammar

open System
open Argu
open SkyMix.Theory

/// A number as the help shows it.
let private g (v: float) = v.ToString("G4", Globalization.CultureInfo.InvariantCulture)

/// Rigidities as the help shows them: 10TV,100TV,1PV,10PV.
let private rigidities (volts: float[]) = String.Join(",", volts |> Array.map (Units.rigidityText ""))

type ClArgs =
    | [<MainCommand; ExactlyOnce>] Map of file: string
    | Lmax of l: int
    | Iter of n: int
    | Out of file: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Map _ -> "HEALPix map: FITS as healpy's write_map writes it (.fits or .fits.gz; RING or NESTED; float64 or float32; of a T,Q,U map the first column, T), or CSV with columns ipix,f in RING order."
            | Lmax _ -> "largest multipole ℓ (default 3·Nside − 1; at most 8·Nside)."
            | Iter _ -> $"Jacobi iterations, as healpy's anafast iter (default {Defaults.Cl.iter}: the plain pixel sum; note that healpy's anafast defaults to iter=3)."
            | Out _ -> "write the spectrum to this CSV file (columns l,cl) instead of standard output (- is standard output)."

type PredictArgs =
    | Rigidity of list: string
    | Brms of microgauss: float
    | Lc of parsec: float
    | Rho of list: string
    | Eta of eta: float
    | Q of q: float
    | Kmax of omega: float
    | Omega_Dt of omegaDT: float
    | A of a: float
    | Lmax of l: string
    | Lout of l: int
    | Tol of tol: float
    | Lmax_Scan of list: string
    | Times of n: int
    | Out of file: string
    | Json of file: string
    | Plot of file: string
    | Debug

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Rigidity _ -> $"rigidities, comma separated, with units GV, TV or PV (default {rigidities Defaults.Study.rigiditiesVolts})."
            | Brms _ -> $"total rms field B_rms = √(B0² + ⟨δB²⟩) in µG (default {g Defaults.Study.bRmsMicroGauss})."
            | Lc _ -> $"correlation length L_c in pc; L_max = 5 L_c (default {g Defaults.Study.lcParsec})."
            | Rho _ -> "ρ = r_g/L_c values, comma separated, instead of --rigidity."
            | Eta _ -> $"turbulence level η = ⟨δB²⟩/B_rms², in (0, 1) (default {g Defaults.Study.eta})."
            | Q _ -> $"spectral index q of g(k) ∝ k^−q, in (0, 1.95] (default {g Defaults.Study.q})."
            | Kmax _ -> $"largest wavenumber k_max in units of Ω/c (default 2π/λ_min, λ_min = r_g/{g Defaults.Study.lambdaMinOverRgPaper} of the smallest rigidity given: one field for all, as in the paper)."
            | Omega_Dt _ -> "ΩΔT for every rigidity (default: a·(Ωτ_s)^(1/3), eq. 51)."
            | A _ -> $"the constant a of ΩΔT = a(Ωτ_s)^(1/3) (default {g Defaults.Predict.lawA})."
            | Lmax _ -> $"auto (default): the ℓ_max → ∞ limit (zero-flux boundary, ℓ_max raised until C_ℓ/C_1 for ℓ ≤ --lout converges); or a whole number 2 … {Api.MaxLmax}: the paper's truncation at that ℓ_max (absorbing boundary)."
            | Lout _ -> $"with --lmax auto: the largest ℓ whose C_ℓ/C_1 must converge, 2 … {Api.MaxLmax / 8} (default {Defaults.Predict.lout})."
            | Tol _ -> $"with --lmax auto: relative error allowed on each converged C_ℓ/C_1, in (0, 1) (default {g Defaults.Predict.tol})."
            | Lmax_Scan _ -> $"also solve at each of these ℓ_max (2 … {Api.MaxLmax}, e.g. 50,100,200,400,800,1600) with both boundaries and print how C_ℓ/C_1 moves (FILE.scan.csv with --out, for ℓ ≤ 100; PLOT.scan.png with --plot)."
            | Times _ -> "also evolve C_ℓ(t) from a dipole-only start for N ≥ 1 steps of ΔT (eq. 19 in its integrated form, whose steady state is eq. 20)."
            | Out _ -> "CSV of the spectra (- for standard output): rho,l,cl_over_c1,cl_over_s (with --lmax auto also cl_over_c1_converged,cl_over_c1_converged_err; and FILE.time.csv with --times)."
            | Json _ -> "JSON with every input, derived value, spectrum and timing (- for standard output)."
            | Plot _ -> "PNG of C_ℓ/C_1 for every rigidity with its power law over the fitted range, and η, q, ΩΔT, ℓ_max on the figure."
            | Debug -> "print the sum-rule residual of the paper's truncated mixing matrix (at ℓ_max = 100, or --lmax N)."

type SimulateArgs =
    | Rigidity of r: string
    | Brms of microgauss: float
    | Lc of parsec: float
    | Rho of rho: float
    | Eta of eta: float
    | Q of q: float
    | Kmax of omega: float
    | Lambda_Min of fraction: float
    | Nside of nside: int
    | Realizations of n: int
    | Seed of seed: uint64
    | Times of spec: string
    | Device of device: string
    | Out of folder: string
    | Step_Gyro of fraction: float
    | Step_Lambda of fraction: float
    | Gradient of xyz: string
    | Memory of megabytes: int
    | No_Maps
    | Threads of n: int
    | Shard of spec: string
    | From of runJson: string
    | Plot of file: string
    | Mixing of l0s: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Rigidity _ -> $"one rigidity with unit GV, TV or PV (default {rigidities [| Defaults.Simulate.rigidityVolts |]})."
            | Brms _ -> $"total rms field B_rms in µG (default {g Defaults.Study.bRmsMicroGauss})."
            | Lc _ -> $"correlation length L_c in pc; L_max = 5 L_c (default {g Defaults.Study.lcParsec})."
            | Rho _ -> "ρ = r_g/L_c instead of --rigidity."
            | Eta _ -> $"turbulence level η = ⟨δB²⟩/B_rms² in (0, 1) (default {g Defaults.Study.eta})."
            | Q _ -> $"spectral index q of g(k) ∝ k^−q, in (0, 1.95] (default {g Defaults.Study.q})."
            | Kmax _ -> "largest wavenumber in units of Ω/c (default from --lambda-min)."
            | Lambda_Min _ -> $"smallest wavelength as r_g/N (default {g Defaults.Simulate.lambdaMinOverRg}; the paper uses {g Defaults.Study.lambdaMinOverRgPaper} at 10 TV)."
            | Nside _ -> $"HEALPix Nside of the particle grid, a power of two ≤ 8192 (default {Defaults.Simulate.nside})."
            | Realizations _ -> $"number of field realisations (default {Defaults.Simulate.realizations})."
            | Seed _ -> $"seed of the study, a whole number 0 … 18446744073709551615 (default {Defaults.Simulate.seed})."
            | Times _ -> $"backtracking times in 1/Ω: 10,100,1000 or log:FROM:TO:COUNT (default {Defaults.Simulate.times})."
            | Device _ -> $"auto, cuda, cpu or ilgpu-cpu (default {Defaults.Simulate.device}: CUDA if present, else all CPU cores)."
            | Out _ -> "run folder (default runs/simulate-RIGIDITY); rerunning on it resumes."
            | Step_Gyro _ -> $"step as a fraction of the gyro-period 2π/Ω (default {g Defaults.Simulate.stepGyro})."
            | Step_Lambda _ -> $"step as a fraction of the smallest wavelength (default {g Defaults.Simulate.stepLambda}; the step is the smaller)."
            | Gradient _ -> $"direction of ∇f̄ as x,y,z (default {String.Join(',', Defaults.Simulate.gradient)}, i.e. along B0)."
            | Memory _ -> $"memory budget of the field in MB (default {Defaults.Simulate.memoryMegabytes})."
            | No_Maps -> "do not write the sky maps (HEALPix FITS, one per time) of each realisation."
            | Threads _ -> $"threads of the CPU path (default {Defaults.Simulate.threads}: all cores); results do not depend on it."
            | Shard _ -> "I/N: run only the realisations ≡ I (mod N), e.g. one task of a job array; combine with skymix merge."
            | From _ -> "repeat the run recorded in this run.json (its settings, seed and device); only --out, --device, --threads, --shard, --plot may be added."
            | Plot _ -> "PNG of C_ℓ^sub/C_1^sub at the fit time with the fitted mixing-equation spectrum (Fig. 5; the run is fitted as skymix fit does; needs ≥ 2 realisations)."
            | Mixing _ -> "also measure the pair propagator M_ℓℓ0(T) of eq. 17 for these ℓ0 (0 … 3·Nside − 1, e.g. 1,2): mixing.csv with T,l0,l,m,err in the run folder (no extra pushing)."

type FitArgs =
    | [<MainCommand; ExactlyOnce>] Runs of folders: string list
    | Out of folder: string
    | Lmax of l: string
    | Lfit of l: int
    | Time of omegaT: float
    | Plot of file: string
    | Allow_Partial

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Runs _ -> "run folders written by skymix simulate (one per rigidity)."
            | Out _ -> $"folder for fit.csv, fit.json and fig6_law.png (default {Defaults.Fitting.out}, the current folder); Fig. 5 goes where --plot says."
            | Lmax _ -> $"auto (default): the ℓ_max → ∞ limit of the mixing equation; or a whole number {FitRun.MinLmax} … {Api.MaxLmax}: the paper's truncation at that ℓ_max."
            | Lfit _ -> "largest multipole fitted, 3 … min(3·Nside − 1, --lmax) (default: where the signal-to-noise first drops below 1)."
            | Plot _ -> "PNG of C_ℓ^sub/C_1^sub with the fitted mixing-equation spectra (Fig. 5)."
            | Allow_Partial -> "fit a run whose realisations are not all finished (an interrupted simulate); without it such a run is refused."
            | Time _ -> $"fit the spectra of the first output time ≥ this ΩT; the table shows the time used (default: the first output ≥ {g FitRun.Protocol.Default.FitTimeOverTauSim}τ_s of the run)."

type MergeArgs =
    | [<MainCommand; ExactlyOnce>] Runs of folders: string list
    | [<Mandatory>] Out of folder: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Runs _ -> "run folders of one study (the shards of skymix simulate --shard)."
            | Out _ -> "the merged run folder (a new folder, or one holding the same study)."

type SlurmArgs =
    | [<Mandatory>] Shards of n: int
    | [<Mandatory>] Out of folder: string
    | Partition of name: string
    | Time of limit: string
    | Cpus_Per_Task of n: int
    | Gpus_Per_Task of n: int
    | Account of name: string
    | [<EqualsAssignmentOrSpaced>] Sbatch of option: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Shards _ -> "number of array tasks; task i runs the realisations ≡ i (mod N)."
            | Out _ -> "the study's folder: scripts in OUT/slurm, shards in OUT/shards/I, the merged run in OUT."
            | Partition _ -> "Slurm partition (sbatch --partition)."
            | Time _ -> "time limit per task, e.g. 30, 4:00:00 or 1-00:00:00 (sbatch --time)."
            | Cpus_Per_Task _ -> "cores per task (sbatch --cpus-per-task; skymix uses them all)."
            | Gpus_Per_Task _ -> "GPUs per task (sbatch --gpus-per-task), for --device cuda."
            | Account _ -> "account to charge (sbatch --account)."
            | Sbatch _ -> "any further sbatch option for both jobs, e.g. --sbatch=--qos=long (repeatable)."

type ReproduceArgs =
    | Quick
    | Full
    | Out of folder: string
    | Rigidity of list: string
    | Nside of nside: int
    | Realizations of n: int
    | Lmax of l: string
    | Device of device: string
    | Seed of seed: uint64
    | Eta of list: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Quick -> $"cut for 2 CPU cores (about 12 minutes there, see README): Nside {Defaults.Reproduce.quick.Nside}, {Defaults.Reproduce.quick.Realizations} realisations, λ_min = r_g/{g (Option.get Defaults.Reproduce.quick.LambdaMinOverRg)} (the default)."
            | Full -> $"the paper's settings (Nside {Defaults.Reproduce.full.Nside}, {Defaults.Reproduce.full.Realizations} realisations, λ_min = r_g/{g Defaults.Study.lambdaMinOverRgPaper} at 10 TV); meant for a GPU."
            | Out _ -> $"folder of the study and its report.md (default {Defaults.Reproduce.folder Defaults.Reproduce.quick} or {Defaults.Reproduce.folder Defaults.Reproduce.full})."
            | Rigidity _ -> $"rigidities instead of {rigidities Defaults.Study.rigiditiesVolts} (units GV, TV, PV; each once)."
            | Nside _ -> "Nside instead of the preset's."
            | Realizations _ -> "realisations per rigidity instead of the preset's."
            | Lmax _ -> "auto (default): fit with the ℓ_max → ∞ limit of the mixing equation; or N: the paper's truncation at ℓ_max = N."
            | Device _ -> $"auto, cuda, cpu or ilgpu-cpu (default {Defaults.Simulate.device})."
            | Seed _ -> $"seed of the study, a whole number 0 … 18446744073709551615 (default {Defaults.Simulate.seed})."
            | Eta _ -> $"turbulence levels η = ⟨δB²⟩/B_rms², comma separated, each in (0, 1), e.g. 0.1,0.3,0.5: every rigidity is simulated and fitted at each; Fig. 6 shows them all and the report gives the law per η and combined (default {g Defaults.Study.eta}, the paper's)."

type MatrixArgs =
    | Rigidity of r: string
    | Brms of microgauss: float
    | Lc of parsec: float
    | Rho of rho: float
    | Eta of eta: float
    | Q of q: float
    | Kmax of omega: float
    | [<Mandatory>] Omega_Dt of list: string
    | [<Mandatory>] L0 of list: string
    | Lmax of l: int
    | Out of file: string

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Rigidity _ -> "one rigidity with unit GV, TV or PV, instead of --rho."
            | Brms _ -> $"with --rigidity: total rms field B_rms in µG (default {g Defaults.Study.bRmsMicroGauss})."
            | Lc _ -> $"with --rigidity: correlation length L_c in pc (default {g Defaults.Study.lcParsec})."
            | Rho _ -> "ρ = r_g/L_c."
            | Eta _ -> $"turbulence level η = ⟨δB²⟩/B_rms², in (0, 1) (default {g Defaults.Study.eta})."
            | Q _ -> $"spectral index q of g(k) ∝ k^−q, in (0, 1.95] (default {g Defaults.Study.q})."
            | Kmax _ -> $"largest wavenumber k_max in units of Ω/c (default 2π/λ_min, λ_min = r_g/{g Defaults.Study.lambdaMinOverRgPaper})."
            | Omega_Dt _ -> "the times ΩΔT, comma separated (each ≥ 1e-3), e.g. 1,2,5."
            | L0 _ -> "the columns ℓ0 of M, comma separated, e.g. 1,2."
            | Lmax _ -> $"the rows ℓ = 0 … ℓ_max (default {Defaults.Matrix.lmax}; at least the largest ℓ0)."
            | Out _ -> "CSV file (default: standard output) with columns omega_dt,l0,l,m."

[<HelpDescription("show this help")>]
type SkymixArgs =
    | [<CliPrefix(CliPrefix.None)>] Predict of ParseResults<PredictArgs>
    | [<CliPrefix(CliPrefix.None)>] Simulate of ParseResults<SimulateArgs>
    | [<CliPrefix(CliPrefix.None)>] Fit of ParseResults<FitArgs>
    | [<CliPrefix(CliPrefix.None)>] Reproduce of ParseResults<ReproduceArgs>
    | [<CliPrefix(CliPrefix.None)>] Cl of ParseResults<ClArgs>
    | [<CliPrefix(CliPrefix.None)>] Merge of ParseResults<MergeArgs>
    | [<CliPrefix(CliPrefix.None)>] Slurm of ParseResults<SlurmArgs>
    | [<CliPrefix(CliPrefix.None)>] Matrix of ParseResults<MatrixArgs>
    | Version

    interface IArgParserTemplate with
        member a.Usage =
            match a with
            | Predict _ -> "steady-state C_ℓ from the mixing matrix (the main job; no options: the paper's four rigidities)."
            | Simulate _ -> "backtrack test particles through slab turbulence; sky maps, C_ℓ(T), dipoles, K_zz."
            | Fit _ -> "fit ΩΔT per run folder and the law ΩΔT = a(Ωτ_s)^(1/3) across them."
            | Reproduce _ -> "the whole study of the paper: simulate, predict, fit, and a report with Figs. 2–7."
            | Cl _ -> "angular power spectrum C_ℓ of a HEALPix map (healpy anafast)."
            | Merge _ -> "combine the shards of a study (skymix simulate --shard) into one run folder."
            | Slurm _ -> "write a Slurm job array running a study in shards, and the merge as a dependent job: skymix slurm --shards N --out DIR -- SIMULATE OPTIONS."
            | Matrix _ -> "the theory's pair propagator M = I + 2M^(1a) + M^(1c) at given ΩΔT (eq. 17), columns ℓ0, as CSV."
            | Version -> "print the version, the git commit and the accelerators found."
