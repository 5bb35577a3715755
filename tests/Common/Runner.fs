/// The entry point shared by the two Expecto programs (tests, property-tests): runs the tests and
/// ends with the line "N passed, N failed" that .ci/run and run-tests sum up.
module SkyMix.Tests.Runner

open Expecto
open Expecto.Impl

let run (argv: string[]) (tests: Test) : int =
    let mutable line = "0 passed, 1 failed"
    let count (xs: (FlatTest * TestSummary) list) = xs |> List.sumBy (fun (_, r) -> r.count)
    let handler (s: TestRunSummary) =
        line <- $"{count s.passed} passed, {count s.failed + count s.errored} failed"
    let code = runTestsWithCLIArgs [ CLIArguments.Append_Summary_Handler(SummaryHandler handler) ] argv tests
    printfn "%s" line
    code
