/// Running the real command line (./skymix at the repository root) from tests.
module SkyMix.Tests.Cli

open System
open System.Diagnostics
open System.IO
open Expecto

type Result = { Code: int; Out: string; Err: string }

/// A process of program with the arguments, in the folder, its output redirected (not started).
let private info (program: string) (env: (string * string) list) (dir: string) (args: string list) =
    let psi = ProcessStartInfo(program)
    for k, v in env do psi.Environment.[k] <- v
    for a in args do psi.ArgumentList.Add a
    psi.WorkingDirectory <- dir
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    psi

/// Runs the process to its end; its exit code and output.
let private complete (psi: ProcessStartInfo) : Result =
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()
    { Code = p.ExitCode; Out = out.Result; Err = err.Result }

let private skymix = Path.Combine(Reference.repoRoot, "skymix")

/// Runs ./skymix with the arguments and extra environment variables, in the given working folder.
let runWith (env: (string * string) list) (dir: string) (args: string list) : Result = complete (info skymix env dir args)

let runIn (dir: string) (args: string list) = runWith [] dir args

/// Starts ./skymix without waiting (output discarded); the process is skymix itself (the wrapper execs it).
let start (args: string list) : Process =
    let p = Process.Start(info skymix [] Reference.repoRoot args)
    p.OutputDataReceived.Add ignore
    p.ErrorDataReceived.Add ignore
    p.BeginOutputReadLine()
    p.BeginErrorReadLine()
    p

/// Starts ./skymix without waiting; the process and its standard error as it arrives, character by character
/// (progress is written without line ends).
let startWatched (args: string list) : Process * Text.StringBuilder =
    let p = Process.Start(info skymix [] Reference.repoRoot args)
    let err = Text.StringBuilder()
    p.OutputDataReceived.Add ignore
    p.BeginOutputReadLine()
    Threading.Tasks.Task.Run(fun () ->
        let buffer = Array.zeroCreate<char> 256
        let mutable n = p.StandardError.Read(buffer, 0, buffer.Length)
        while n > 0 do
            lock err (fun () -> err.Append(buffer, 0, n) |> ignore)
            n <- p.StandardError.Read(buffer, 0, buffer.Length)) |> ignore
    p, err

/// Runs a program (not skymix) and returns its exit code and output.
let exec (program: string) (args: string list) : Result = complete (info program [] Reference.repoRoot args)

let run (args: string list) = runIn Reference.repoRoot args

/// A fresh empty folder inside this test process's scratch folder (removed when the run ends).
let tempDir () =
    let d = Path.Combine(Runner.scratch, Path.GetRandomFileName())
    Directory.CreateDirectory d |> ignore
    d

/// Bad input must give exit code 2, exactly one line on stderr that contains every given fragment,
/// and nothing on stdout.
let expectInputError (r: Result) (fragments: string list) =
    Expect.equal r.Code 2 $"exit code (stderr: {r.Err})"
    let lines = r.Err.Trim().Split('\n')
    Expect.equal lines.Length 1 $"one line on stderr, got: {r.Err}"
    for f in fragments do Expect.stringContains lines.[0] f "the message names the problem"
    Expect.equal r.Out "" "nothing on stdout"

/// Every data file of a run folder — not run.json (it records timings and the device), not hidden files,
/// not the slurm/ and shards/ folders of a cluster study — with its bytes, by relative path.
let dataFiles (dir: string) =
    Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
    |> Array.map (fun f -> Path.GetRelativePath(dir, f), f)
    |> Array.filter (fun (rel, _) ->
        let parts = rel.Split(Path.DirectorySeparatorChar)
        rel <> "run.json" && not (parts |> Array.exists (fun p -> p.StartsWith "."))
        && parts[0] <> "slurm" && parts[0] <> "shards")
    |> Array.map (fun (rel, f) -> rel, File.ReadAllBytes f)
    |> Array.sortBy fst

/// Two run folders hold the same files, byte for byte, and run.json files equal but for "execution".
let expectSameRun (expected: string) (actual: string) (what: string) =
    let a, b = dataFiles expected, dataFiles actual
    Expect.sequenceEqual (Array.map fst b) (Array.map fst a) $"{what}: the same files"
    for (name, bytes), (_, other) in Array.zip a b do
        Expect.isTrue (bytes = other) $"{what}: {name} identical"
    let settingsOf (dir: string) =
        use doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))
        [ for p in doc.RootElement.EnumerateObject() do
            if p.Name <> "execution" then p.Name, p.Value.GetRawText() ]
    Expect.sequenceEqual (settingsOf actual) (settingsOf expected) $"{what}: run.json equal but for its execution record"
