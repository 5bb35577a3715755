/// The jackknife and the ensemble estimators against closed forms.
module SkyMix.Tests.StatisticsTests

open System
open Expecto
open SkyMix.Theory
open SkyMix.Tests.Check

let tests =
    testList "statistics" [
        test "jackknife error of a mean = sample standard deviation/√n (closed form)" {
            let rng = Random 7
            allClose "jackknife mean" [
                for n in [ 2; 3; 8; 35 ] do
                    let xs = Array.init n (fun _ -> rng.NextDouble() * 10.0 - 3.0)
                    let m = Array.average xs
                    let sd = sqrt (Array.sumBy (fun x -> (x - m) ** 2.0) xs / float (n - 1))
                    let mean, err = Jackknife.mean xs
                    yield rel $"mean, n = {n}" m mean 1e-14 0.0
                    yield rel $"error, n = {n}" (sd / sqrt (float n)) err 1e-12 0.0 ] }
        test "jackknife of a ratio of means: exact for y ∝ x (zero error) and first order for small scatter" {
            let xs = [| 1.0; 2.0; 3.5; 0.7 |]
            let r, e = Jackknife.ratio xs (xs |> Array.map (fun x -> 2.0 * x))
            Expect.floatClose Accuracy.veryHigh r 0.5 "ratio"
            Expect.isLessThan e 1e-15 "no scatter, no error"
            // x_i = 1 + δ_i, y = 1: error → sd(δ)/√n
            let d = [| 0.01; -0.02; 0.015; -0.005; 0.0 |]
            let _, e2 = Jackknife.ratio (d |> Array.map (fun v -> 1.0 + v)) (Array.create d.Length 1.0)
            let m = Array.average d
            let sd = sqrt (Array.sumBy (fun v -> (v - m) ** 2.0) d / float (d.Length - 1))
            Expect.floatClose { absolute = 0.0; relative = 1e-12 } e2 (sd / sqrt (float d.Length)) "linear case" }
        test "ensemble: ⟨C_ℓ⟩^sub = mean of C_ℓ − N, K_zz(T) = ⟨Δz²⟩/2T, ⟨C_1⟩^QLT = 4π|⟨Φ⟩|² of the mean dipole (hand-computed)" {
            let r i (cl1: float) (dz2: float) (phiz: float) =
                { Index = i; Seed = uint64 i; Times = [| 2.0 |]; Cl = [| [| 0.0; cl1; 0.3 |] |]; Noise = [| 0.1 |]; NoiseEq7 = [| 0.2 |]
                  Phi = [| [| 0.0; 0.0; phiz |] |]; Displacement2 = [| [| 1.0; 1.0; dz2 |] |]; LocalField = [| 0.0; 0.0; 1.0 |]; CosAlpha = 0.9; Mixing = [||] } : Realization
            let e = Ensemble.ofRealizations [| r 0 1.1 4.0 0.1; r 1 2.1 8.0 0.3 |]
            allClose "ensemble" [ rel "C_1^sub" 1.5 e.ClSub.[0].[1] 1e-15 0.0
                                  rel "K_zz" 1.5 (e.Kzz 0) 1e-15 0.0
                                  rel "C_1^QLT" (4.0 * Math.PI * 0.2 * 0.2) e.C1Qlt.[0] 1e-14 0.0
                                  rel "C_2^sub/C_1^sub" (0.2 / 1.5) e.Ratio.[0].[2] 1e-14 0.0 ] }
    ]
