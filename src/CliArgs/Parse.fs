/// Turns argv into one record per command for Cli.cs. Bad usage raises UsageError with one line.
module SkyMix.CliArgs.Parse

open System
open Argu
open SkyMix.CliArgs.Grammar
open SkyMix.Theory

/// `skymix cl`: the map file, ℓmax (null: 3·Nside − 1), Jacobi iterations and the output file (null: stdout).
type ClOptions = { Map: string; Lmax: Nullable<int>; Iter: int; Out: string }

/// `skymix predict`: either rigidities [V] or ρ values (the other array is empty); null = default.
type PredictOptions =
    { RigidityVolts: float[]
      Rho: float[]
      BrmsMicroGauss: float
      LcParsec: float
      Eta: float
      Q: float
      KMax: Nullable<float>
      OmegaDT: Nullable<float>
      LawA: float
      /// the paper's truncation at this ℓ_max; null: the converged limit (--lmax auto)
      Lmax: Nullable<int>
      Lout: int
      Tol: float
      /// the ℓ_max of a scan (--lmax-scan), ascending; empty: none
      LmaxScan: int[]
      Times: int
      Out: string
      Json: string
      Plot: string
      Debug: bool }

/// `skymix simulate`: one rigidity [V] (NaN when ρ is given instead) or ρ (NaN when a rigidity is given);
/// Device and Out are null for the defaults; From is the run.json to repeat (null: a new run).
type SimulateOptions =
    { RigidityVolts: float
      Rho: float
      BrmsMicroGauss: float
      LcParsec: float
      Eta: float
      Q: float
      KMax: Nullable<float>
      LambdaMinOverRg: float
      Nside: int
      Realizations: int
      Seed: uint64
      Times: float[]
      Device: string
      Out: string
      StepGyro: float
      StepLambda: float
      Gradient: float[]
      MemoryMegabytes: int
      Maps: bool
      Threads: int
      ShardIndex: int
      ShardCount: int
      From: string
      /// the Fig. 5 PNG of the finished run (null: none)
      Plot: string
      /// the ℓ0 whose pair propagator each realisation measures (empty: none)
      MixingL0: int[] }

/// `skymix matrix`: one rigidity [V] (NaN when ρ is given) or ρ (NaN when a rigidity is given), the times ΩΔT,
/// the columns ℓ0, the rows ℓ ≤ Lmax, the CSV file (null: standard output).
type MatrixOptions =
    { RigidityVolts: float
      Rho: float
      BrmsMicroGauss: float
      LcParsec: float
      Eta: float
      Q: float
      KMax: Nullable<float>
      OmegaDT: float[]
      L0: int[]
      Lmax: int
      Out: string }

/// `skymix merge`: the run folders to combine and the merged folder.
type MergeOptions = { Runs: string[]; Out: string }

/// `skymix slurm`: shards, the study folder, sbatch settings (null/0 = not given) and the simulate
/// options of every task (parsed, and as written for the script).
type SlurmOptions =
    { Shards: int
      Out: string
      Partition: string
      Time: string
      CpusPerTask: int
      GpusPerTask: int
      Account: string
      Sbatch: string[]
      Simulate: SimulateOptions
      SimulateArgs: string[] }

/// `skymix fit`: run folders, output folder; 0 = default for Lmax/LFit/Time.
/// Plot: the Fig. 5 PNG (null: none); AllowPartial: fit runs with unfinished realisations.
type FitOptions = { Runs: string[]; Out: string; Lmax: Nullable<int>; LFit: int; Time: float; Plot: string; AllowPartial: bool }

/// `skymix reproduce`: the preset and its overrides (null / empty = the preset's value).
type ReproduceOptions =
    { Full: bool
      Out: string
      RigidityVolts: float[]
      Nside: Nullable<int>
      Realizations: Nullable<int>
      Lmax: Nullable<int>
      Device: string
      Seed: uint64
      /// the turbulence levels, each once (default: the paper's)
      Eta: float[] }

/// What the user asked for.
type Command =
    | Fit of FitOptions
    | Reproduce of ReproduceOptions
    | Predict of PredictOptions
    | Simulate of SimulateOptions
    | Cl of ClOptions
    | Merge of MergeOptions
    | Slurm of SlurmOptions
    | Matrix of MatrixOptions
    | ShowVersion
    /// Help was asked for: print the text and exit 0.
    | Help of text: string

/// Wrong usage; the message is one line that says what is wrong and where to look.
exception UsageError of message: string

