module SkyMix.PropertyTests.Main

open Expecto

[<EntryPoint>]
let main argv =
    testList "SkyMix properties" [ Gen.tests; SpecialProps.tests; HealpixProps.tests; SkyProps.tests; MixingProps.tests; ReaderFuzz.tests ]
    |> SkyMix.Tests.Runner.run argv
