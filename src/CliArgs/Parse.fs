/// Turns argv into one record per command for Cli.cs. Bad usage raises UsageError with one line.
module SkyMix.CliArgs.Parse

open System
open Argu
open SkyMix.CliArgs.Grammar

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
      Lmax: int
      Times: int
      Out: string
      Json: string
      Plot: string
      Debug: bool }

/// `skymix simulate`: one rigidity [V] (NaN when ρ is given instead) or ρ (NaN when a rigidity is given).
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
      Maps: bool }

/// `skymix fit`: run folders, output folder; 0 = default for Lmax/LFit/Time.
type FitOptions = { Runs: string[]; Out: string; Lmax: int; LFit: int; Time: float }

/// `skymix reproduce`: the preset and its overrides (0 / empty = the preset's value).
type ReproduceOptions =
    { Full: bool
      Out: string
      RigidityVolts: float[]
      Nside: int
      Realizations: int
      Lmax: int
      Device: string
      Seed: uint64 }

/// What the user asked for.
type Command =
    | Fit of FitOptions
    | Reproduce of ReproduceOptions
    | Predict of PredictOptions
    | Simulate of SimulateOptions
    | Cl of ClOptions
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

let private cl (r: ParseResults<ClArgs>) =
    Cl { Map = r.GetResult ClArgs.Map
         Lmax = nullable (r.TryGetResult ClArgs.Lmax)
         Iter = r.GetResult(ClArgs.Iter, defaultValue = 0)
         Out = orNull (r.TryGetResult ClArgs.Out) }

let private number (what: string) (text: string) =
    match Double.TryParse(text.Trim(), Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture) with
    | true, v when Double.IsFinite v -> v
    | _ -> raise (UsageError $"{what} '{text}' is not a number")

/// "10TV" → 1e13 V; units GV, TV, PV (case as written, e.g. "1.5 PV").
let rigidityVolts (text: string) =
    let t = text.Trim()
    let units = [ "GV", 1e9; "TV", 1e12; "PV", 1e15 ]
    match units |> List.tryFind (fun (u, _) -> t.EndsWith(u, StringComparison.OrdinalIgnoreCase)) with
    | Some(u, scale) -> number "rigidity" (t.Substring(0, t.Length - u.Length)) * scale
    | None ->
        let unit = String(t.ToCharArray() |> Array.skipWhile (fun c -> Char.IsDigit c || c = '.' || c = 'e' || c = 'E' || c = '-' || c = '+'))
        if unit = "" then raise (UsageError $"rigidity '{text}' has no unit; write e.g. 10TV or 1PV (units GV, TV, PV)")
        else raise (UsageError $"unknown rigidity unit '{unit}' in '{text}'; use GV, TV or PV (e.g. 10TV,1PV)")

let private list (text: string) = text.Split(',', StringSplitOptions.RemoveEmptyEntries)

