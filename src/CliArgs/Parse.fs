/// Turns argv into one record per command for Cli.cs. Bad usage raises UsageError with one line.
module SkyMix.CliArgs.Parse

open System
open Argu
open SkyMix.CliArgs.Grammar

/// `skymix cl`: the map file, ℓmax (null: 3·Nside − 1), Jacobi iterations and the output file (null: stdout).
type ClOptions = { Map: string; Lmax: Nullable<int>; Iter: int; Out: string }

/// What the user asked for.
type Command =
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

/// Parses the command line.
let parse (argv: string[]) : Command =
    try
        let r = parser.ParseCommandLine(argv, raiseOnUsage = true)
        match r.GetAllResults() with
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
