/// The mixing-matrix theory against an independent implementation (reference/theory, ρ = 8.9e-3),
/// analytic limits, the sum rule and the QLT closed form.
module SkyMix.Tests.MixingTests

open System
open Expecto
open SkyMix.Theory
open SkyMix.Tests.Check

/// The reference spectrum of reference/theory: η = 0.5, q = 5/3, ρ = 8.9e-3, k_max for ρ_min = 8.9e-5.
let private reference = Spectrum.create (5.0 / 3.0) (Units.kMin 8.9e-3 0.5) (Units.kMaxDefault 8.9e-3 8.9e-5 0.5) 0.5
let private dtRef = 15.52383054
let private acc = Accuracy.Default
/// The references are good to ~1e-8 relative; the issue asks for 1e-6.
let private rtol = 1e-6

let private matrixFile (name: string) =
    let t = Reference.read name
    [| for r in t.Rows -> r.[1..] |> Array.map Reference.f |]

let private m1aRef = lazy (Mixing.m1aDiagonal (Mixing.w reference acc dtRef) 10)
let private kappaRef = lazy (Kappa.matrix reference acc dtRef 20)

let tests =
    testList "mixing matrix" [
        test "A, K_zz, Ωτ_s and ΩΔT = 4(Ωτ_s)^{1/3} of docs/physics.md §3" {
            let kzz = Qlt.kzz reference
            allClose "QLT" [ rel "A" 1.671434e-3 reference.A 5e-7 0.0
                             rel "ΩK_zz" 19.4848 kzz 5e-6 0.0
                             rel "Ωτ_s" 58.4543 (3.0 * kzz) 5e-6 0.0
                             rel "ΩΔT" 15.5238 (4.0 * (3.0 * kzz) ** (1.0 / 3.0)) 5e-6 0.0
                             rel "k_min" 1.5816663e-2 reference.KMin 1e-7 0.0
                             rel "k_max" 1.3328649e5 reference.KMax 1e-7 0.0 ] }
        test "K_zz quadrature equals the closed form 1/(4π²A(2−q)(4−q)) (= 9/(28π²A) at q = 5/3)" {
            allClose "K_zz" [ for q in [ 1.1; 1.5; 5.0 / 3.0; 1.9 ] do
                                  let s = Spectrum.create q 0.01 1e4 0.5
                                  yield rel $"q = {q}" (Qlt.kzzClosedForm s) (Qlt.kzz s) 1e-12 0.0
                              yield rel "q = 5/3" (9.0 / (28.0 * Math.PI * Math.PI * reference.A)) (Qlt.kzzClosedForm reference) 1e-14 0.0 ] }
        test "Λ₀, Λ₂ and W at every ΩΔT of Lambda_samples (eq. 39)" {
            let t = Reference.read "theory/Lambda_samples_rho8.9e-03.csv"
            allClose "Λ" [ for r in t.Rows do
                               let dt = Reference.f r.[0]
                               let l0, l2 = Mixing.lambda reference acc dt 0, Mixing.lambda reference acc dt 2
                               yield rel $"Λ0({dt})" (Reference.f r.[1]) l0 rtol 0.0
                               yield rel $"Λ2({dt})" (Reference.f r.[2]) l2 rtol 0.0
                               yield rel $"W({dt})" (Reference.f r.[3]) (2.0 / 3.0 * l0 - 1.0 / 3.0 * l2) rtol 0.0 ] }
        test "κ_{ℓAℓB} for ℓA, ℓB ≤ 20 (eq. 48), both parities" {
            let t = Reference.read "theory/kappa_samples_rho8.9e-03.csv"
            let k = kappaRef.Force()
            let floor = 1e-10 * abs k.[0, 0]
            allClose "κ" [ for r in t.Rows do
                               let a, b = Reference.i r.[0], Reference.i r.[1]
                               yield rel $"κ({a},{b})" (Reference.f r.[2]) k.[a, b] rtol floor ] }
        test "M^(1a) diagonal = −4πℓ(ℓ+1)W (eq. 40 with 4π)" {
            let t = Reference.read "theory/M1a_diag_rho8.9e-03.csv"
            let m = m1aRef.Force()
            allClose "M1a" [ for r in t.Rows -> let l = Reference.i r.[0] in rel $"M1a({l})" (Reference.f r.[1]) m.[l] rtol 0.0 ] }
        test "M^(1c) and M = I + 2M^(1a) + M^(1c) for ℓ, ℓ0 ≤ 10 (eq. 47)" {
            let m1c = Mixing.m1c (Kappa.band reference acc dtRef 20) 10
            let m = Mixing.matrix (m1aRef.Force()) m1c
            let e1c, em = matrixFile "theory/M1c_lmax10_rho8.9e-03.csv", matrixFile "theory/M_lmax10_rho8.9e-03.csv"
            let floor = 1e-9 * (e1c |> Array.collect id |> Array.map abs |> Array.max)
            allClose "M" [ for l in 0 .. 10 do
                               for l0 in 0 .. 10 do
                                   yield rel $"M1c({l},{l0})" e1c.[l].[l0] m1c.[l, l0] rtol floor
                                   yield rel $"M({l},{l0})" em.[l].[l0] m.[l, l0] rtol floor ] }
        test "rigid-rotation limit (uniform_field_check.csv): max|2M1a+M1c|/max|M1c| with 4π → 0; with 8π → 1" {
            let t = Reference.read "theory/uniform_field_check.csv"
            allClose "rigid rotation" [
                for r in t.Rows do
                    let kc = Reference.f r.[0]
                    let s = Spectrum.create (5.0 / 3.0) kc (2.0 * kc) 0.5 // 8π∫g = 1
                    let w = Mixing.w s acc 10.0
                    let m1c = Mixing.m1c (Kappa.band s acc 10.0 20) 10
                    let ratio (prefactor: float) =
                        let worst = Seq.max [ for l in 0 .. 10 do for l0 in 0 .. 10 -> abs ((if l = l0 then -2.0 * prefactor * float (l * (l + 1)) * w else 0.0) + m1c.[l, l0]) ]
                        worst / Seq.max [ for l in 0 .. 10 do for l0 in 0 .. 10 -> abs m1c.[l, l0] ]
                    yield rel $"4π, k_c = {kc}" (Reference.f r.[1]) (ratio (4.0 * Math.PI)) 1e-4 0.0
                    yield rel $"8π, k_c = {kc}" (Reference.f r.[2]) (ratio (8.0 * Math.PI)) 1e-4 0.0 ] }
        test "erratum evidence: the sum rule holds with M^(1a) = −4πℓ(ℓ+1)W and fails by a factor 2 with 8π" {
            // band-limited spectrum of docs/physics.md §4: g ∝ k^−5/3 on [0.05, 3]Ω, ΩΔT = 8, ℓ to 120
            let s = Spectrum.create (5.0 / 3.0) 0.05 3.0 0.5
            let w = Mixing.w s acc 8.0
            let m1c = Mixing.m1cBlock (Kappa.band s acc 8.0 128) 120 8
            for l0 in 1 .. 8 do
                let terms prefactor =
                    [ for l in 0 .. 120 -> float (2 * l + 1) * ((if l = l0 then -2.0 * prefactor * float (l * (l + 1)) * w else 0.0) + m1c.[l, l0]) ]
                let good, bad = terms (4.0 * Math.PI), terms (8.0 * Math.PI)
                let scale = good |> List.sumBy abs
                Expect.isLessThan (abs (List.sum good) / scale) 1e-10 $"4π sum rule, ℓ0 = {l0}"
                Expect.isGreaterThan (abs (List.sum bad) / scale) 0.1 $"8π breaks it, ℓ0 = {l0}" }
    ]