let private predict (r: ParseResults<PredictArgs>) =
    let rig = r.TryGetResult PredictArgs.Rigidity
    let rho = r.TryGetResult PredictArgs.Rho
    if rig.IsSome && rho.IsSome then raise (UsageError "give either --rigidity or --rho, not both")
    let rigidities =
        match rig, rho with
        | Some t, _ -> list t |> Array.map rigidityVolts
        | None, None -> [| 1e13; 1e14; 1e15; 1e16 |]
        | None, Some _ -> [||]
    Predict { RigidityVolts = rigidities
              Rho = rho |> Option.map (list >> Array.map (number "ρ")) |> Option.defaultValue [||]
              BrmsMicroGauss = r.GetResult(PredictArgs.Brms, defaultValue = 4.0)
              LcParsec = r.GetResult(PredictArgs.Lc, defaultValue = 30.0)
              Eta = r.GetResult(PredictArgs.Eta, defaultValue = 0.5)
              Q = r.GetResult(PredictArgs.Q, defaultValue = 5.0 / 3.0)
              KMax = nullable (r.TryGetResult PredictArgs.Kmax)
              OmegaDT = nullable (r.TryGetResult PredictArgs.Omega_Dt)
              LawA = r.GetResult(PredictArgs.A, defaultValue = 4.0)
              Lmax = r.GetResult(PredictArgs.Lmax, defaultValue = 100)
              Times = r.GetResult(PredictArgs.Times, defaultValue = 0)
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
    else list text |> Array.map (number "time")

let private simulate (r: ParseResults<SimulateArgs>) =
    let rig = r.TryGetResult SimulateArgs.Rigidity
    let rho = r.TryGetResult SimulateArgs.Rho
    if rig.IsSome && rho.IsSome then raise (UsageError "give either --rigidity or --rho, not both")
    let volts =
        match rig, rho with
        | Some t, _ ->
            match list t with
            | [| one |] -> rigidityVolts one
            | _ -> raise (UsageError "simulate takes one rigidity; run it once per rigidity (one run folder each)")
        | None, None -> 1e16
        | None, Some _ -> nan
    let label =
        match rig, rho with
        | Some t, _ -> t.Trim()
        | None, Some v -> $"rho{v}"
        | None, None -> "10PV"
    let gradient =
        match r.TryGetResult SimulateArgs.Gradient with
        | None -> [| 0.0; 0.0; 1.0 |]
        | Some t ->
            let v = list t |> Array.map (number "gradient component")
            if v.Length <> 3 then raise (UsageError $"--gradient {t}: give three components x,y,z")
            let n = sqrt (Array.sumBy (fun x -> x * x) v)
            if n = 0.0 then raise (UsageError "--gradient must not be the zero vector")
            v |> Array.map (fun x -> x / n)
    Simulate { RigidityVolts = volts
               Rho = defaultArg rho nan
               BrmsMicroGauss = r.GetResult(SimulateArgs.Brms, defaultValue = 4.0)
               LcParsec = r.GetResult(SimulateArgs.Lc, defaultValue = 30.0)
               Eta = r.GetResult(SimulateArgs.Eta, defaultValue = 0.5)
               Q = r.GetResult(SimulateArgs.Q, defaultValue = 5.0 / 3.0)
               KMax = nullable (r.TryGetResult SimulateArgs.Kmax)
               LambdaMinOverRg = r.GetResult(SimulateArgs.Lambda_Min, defaultValue = 10.0)
               Nside = r.GetResult(SimulateArgs.Nside, defaultValue = 16)
               Realizations = r.GetResult(SimulateArgs.Realizations, defaultValue = 4)
               Seed = r.GetResult(SimulateArgs.Seed, defaultValue = 1UL)
               Times = times (r.GetResult(SimulateArgs.Times, defaultValue = "log:1:300:12"))
               Device = r.GetResult(SimulateArgs.Device, defaultValue = "auto")
               Out = r.GetResult(SimulateArgs.Out, defaultValue = IO.Path.Combine("runs", $"simulate-{label}"))
               StepGyro = r.GetResult(SimulateArgs.Step_Gyro, defaultValue = 0.01)
               StepLambda = r.GetResult(SimulateArgs.Step_Lambda, defaultValue = 1.0)
               Gradient = gradient
               MemoryMegabytes = r.GetResult(SimulateArgs.Memory, defaultValue = 2048)
               Maps = not (r.Contains SimulateArgs.No_Maps) }

let private fit (r: ParseResults<FitArgs>) =
    Fit { Runs = r.GetResult FitArgs.Runs |> List.toArray
          Out = r.GetResult(FitArgs.Out, defaultValue = ".")
          Lmax = r.GetResult(FitArgs.Lmax, defaultValue = 100)
          LFit = r.GetResult(FitArgs.Lfit, defaultValue = 0)
          Time = r.GetResult(FitArgs.Time, defaultValue = 0.0) }

let private reproduce (r: ParseResults<ReproduceArgs>) =
    if r.Contains ReproduceArgs.Quick && r.Contains ReproduceArgs.Full then raise (UsageError "give --quick or --full, not both")
    let full = r.Contains ReproduceArgs.Full
    Reproduce { Full = full
                Out = r.GetResult(ReproduceArgs.Out, defaultValue = (if full then "reproduce-full" else "reproduce-quick"))
                RigidityVolts = r.TryGetResult ReproduceArgs.Rigidity |> Option.map (list >> Array.map rigidityVolts) |> Option.defaultValue [||]
                Nside = r.GetResult(ReproduceArgs.Nside, defaultValue = 0)
                Realizations = r.GetResult(ReproduceArgs.Realizations, defaultValue = 0)
                Lmax = r.GetResult(ReproduceArgs.Lmax, defaultValue = 100)
                Device = r.GetResult(ReproduceArgs.Device, defaultValue = "auto")
                Seed = r.GetResult(ReproduceArgs.Seed, defaultValue = 1UL) }

/// Parses the command line.
let parse (argv: string[]) : Command =
    try
        let r = parser.ParseCommandLine(argv, raiseOnUsage = true)
        match r.GetAllResults() with
        | [ SkymixArgs.Predict p ] -> predict p
        | [ SkymixArgs.Simulate s ] -> simulate s
        | [ SkymixArgs.Fit f ] -> fit f
        | [ SkymixArgs.Reproduce r ] -> reproduce r
        | [ SkymixArgs.Cl c ] -> cl c
        | [ SkymixArgs.Version ] -> ShowVersion
        | [] -> Help(parser.PrintUsage())
        | _ -> raise (UsageError "give one command; see skymix --help")
    with
    | :? ArguParseException as e when e.ErrorCode = ErrorCode.HelpText -> Help e.Message
    | :? ArguParseException as e ->
        let command = argv |> Array.tryHead |> Option.filter (fun a -> not (a.StartsWith "-")) |> Option.map (fun c -> " " + c)
        let reason = (firstLine e.Message).Trim().Replace("ERROR: ", "")
        raise (UsageError $"{reason} (see skymix{defaultArg command String.Empty} --help)")
