/// Running the real command line (./skymix at the repository root) from tests.
module SkyMix.Tests.Cli

open System.Diagnostics
open System.IO

type Result = { Code: int; Out: string; Err: string }

/// Runs ./skymix with the arguments and extra environment variables, in the given working folder.
let runWith (env: (string * string) list) (dir: string) (args: string list) : Result =
    let psi = ProcessStartInfo(Path.Combine(Reference.repoRoot, "skymix"))
    for k, v in env do psi.Environment.[k] <- v
    for a in args do psi.ArgumentList.Add a
    psi.WorkingDirectory <- dir
    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()
    { Code = p.ExitCode; Out = out.Result; Err = err.Result }

let runIn (dir: string) (args: string list) = runWith [] dir args

let run (args: string list) = runIn Reference.repoRoot args

/// A fresh empty folder under the system temp folder.
let tempDir () =
    let d = Path.Combine(Path.GetTempPath(), "skymix-test-" + Path.GetRandomFileName())
    Directory.CreateDirectory d |> ignore
    d
