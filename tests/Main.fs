module SkyMix.Tests.Main

open Expecto

[<EntryPoint>]
let main argv =
    testList "SkyMix" [ SpecialTests.tests; HealpixTests.tests; SkyTests.tests; StatisticsTests.tests; MixingTests.tests; SteadyStateTests.tests; EngineTests.tests; FitTests.tests; InteropTests.tests; CliTests.tests; CliTests.predictTests; CliTests.simulateTests; CliTests.reproduceTests; ScaleOutTests.tests; RobustnessTests.tests; FirstContactTests.tests; FirstContact3Tests.tests; ValidationTests.tests ]
    |> Runner.run argv
