/// Fitting: recovery of a known ΩΔT and of a known law from synthetic data (coverage over 200 seeds).
module SkyMix.Tests.FitTests

open System
open Expecto
open SkyMix.Theory

/// C_ℓ/C_1 of the mixing matrix at ρ = 0.09 (ℓ_max = 30) as a function of ΩΔT.
let private model (dt: float) =
    let s = Spectrum.create (5.0 / 3.0) (Units.kMin 0.09 0.5) 88.86 0.5
    let acc = Accuracy.Default
    let cl = SteadyState.solve Absorbing (Mixing.m1aDiagonal (Mixing.w s acc dt) 30) (Mixing.m1c (Kappa.band s acc dt 60) 30) dt
    cl |> Array.map (fun v -> v / cl.[1])

/// Coverage of the true value by the reported 1σ and 3σ intervals over the seeds.
let private coverage (hits1: bool[]) (hits3: bool[]) (what: string) =
    let f1 = float (Array.sumBy (fun b -> if b then 1 else 0) hits1) / float hits1.Length
    let f3 = float (Array.sumBy (fun b -> if b then 1 else 0) hits3) / float hits3.Length
    printfn "%s: within 1σ in %.0f%%, within 3σ in %.1f%% of %d seeds" what (100.0 * f1) (100.0 * f3) hits1.Length
    Expect.isGreaterThanOrEqual f1 0.60 $"{what}: 1σ coverage"
    Expect.isGreaterThanOrEqual f3 0.99 $"{what}: 3σ coverage"

let tests =
    testList "fitting" [
        test "ΩΔT = 12 is recovered from noisy spectra: inside the Δχ² = 1 interval in ≥ 60% of 200 seeds, inside 3σ in ≥ 99%" {
            let table = Fit.tabulate model [| for i in 0 .. 80 -> 8.0 + 0.1 * float i |]
            let truth = model 12.0
            let rng = Random 12
            let gauss () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * Math.PI * rng.NextDouble())
            let fits =
                [| for _ in 1 .. 200 ->
                       // 10% errors on C_ℓ/C_1, ℓ = 2 … 15
                       let err = truth |> Array.mapi (fun l v -> if l >= 2 then 0.1 * v else 0.0)
                       let data = Array.init truth.Length (fun l -> truth.[l] + err.[l] * gauss ())
                       Fit.omegaDT table { Ratio = data; Err = err } 15 8.0 16.0 17 |]
            let within k (f: OmegaDTFit) = 12.0 >= f.OmegaDT - k * (f.OmegaDT - f.Lower) && 12.0 <= f.OmegaDT + k * (f.Upper - f.OmegaDT)
            coverage (fits |> Array.map (within 1.0)) (fits |> Array.map (within 3.0)) "ΩΔT"
            let chi = fits |> Array.averageBy (fun f -> f.ReducedChiSquare)
            Expect.floatClose { absolute = 0.15; relative = 0.0 } chi 1.0 "mean χ²/dof ≈ 1" }
        test "the law ΩΔT = a(Ωτ_s)^b is recovered (a = 4 with b = 1/3 fixed; a and b free) in ≥ 60% / 99% of 200 seeds" {
            let x = [| 12.5; 58.0; 269.0; 1249.0; 30.0; 600.0 |]
            let rng = Random 51
            let gauss () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * Math.PI * rng.NextDouble())
            let fits =
                [| for _ in 1 .. 200 ->
                       let truth = x |> Array.map (fun v -> 4.0 * v ** (1.0 / 3.0))
                       let sigma = truth |> Array.map (fun v -> 0.05 * v)
                       let y = Array.map2 (fun t s -> t + s * gauss ()) truth sigma
                       Fit.lawOneThird x y sigma, Fit.lawFree x y sigma |]
            coverage (fits |> Array.map (fun (f, _) -> abs (f.A - 4.0) <= f.AErr)) (fits |> Array.map (fun (f, _) -> abs (f.A - 4.0) <= 3.0 * f.AErr)) "a (b = 1/3)"
            coverage (fits |> Array.map (fun (_, f) -> abs (f.Exponent - 1.0 / 3.0) <= f.ExponentErr))
                     (fits |> Array.map (fun (_, f) -> abs (f.Exponent - 1.0 / 3.0) <= 3.0 * f.ExponentErr)) "free exponent" }
        test "an analytic parabola χ² = ((ΩΔT − x0)/σ)²: the Δχ² = 1 interval is x0 ± σ, and open where it leaves the range" {
            // one multipole carries the whole χ²: model C_2/C_1 = ΩΔT, observed x0 with error σ
            let model x = [| 0.0; 1.0; x; 0.0 |]
            let fitAt x0 sigma lo hi = Fit.omegaDT model { Ratio = [| 0.0; 1.0; x0; 0.0 |]; Err = [| 0.0; 0.0; sigma; 1.0 |] } 3 lo hi 41
            let inside = fitAt 10.0 1.0 2.0 50.0
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } inside.OmegaDT 10.0 "minimum"
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } inside.Lower 9.0 "lower = x0 − σ"
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } inside.Upper 11.0 "upper = x0 + σ"
            Expect.isFalse (inside.LowerOpen || inside.UpperOpen || inside.AtEdge) "closed interval inside the range"
            let clipped = fitAt 3.0 2.0 2.0 50.0
            Expect.isTrue clipped.LowerOpen "x0 − σ = 1 lies below the range: the lower bound is open"
            Expect.equal clipped.Lower 2.0 "and sits on the range's edge"
            Expect.isFalse (clipped.UpperOpen || clipped.AtEdge) "the upper bound and the minimum are inside" }
        test "ℓ_fit stops at the first multipole with signal-to-noise below 1" {
            let obs = { Ratio = [| 0.0; 1.0; 0.5; 0.2; 0.1; 0.01; 0.05 |]; Err = [| 0.0; 0.0; 0.1; 0.1; 0.05; 0.02; 0.01 |] }
            Expect.equal (Fit.lFit obs) 4 "ℓ = 5 has S/N 0.5" }
    ]
