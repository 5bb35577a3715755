/// The entry point shared by the two Expecto programs (tests, property-tests): runs the tests and
/// ends with the line "N passed, N failed" that .ci/run and run-tests sum up.
module SkyMix.Tests.Runner

open System
open System.IO
open Expecto
open Expecto.Impl

/// The one scratch folder of this test process (tests make their folders inside it); removed at the end.
let scratch = Path.Combine(Path.GetTempPath(), "skymix-test-" + Path.GetRandomFileName())

let run (argv: string[]) (tests: Test) : int =
    let mutable line = "0 passed, 1 failed"
    let count (xs: (FlatTest * TestSummary) list) = xs |> List.sumBy (fun (_, r) -> r.count)
    let handler (s: TestRunSummary) =
        line <- $"{count s.passed} passed, {count s.failed + count s.errored} failed"
    let code = runTestsWithCLIArgs [ CLIArguments.Append_Summary_Handler(SummaryHandler handler) ] argv tests
    try
        if Directory.Exists scratch then Directory.Delete(scratch, true)
    with e -> eprintfn "could not remove the scratch folder %s: %s" scratch e.Message
    printfn "%s" line
    code