let private parser = ArgumentParser.Create<SkymixArgs>(programName = "skymix")

let private firstLine (text: string) =
    text.Split('\n', StringSplitOptions.RemoveEmptyEntries) |> Array.tryHead |> Option.defaultValue text

let private nullable (o: 'a option) = match o with Some v -> Nullable v | None -> Nullable()
let private orNull (o: string option) = defaultArg o null

/// Files and folders named on the command line; a name that starts with "--" is a mistyped option
/// (a file really named so can be given as ./--name).
let private operands (command: string) (names: string list) =
    match names |> List.tryFind (fun n -> n.StartsWith "--" || n.Length = 0) with
    | Some "" -> raise (UsageError $"an empty name was given as a file or folder (see skymix {command} --help)")
    | Some n -> raise (UsageError $"unrecognized argument: '{n}' (see skymix {command} --help)")
    | None -> names |> List.toArray

let private cl (r: ParseResults<ClArgs>) =
    Cl { Map = (operands "cl" [ r.GetResult ClArgs.Map ])[0]
         Lmax = nullable (r.TryGetResult ClArgs.Lmax)
         Iter = r.GetResult(ClArgs.Iter, defaultValue = Defaults.Cl.iter)
         Out = orNull (r.TryGetResult ClArgs.Out) }

let private number (what: string) (text: string) =
    match Double.TryParse(text.Trim(), Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
    | true, v when Double.IsFinite v -> v
    | _ -> raise (UsageError $"{what} '{text}' is not a number")

/// "10TV" → 1e13 V; units GV, TV, PV (case as written, e.g. "1.5 PV").
let private rigidityVolts (text: string) =
    let t = text.Trim()
    let units = [ "GV", 1e9; "TV", 1e12; "PV", 1e15 ]
    match units |> List.tryFind (fun (u, _) -> t.EndsWith(u, StringComparison.OrdinalIgnoreCase)) with
    | Some(u, scale) ->
        let v = number "rigidity" (t.Substring(0, t.Length - u.Length))
        if v <= 0.0 then raise (UsageError $"rigidity '{text}' must be positive (e.g. 10TV)")
        v * scale
    | None ->
        // the unit is the letters after the number: "10EV" has the unit EV, "1e3" none
        let m = Text.RegularExpressions.Regex.Match(t, @"^[0-9.eE+-]*?\s*([A-Za-z]+)$")
        if not m.Success then raise (UsageError $"rigidity '{text}' has no unit; write e.g. 10TV or 1PV (units GV, TV, PV)")
        else raise (UsageError $"unknown rigidity unit '{m.Groups[1].Value}' in '{text}'; use GV, TV or PV (e.g. 10TV,1PV)")

/// "--lmax auto" (null) or a whole number.
let private lmaxOption (text: string option) =
    match text with
    | None -> Nullable()
    | Some t when t.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) -> Nullable()
    | Some t ->
        match Int32.TryParse(t.Trim()) with
        | true, v -> Nullable v
        | _ -> raise (UsageError $"--lmax '{t}': give auto (the converged limit) or a whole number (the paper's truncation at that ℓ_max)")

/// A comma-separated list of one or more items (no empty ones) given to `option`; `example` shows the form.
let private listOf (option: string) (example: string) (text: string) =
    let items = text.Split(',') |> Array.map (fun s -> s.Trim())
    if items |> Array.exists String.IsNullOrEmpty then
        raise (UsageError $"{option} '{text}' has an empty item; give one or more values separated by commas, e.g. {example}")
    items

/// A list of whole numbers ≥ 0 given to `option`, each once.
let private multipoles (option: string) (text: string) =
    let ls = listOf option "1,2" text
             |> Array.map (fun (x: string) -> match Int32.TryParse x with
                                              | true, v when v >= 0 -> v
                                              | _ -> raise (UsageError $"{option} {text}: '{x}' is not a whole number ≥ 0"))
    if ls.Length <> (Array.distinct ls).Length then raise (UsageError $"{option} {text}: give each ℓ0 once")
    ls

/// A list of rigidities.
let private list = listOf "--rigidity" "10TV,1PV"

/// A list of ρ.
let private rhoList = listOf "--rho" "0.009,0.09"

/// --rho fixes ρ = r_g/L_c itself; --brms and --lc only turn rigidities into ρ (and times into years).
let private rhoWithField =
    "--rho sets ρ = r_g/L_c directly, so --brms and --lc would be ignored: give them with --rigidity, or drop them"

let private predict (r: ParseResults<PredictArgs>) =
    let rig = r.TryGetResult PredictArgs.Rigidity
    let rho = r.TryGetResult PredictArgs.Rho
    if rig.IsSome && rho.IsSome then raise (UsageError "give either --rigidity or --rho, not both")
    if rho.IsSome && (r.Contains PredictArgs.Brms || r.Contains PredictArgs.Lc) then raise (UsageError rhoWithField)
    if r.Contains PredictArgs.A && r.Contains PredictArgs.Omega_Dt then
        raise (UsageError "give --omega-dt or --a, not both: --a sets ΩΔT = a(Ωτ_s)^(1/3), --omega-dt sets it directly")
    let rigidities =
        match rig, rho with
        | Some t, _ -> list t |> Array.map rigidityVolts
        | None, None -> Defaults.Study.rigiditiesVolts
        | None, Some _ -> [||]
    Predict { RigidityVolts = rigidities
              Rho = rho |> Option.map (rhoList >> Array.map (number "ρ")) |> Option.defaultValue [||]
              BrmsMicroGauss = r.GetResult(PredictArgs.Brms, defaultValue = Defaults.Study.bRmsMicroGauss)
              LcParsec = r.GetResult(PredictArgs.Lc, defaultValue = Defaults.Study.lcParsec)
              Eta = r.GetResult(PredictArgs.Eta, defaultValue = Defaults.Study.eta)
              Q = r.GetResult(PredictArgs.Q, defaultValue = Defaults.Study.q)
              KMax = nullable (r.TryGetResult PredictArgs.Kmax)
              OmegaDT = nullable (r.TryGetResult PredictArgs.Omega_Dt)
              LawA = r.GetResult(PredictArgs.A, defaultValue = Defaults.Predict.lawA)
              Lmax = lmaxOption (r.TryGetResult PredictArgs.Lmax)
              Lout =
                match r.TryGetResult PredictArgs.Lout with
                | Some _ when r.Contains PredictArgs.Lmax && (lmaxOption (r.TryGetResult PredictArgs.Lmax)).HasValue ->
                    raise (UsageError "--lout belongs to --lmax auto; with a fixed --lmax every ℓ ≤ ℓ_max is written")
                | Some l -> l
                | None -> Defaults.Predict.lout
              Tol =
                match r.TryGetResult PredictArgs.Tol with
                | Some _ when (lmaxOption (r.TryGetResult PredictArgs.Lmax)).HasValue ->
                    raise (UsageError "--tol belongs to --lmax auto; a fixed --lmax is not iterated")
                | Some t -> t
                | None -> Defaults.Predict.tol
              LmaxScan =
                match r.TryGetResult PredictArgs.Lmax_Scan with
                | None -> [||]
                | Some t ->
                    let ls = listOf "--lmax-scan" "100,200,400" t
                             |> Array.map (fun x -> match Int32.TryParse x with
                                                    | true, v when v >= 2 && v <= Api.MaxLmax -> v
                                                    | _ -> raise (UsageError $"--lmax-scan {t}: '{x}' is not a whole number in 2 … {Api.MaxLmax}"))
                    if ls <> Array.sort (Array.distinct ls) then raise (UsageError $"--lmax-scan {t}: give distinct ℓ_max in ascending order")
                    ls
              Times =
                match r.TryGetResult PredictArgs.Times with
                | Some n when n < 1 -> raise (UsageError $"--times must be a number of steps ≥ 1, got {n}")
                | Some n -> n
                | None -> 0
              Out = orNull (r.TryGetResult PredictArgs.Out)
              Json = orNull (r.TryGetResult PredictArgs.Json)
              Plot = orNull (r.TryGetResult PredictArgs.Plot)
              Debug = r.Contains PredictArgs.Debug }

/// "10,100,1000" or "log:FROM:TO:COUNT" (COUNT log-spaced values, both ends included).
let times (text: string) =
    if text.StartsWith("log:", StringComparison.OrdinalIgnoreCase) then
        match text.Split(':') with
        | [| _; a; b; n |] ->
            let a, b = number "time" a, number "time" b
            let n = match Int32.TryParse n with | true, v when v >= 1 -> v | _ -> raise (UsageError $"--times {text}: COUNT must be a whole number ≥ 1")
            if not (a > 0.0 && b > a) then raise (UsageError $"--times {text}: need 0 < FROM < TO")
            if n = 1 then [| b |] else Array.init n (fun i -> a * (b / a) ** (float i / float (n - 1)))
        | _ -> raise (UsageError $"--times {text}: write log:FROM:TO:COUNT, e.g. log:1:2000:20")
    else listOf "--times" "10,100,1000" text |> Array.map (number "time")

/// "I/N" with 0 ≤ I < N.
let private shard (text: string) =
    match text.Split('/') with
    | [| i; n |] ->
        match Int32.TryParse i, Int32.TryParse n with
        | (true, i), (true, n) when n >= 1 && i >= 0 && i < n -> i, n
        | _ -> raise (UsageError $"--shard {text}: need I/N with 0 ≤ I < N, e.g. 0/4 … 3/4")
    | _ -> raise (UsageError $"--shard {text}: write I/N, e.g. 2/8 for the third of eight shards")

/// The command-line spelling of a parsed option, e.g. Lambda_Min 10 → --lambda-min.
let private flagOf (a: 'T) = "--" + (string a).Split(' ').[0].ToLowerInvariant().Replace('_', '-')

/// Every option at most once (Argu would keep the last one silently); --sbatch may repeat.
let private once (r: ParseResults<'T>) =
    match r.GetAllResults() |> List.map flagOf |> List.countBy id |> List.tryFind (fun (f, k) -> k > 1 && f <> "--sbatch") with
    | Some(f, _) -> raise (UsageError $"{f} is given more than once; give each option once")
    | None -> ()

let private simulateOptions (r: ParseResults<SimulateArgs>) : SimulateOptions =
    once r
    if r.Contains SimulateArgs.Kmax && r.Contains SimulateArgs.Lambda_Min then
        raise (UsageError "give --kmax or --lambda-min, not both (both set the smallest wavelength)")
    let rig = r.TryGetResult SimulateArgs.Rigidity
    let rho = r.TryGetResult SimulateArgs.Rho
    if rig.IsSome && rho.IsSome then raise (UsageError "give either --rigidity or --rho, not both")
    if rho.IsSome && (r.Contains SimulateArgs.Brms || r.Contains SimulateArgs.Lc) then raise (UsageError rhoWithField)
    let from = r.TryGetResult SimulateArgs.From
    if from.IsSome then
        let allowed = function
            | SimulateArgs.From _ | SimulateArgs.Out _ | SimulateArgs.Device _ | SimulateArgs.Threads _ | SimulateArgs.Shard _ | SimulateArgs.Plot _ -> true
            | _ -> false
        match r.GetAllResults() |> List.tryFind (allowed >> not) with
        | Some a ->
            raise (UsageError $"--from repeats a recorded run with the settings of its run.json; {flagOf a} cannot be given with it (only --out, --device, --threads, --shard, --plot)")
        | None -> ()
    let volts =
        match rig, rho with
        | Some t, _ ->
            match list t with
            | [| one |] -> rigidityVolts one
            | _ -> raise (UsageError "simulate takes one rigidity; run it once per rigidity (one run folder each)")
        | None, None -> Defaults.Simulate.rigidityVolts
        | None, Some _ -> nan
    let gradient =
        match r.TryGetResult SimulateArgs.Gradient with
        | None -> Defaults.Simulate.gradient
        | Some t ->
            let v = listOf "--gradient" "0,0,1" t |> Array.map (number "gradient component")
            if v.Length <> 3 then raise (UsageError $"--gradient {t}: give three components x,y,z")
            let n = sqrt (Array.sumBy (fun x -> x * x) v)
            if n = 0.0 then raise (UsageError "--gradient must not be the zero vector")
            v |> Array.map (fun x -> x / n)
    let threads = r.GetResult(SimulateArgs.Threads, defaultValue = Defaults.Simulate.threads)
    if threads < 0 then raise (UsageError $"--threads {threads}: give a number of threads ≥ 1, or 0 for all cores")
    let shardIndex, shardCount = r.TryGetResult SimulateArgs.Shard |> Option.map shard |> Option.defaultValue (0, 1)
    { RigidityVolts = volts
      Rho = defaultArg rho nan
      BrmsMicroGauss = r.GetResult(SimulateArgs.Brms, defaultValue = Defaults.Study.bRmsMicroGauss)
      LcParsec = r.GetResult(SimulateArgs.Lc, defaultValue = Defaults.Study.lcParsec)
      Eta = r.GetResult(SimulateArgs.Eta, defaultValue = Defaults.Study.eta)
      Q = r.GetResult(SimulateArgs.Q, defaultValue = Defaults.Study.q)
      KMax = nullable (r.TryGetResult SimulateArgs.Kmax)
      LambdaMinOverRg = r.GetResult(SimulateArgs.Lambda_Min, defaultValue = Defaults.Simulate.lambdaMinOverRg)
      Nside = r.GetResult(SimulateArgs.Nside, defaultValue = Defaults.Simulate.nside)
      Realizations = r.GetResult(SimulateArgs.Realizations, defaultValue = Defaults.Simulate.realizations)
      Seed = r.GetResult(SimulateArgs.Seed, defaultValue = Defaults.Simulate.seed)
      Times = times (r.GetResult(SimulateArgs.Times, defaultValue = Defaults.Simulate.times))
      Device = orNull (r.TryGetResult SimulateArgs.Device)
      Out = orNull (r.TryGetResult SimulateArgs.Out)
      StepGyro = r.GetResult(SimulateArgs.Step_Gyro, defaultValue = Defaults.Simulate.stepGyro)
      StepLambda = r.GetResult(SimulateArgs.Step_Lambda, defaultValue = Defaults.Simulate.stepLambda)
      Gradient = gradient
      MemoryMegabytes = r.GetResult(SimulateArgs.Memory, defaultValue = Defaults.Simulate.memoryMegabytes)
      Maps = not (r.Contains SimulateArgs.No_Maps)
      Threads = threads
      ShardIndex = shardIndex
      ShardCount = shardCount
      From = orNull from
      Plot = orNull (r.TryGetResult SimulateArgs.Plot)
      MixingL0 = r.TryGetResult SimulateArgs.Mixing |> Option.map (multipoles "--mixing") |> Option.defaultValue [||] }

let private simulate r = Simulate(simulateOptions r)

let private merge (r: ParseResults<MergeArgs>) =
    Merge { Runs = operands "merge" (r.GetResult MergeArgs.Runs); Out = r.GetResult MergeArgs.Out }

let private slurmName what (text: string) =
    if Text.RegularExpressions.Regex.IsMatch(text, "^[A-Za-z0-9_.,:+-]+$") then text
    else raise (UsageError $"{what} '{text}': letters, digits and _ . , : + - only")

/// sbatch options that skymix slurm writes itself (or sets through its own flags): given again with --sbatch they
/// would come after its own and win (e.g. --array would turn the merge into an array).
let private generatedSbatch =
    [ "--array", "the array of shards (--shards)"; "-a", "the array of shards (--shards)"
      "--output", "the logs in OUT/slurm/logs"; "-o", "the logs in OUT/slurm/logs"; "--error", "the logs in OUT/slurm/logs"; "-e", "the logs in OUT/slurm/logs"
      "--job-name", "the job names"; "-J", "the job names"; "--dependency", "the merge's dependency on the array"; "-d", "the merge's dependency on the array"
      "--partition", "--partition"; "-p", "--partition"; "--time", "--time"; "-t", "--time"; "--cpus-per-task", "--cpus-per-task"; "-c", "--cpus-per-task"
      "--gpus-per-task", "--gpus-per-task"; "--account", "--account"; "-A", "--account"; "--parsable", "submit.sh" ]

let private sbatchOption (text: string) =
    if not (Text.RegularExpressions.Regex.IsMatch(text, "^--?[A-Za-z][A-Za-z0-9_.,:+=/-]*$")) then
        raise (UsageError $"--sbatch {text}: give one sbatch option such as --qos=long (letters, digits and _ . , : + = / -)")
    let name = text.Split('=').[0]
    let name = if name.StartsWith "--" then name else name.Substring(0, min 2 name.Length)
    match generatedSbatch |> List.tryFind (fun (n, _) -> n = name) with
    | Some(n, owner) when owner.StartsWith "--" ->
        raise (UsageError $"--sbatch {text}: skymix slurm sets {n} itself; give it as skymix slurm {owner}")
    | Some(n, owner) -> raise (UsageError $"--sbatch {text}: skymix slurm sets {n} itself ({owner}); it cannot be given again")
    | None -> text

/// `skymix slurm OPTIONS -- SIMULATE OPTIONS`: argv split at "--" by parse.
let private slurm (r: ParseResults<SlurmArgs>) (simulateArgs: string[]) =
    let shards = r.GetResult SlurmArgs.Shards
    if shards < 1 then raise (UsageError $"--shards {shards}: need at least 1")
    let time = r.TryGetResult SlurmArgs.Time
    match time with
    | Some t when not (Text.RegularExpressions.Regex.IsMatch(t, @"^(\d+-)?\d+(:\d\d){0,2}$")) ->
        raise (UsageError $"--time {t}: write minutes, H:MM:SS or D-HH:MM:SS as sbatch --time does")
    | _ -> ()
    let positive what = function
        | Some n when n < 1 -> raise (UsageError $"{what} {n}: need at least 1")
        | o -> defaultArg o 0
    let sim =
        match parser.ParseCommandLine(Array.append [| "simulate" |] simulateArgs, raiseOnUsage = true).GetAllResults() with
        | [ SkymixArgs.Simulate s ] -> simulateOptions s
        | _ -> raise (UsageError "the options after -- are those of skymix simulate")
    if not (isNull sim.Plot) then
        raise (UsageError "--plot after --: the shards of a study are not fitted one by one; plot the merged folder with skymix fit DIR --plot FILE")
    if not (isNull sim.Out) || sim.ShardCount > 1 then
        raise (UsageError "give --out and the number of shards to skymix slurm, not to the simulate options after --")
    Slurm { Shards = shards
            Out = r.GetResult SlurmArgs.Out
            Partition = r.TryGetResult SlurmArgs.Partition |> Option.map (slurmName "--partition") |> orNull
            Time = orNull time
            CpusPerTask = positive "--cpus-per-task" (r.TryGetResult SlurmArgs.Cpus_Per_Task)
            GpusPerTask = positive "--gpus-per-task" (r.TryGetResult SlurmArgs.Gpus_Per_Task)
            Account = r.TryGetResult SlurmArgs.Account |> Option.map (slurmName "--account") |> orNull
            Sbatch = r.GetResults SlurmArgs.Sbatch |> List.map sbatchOption |> List.toArray
            Simulate = sim
            SimulateArgs = simulateArgs }

let private fit (r: ParseResults<FitArgs>) =
    Fit { Runs = operands "fit" (r.GetResult FitArgs.Runs)
          Out = r.GetResult(FitArgs.Out, defaultValue = Defaults.Fitting.out)
          Lmax = lmaxOption (r.TryGetResult FitArgs.Lmax)
          LFit =
            match r.TryGetResult FitArgs.Lfit with
            | Some l when l < 3 -> raise (UsageError $"--lfit must be ≥ 3 (the fit uses C_ℓ/C_1 at ℓ = 2 … ℓ_fit), got {l}")
            | Some l -> l
            | None -> 0
          Time =
            match r.TryGetResult FitArgs.Time with
            | Some t when not (t > 0.0 && Double.IsFinite t) -> raise (UsageError $"--time must be a positive ΩT, got {t}")
            | Some t -> t
            | None -> 0.0
          Plot = orNull (r.TryGetResult FitArgs.Plot)
          AllowPartial = r.Contains FitArgs.Allow_Partial }

let private matrix (r: ParseResults<MatrixArgs>) =
    let rig = r.TryGetResult MatrixArgs.Rigidity
    let rho = r.TryGetResult MatrixArgs.Rho
    match rig, rho with
    | Some _, Some _ -> raise (UsageError "give either --rigidity or --rho, not both")
    | None, None -> raise (UsageError "give --rho R (or --rigidity with --brms and --lc); see skymix matrix --help")
    | _ -> ()
    if rho.IsSome && (r.Contains MatrixArgs.Brms || r.Contains MatrixArgs.Lc) then raise (UsageError rhoWithField)
    let l0 = multipoles "--l0" (r.GetResult MatrixArgs.L0)
    if Array.max l0 > Api.MaxLmax then raise (UsageError $"--l0 {Array.max l0}: each ℓ0 must lie in 0 … {Api.MaxLmax}")
    let omegaDT = listOf "--omega-dt" "1,2,5" (r.GetResult MatrixArgs.Omega_Dt) |> Array.map (number "ΩΔT")
    if omegaDT.Length <> (Array.distinct omegaDT).Length then raise (UsageError "--omega-dt gives a time twice; give each ΩΔT once")
    let lmax = r.GetResult(MatrixArgs.Lmax, defaultValue = max Defaults.Matrix.lmax (Array.max l0))
    if lmax < max 2 (Array.max l0) || lmax > Api.MaxLmax then
        raise (UsageError $"--lmax {lmax}: give {max 2 (Array.max l0)} (at least 2 and the largest ℓ0) … {Api.MaxLmax}")
    Matrix { RigidityVolts =
               match rig with
               | Some t -> (match list t with [| one |] -> rigidityVolts one | _ -> raise (UsageError "matrix takes one rigidity"))
               | None -> nan
             Rho = defaultArg rho nan
             BrmsMicroGauss = r.GetResult(MatrixArgs.Brms, defaultValue = Defaults.Study.bRmsMicroGauss)
             LcParsec = r.GetResult(MatrixArgs.Lc, defaultValue = Defaults.Study.lcParsec)
             Eta = r.GetResult(MatrixArgs.Eta, defaultValue = Defaults.Study.eta)
             Q = r.GetResult(MatrixArgs.Q, defaultValue = Defaults.Study.q)
             KMax = nullable (r.TryGetResult MatrixArgs.Kmax)
             OmegaDT = omegaDT
             L0 = l0
             Lmax = lmax
             Out = orNull (r.TryGetResult MatrixArgs.Out) }

let private reproduce (r: ParseResults<ReproduceArgs>) =
    if r.Contains ReproduceArgs.Quick && r.Contains ReproduceArgs.Full then raise (UsageError "give --quick or --full, not both")
    let full = r.Contains ReproduceArgs.Full
    Reproduce { Full = full
                Out = r.GetResult(ReproduceArgs.Out, defaultValue = Defaults.Reproduce.folder (if full then Defaults.Reproduce.full else Defaults.Reproduce.quick))
                RigidityVolts = r.TryGetResult ReproduceArgs.Rigidity |> Option.map (list >> Array.map rigidityVolts) |> Option.defaultValue [||]
                Nside =
                    match r.TryGetResult ReproduceArgs.Nside with
                    | Some n when not (Healpix.isValidNside n) -> raise (UsageError $"--nside {n}: give a power of two from 1 to 8192")
                    | o -> nullable o
                Realizations =
                    match r.TryGetResult ReproduceArgs.Realizations with
                    | Some n when n < 2 -> raise (UsageError $"--realizations {n}: give at least 2 realisations per rigidity (the fits need jackknife errors)")
                    | o -> nullable o
                Lmax = lmaxOption (r.TryGetResult ReproduceArgs.Lmax)
                Device = r.GetResult(ReproduceArgs.Device, defaultValue = Defaults.Simulate.device)
                Seed = r.GetResult(ReproduceArgs.Seed, defaultValue = Defaults.Simulate.seed)
                Eta =
                    match r.TryGetResult ReproduceArgs.Eta with
                    | None -> [| Defaults.Study.eta |]
                    | Some t ->
                        let etas = listOf "--eta" "0.1,0.3,0.5" t |> Array.map (number "η")
                        match etas |> Array.tryFind (fun e -> not (e > 0.0 && e < 1.0)) with
                        | Some e -> raise (UsageError $"--eta {t}: η = {e} is outside (0, 1)")
                        | None -> ()
                        if etas.Length <> (Array.distinct etas).Length then raise (UsageError $"--eta {t}: give each η once")
                        etas }

/// The argument types of each command.
let private grammars =
    [ "predict", typeof<PredictArgs>; "simulate", typeof<SimulateArgs>; "fit", typeof<FitArgs>; "matrix", typeof<MatrixArgs>
      "reproduce", typeof<ReproduceArgs>; "cl", typeof<ClArgs>; "merge", typeof<MergeArgs>; "slurm", typeof<SlurmArgs> ]

/// Per command, its flags that take one value, with the type of that value (from the grammar).
let private valueFlags =
    grammars
    |> List.map (fun (command, t) ->
        command,
        Reflection.FSharpType.GetUnionCases t
        |> Array.filter (fun c -> c.GetCustomAttributes(typeof<MainCommandAttribute>).Length = 0)
        |> Array.choose (fun c -> match c.GetFields() with
                                  | [| f |] -> Some("--" + c.Name.ToLowerInvariant().Replace('_', '-'), f.PropertyType)
                                  | _ -> None)
        |> Map.ofArray)
    |> Map.ofList

/// Every flag of every command (for the --flag=value form).
let private allFlags = valueFlags |> Map.toSeq |> Seq.collect (fun (_, m) -> m |> Map.toSeq |> Seq.map fst) |> set

/// The --flag=value form as two words, and -h as --help, for every command. --sbatch keeps its '=' form
/// (its value is itself an sbatch option, e.g. --sbatch=--qos=long), and the word after a spaced --sbatch is
/// its value, never split.
let private normalise (argv: string[]) =
    let out = Collections.Generic.List<string>()
    let mutable i = 0
    while i < argv.Length do
        let a = argv.[i]
        if a = "-h" then out.Add "--help"
        elif a = "--sbatch" && i + 1 < argv.Length then
            out.Add a
            out.Add argv.[i + 1]
            i <- i + 1
        elif a.StartsWith "--" && a.Contains '=' && not (a.StartsWith "--sbatch=") && allFlags.Contains(a.Substring(0, a.IndexOf '=')) then
            out.Add(a.Substring(0, a.IndexOf '='))
            out.Add(a.Substring(a.IndexOf '=' + 1))
        else out.Add a
        i <- i + 1
    out.ToArray()

/// Checks the value of every one-value option before Argu reads it, so that each kind of bad value gets the same
/// message: an empty name; a number that is not finite (nan, inf, 1e400) or written with a decimal comma (Argu
/// reads "3,5" as 35); a whole number out of its type's range (e.g. --seed -1). slurm passes the simulate
/// options after "--".
let private checkValues (argv: string[]) =
    let split = Array.IndexOf(argv, "--")
    let commandAt i = if split >= 0 && i > split then "simulate" else Array.tryHead argv |> Option.defaultValue ""
    for i in 0 .. argv.Length - 2 do
        match valueFlags |> Map.tryFind (commandAt i) |> Option.bind (Map.tryFind argv.[i]) with
        | None -> ()
        | Some t ->
            let flag, v = argv.[i], argv.[i + 1]
            let inv = Globalization.CultureInfo.InvariantCulture
            if t = typeof<string> && v.Length = 0 then raise (UsageError $"{flag} is empty; give a name")
            elif t = typeof<float> then
                if v.Contains ',' then
                    raise (UsageError $"{flag} '{v}' is not a number: it takes one value, written with a decimal point (e.g. 3.5)")
                match Double.TryParse(v.Trim(), Globalization.NumberStyles.Float, inv) with
                | true, x when Double.IsFinite x -> ()
                | _ -> raise (UsageError $"{flag} '{v}' is not a finite number; give one such as 0.5 or 1e-3")
            elif t = typeof<int> then
                match Int32.TryParse(v.Trim(), Globalization.NumberStyles.AllowLeadingSign, inv) with
                | true, _ -> ()
                | _ -> raise (UsageError $"{flag} '{v}' is not a whole number in {Int32.MinValue} … {Int32.MaxValue}")
            elif t = typeof<uint64> then
                match UInt64.TryParse(v.Trim(), Globalization.NumberStyles.None, inv) with
                | true, _ -> ()
                | _ -> raise (UsageError $"{flag} '{v}': give a whole number 0 … {UInt64.MaxValue}")

/// Parses the command line.
let parse (argv: string[]) : Command =
    let argv = normalise argv
    try
        checkValues argv
        // skymix slurm ... -- SIMULATE OPTIONS: the part after "--" is handed to the simulate grammar
        let split = Array.IndexOf(argv, "--")
        let argv, rest = if split >= 0 then argv[.. split - 1], argv[split + 1 ..] else argv, [||]
        let r = parser.ParseCommandLine(argv, raiseOnUsage = true)
        if split >= 0 && not (r.Contains SkymixArgs.Slurm) then raise (UsageError "'--' is only used by skymix slurm (to pass the simulate options)")
        match r.GetAllResults() with
        | [ SkymixArgs.Predict p ] -> once p; predict p
        | [ SkymixArgs.Simulate s ] -> simulate s
        | [ SkymixArgs.Fit f ] -> once f; fit f
        | [ SkymixArgs.Reproduce r ] -> once r; reproduce r
        | [ SkymixArgs.Cl c ] -> once c; cl c
        | [ SkymixArgs.Merge m ] -> once m; merge m
        | [ SkymixArgs.Slurm s ] -> once s; slurm s rest
        | [ SkymixArgs.Matrix m ] -> once m; matrix m
        | [ SkymixArgs.Version ] -> ShowVersion
        | [] -> Help(parser.PrintUsage())
        | _ -> raise (UsageError "give one command; see skymix --help")
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText -> Help e.Message
    | :? ArguParseException as e ->
        let commands = [ "predict"; "simulate"; "fit"; "reproduce"; "cl"; "merge"; "slurm"; "matrix" ]
        let command = argv |> Array.tryHead |> Option.filter (fun a -> List.contains a commands) |> Option.map (fun c -> " " + c)
        let reason = (firstLine e.Message).Trim().Replace("ERROR: ", "")
        raise (UsageError $"{reason} (see skymix{defaultArg command String.Empty} --help)")
