/// The steady state of the mixing equation (eq. 20): the fast κ and M^(1c) against an independent
/// implementation, quadrature refinement, the two boundaries at ℓ_max and the limit ℓ_max → ∞.
module SkyMix.Tests.SteadyStateTests

open System
open Expecto
open MathNet.Numerics.LinearAlgebra
open SkyMix.Theory
open SkyMix.Tests.Check
open SkyMix.Independent

/// The reference spectrum of reference/theory: η = 0.5, q = 5/3, ρ = 8.9e-3, k_max for ρ_min = 8.9e-5.
let private reference = Spectrum.create (5.0 / 3.0) (Units.kMin 8.9e-3 0.5) (Units.kMaxDefault 8.9e-3 8.9e-5 0.5) 0.5
let private dtRef = 15.52383054
let private acc = Accuracy.Default
/// docs/physics.md's band-limited test spectrum (§4): g ∝ k^−5/3 on [0.05, 3]Ω.
let private banded = Spectrum.create (5.0 / 3.0) 0.05 3.0 0.5

let private over (c: float[]) = c |> Array.map (fun v -> v / c.[1])

/// C_ℓ (ℓ ≤ lmax) with the given boundary, κ and M^(1c) computed once at `top` ≥ lmax.
let private ladder (s: Spectrum) (dt: float) (boundary: Boundary) (top: int) =
    let w = Mixing.w s acc dt
    let m1c = Mixing.m1c (Kappa.band s acc dt (2 * top)) top
    fun (lmax: int) -> SteadyState.solve boundary (Mixing.m1aDiagonal w lmax) (Array2D.init (lmax + 1) (lmax + 1) (fun i j -> m1c.[i, j])) dt

/// c_ℓ + i s_ℓ = ∫₀^T j_ℓ(kt) e^{it} dt by Gauss–Legendre in t on panels of width ≤ 0.5/max(k, 1).
let private directIntegrals (t: float) (k: float) (lmax: int) =
    let panels = int (ceil (t * max k 1.0 / 0.5))
    let x, w = GaussLegendre.rule 20
    let re, im = Array.zeroCreate (lmax + 1), Array.zeroCreate (lmax + 1)
    for p in 0 .. panels - 1 do
        let a, h = t * float p / float panels, 0.5 * t / float panels
        for i in 0 .. x.Length - 1 do
            let tau = a + h * (x.[i] + 1.0)
            let j = Bessel.sphericalJ lmax (k * tau)
            for l in 0 .. lmax do
                re.[l] <- re.[l] + h * w.[i] * j.[l] * cos tau
                im.[l] <- im.[l] + h * w.[i] * j.[l] * sin tau
    re, im

let tests =
    testList "steady state" [
        test "c_ℓ + i s_ℓ by the ℓ recurrence (k ≥ 1) and by Legendre quadrature (k < 1) equal direct quadrature in t, ℓ ≤ 80" {
            allClose "I_ℓ(k)" [
                for t in [ 3.0; 15.5; 60.0 ] do
                    for k in [ 0.02; 0.5; 0.999; 1.0; 1.001; 2.0; 30.0 ] do
                        let re, im = Kappa.timeIntegrals acc t k 80
                        let dr, di = directIntegrals t k 80
                        let scale = Seq.max [ for l in 0 .. 80 -> sqrt (dr.[l] * dr.[l] + di.[l] * di.[l]) ]
                        for l in 0 .. 80 do
                            yield case $"Re I_{l}(k = {k}, T = {t})" dr.[l] re.[l] (1e-12 * scale)
                            yield case $"Im I_{l}(k = {k}, T = {t})" di.[l] im.[l] (1e-12 * scale) ] }
        test "κ band and M^(1c) equal an independent implementation (μ quadrature, explicit m sums); C_ℓ/C_1 at ℓ_max = 100 to 1e-9" {
            let lmax = 100
            let fast = Kappa.band reference acc dtRef (2 * lmax)
            let slow = SlowMixing.band reference acc dtRef (2 * lmax)
            allClose "κ band" [ for a in 0 .. 2 * lmax do
                                    yield rel $"κ({a},{a})" slow.Diagonal.[a] fast.Diagonal.[a] 1e-10 (1e-14 * slow.Diagonal.[0])
                                    if a <= 2 * lmax - 2 then yield rel $"κ({a},{a + 2})" slow.Next.[a] fast.Next.[a] 1e-10 (1e-14 * slow.Diagonal.[0]) ]
            let w = Mixing.w reference acc dtRef
            let m1a = Mixing.m1aDiagonal w lmax
            let a = over (SteadyState.solve Absorbing m1a (Mixing.m1c fast lmax) dtRef)
            let b = over (SteadyState.solve Absorbing m1a (SlowMixing.m1c slow lmax) dtRef)
            allClose "C_ℓ/C_1" [ for l in 1 .. lmax -> rel $"C_{l}/C_1" b.[l] a.[l] 1e-9 0.0 ] }
        test "quadrature refinement (every resolution doubled) changes C_ℓ/C_1 by < 1e-7 at ℓ_max = 500, both boundaries" {
            let spectrum (a: Accuracy) boundary =
                let w = Mixing.w reference a dtRef
                over (SteadyState.solve boundary (Mixing.m1aDiagonal w 500) (Mixing.m1c (Kappa.band reference a dtRef 1000) 500) dtRef)
            for boundary in [ Absorbing; ZeroFlux ] do
                let p1, p2 = spectrum acc boundary, spectrum acc.Refined boundary
                allClose $"refinement, {boundary}" [ for l in 1 .. 500 -> rel $"C_{l}/C_1" p2.[l] p1.[l] 1e-7 0.0 ]
            let lambda (a: Accuracy) l = Mixing.lambda reference a dtRef l
            allClose "Λ refinement" [ rel "Λ0" (lambda acc.Refined 0) (lambda acc 0) 1e-9 0.0; rel "Λ2" (lambda acc.Refined 2) (lambda acc 2) 1e-8 0.0 ] }
        test "zero-flux boundary: C_ℓ/C_1 (ℓ ≤ 50) at ℓ_max = 400 does not depend on where the returned power goes (1e-3)" {
            // the library returns the power sent beyond ℓ_max at ℓ_max itself; here it is spread over the top tenth
            let lmax = 400
            let w = Mixing.w reference acc dtRef
            let m1a = Mixing.m1aDiagonal w lmax
            let m1c = Mixing.m1c (Kappa.band reference acc dtRef (2 * lmax)) lmax
            let g i j = (if i = j then 2.0 * m1a.[i] else 0.0) + m1c.[i, j]
            let a = Matrix<float>.Build.Dense(lmax, lmax, fun i j -> -(g (i + 1) (j + 1)))
            let lo = lmax - lmax / 10
            let weight = Seq.sum [ for l in lo .. lmax -> float (2 * l + 1) ]
            for l0 in 1 .. lmax do
                let leaving = -(Seq.sum [ for l in 0 .. lmax -> float (2 * l + 1) * g l l0 ])
                for l in lo .. lmax do a.[l - 1, l0 - 1] <- a.[l - 1, l0 - 1] - leaving / weight
            let b = Vector<float>.Build.Dense(lmax)
            b.[0] <- dtRef
            let spread = a.Solve b
            let ours = over (SteadyState.solve ZeroFlux m1a m1c dtRef)
            allClose "closure" [ for l in 1 .. 50 -> rel $"C_{l}/C_1" (spread.[l - 1] / spread.[0]) ours.[l] 1e-3 0.0 ] }
        test "the absorbing truncation climbs towards the zero-flux limit from below as ℓ_max doubles (band-limited g)" {
            let absorbing, zeroFlux = ladder banded 8.0 Absorbing 800, ladder banded 8.0 ZeroFlux 800
            let limit = zeroFlux 800
            Expect.isLessThan (abs (zeroFlux 400).[1] / limit.[1] - 1.0) 1e-6 "zero flux has converged at ℓ_max = 400"
            let steps = [ 50; 100; 200; 400; 800 ] |> List.map absorbing
            for a, b in List.pairwise steps do
                Expect.isGreaterThan b.[1] a.[1] "C_1 grows with ℓ_max"
                Expect.isGreaterThan (b.[2] / b.[1]) (a.[2] / a.[1]) "C_2/C_1 grows with ℓ_max"
            let last = List.last steps
            Expect.isLessThan last.[1] limit.[1] "C_1 stays below the limit"
            Expect.isLessThan (last.[2] / last.[1]) (limit.[2] / limit.[1]) "C_2/C_1 stays below the limit" }
        test "recurrence: at large ℓ the generator moves power at a rate ∝ ℓ0² like a walk in d_eff < 2 dimensions" {
            // d_eff = 1 + 2·drift·ℓ0/variance of the power moved out of ℓ0 (d = 2 for an isotropic walk of the
            // multipole vector); below 2 the walk is recurrent and no power escapes to ℓ = ∞ (docs/physics.md)
            let s = Spectrum.create (5.0 / 3.0) 0.01 3.0 0.5
            let dt = 15.0
            let cols, rows = 400, 560 // jumps reach |Δℓ| ≲ 2 k_max ΔT = 90 here
            let w = Mixing.w s acc dt
            let m1c = Mixing.m1cBlock (Kappa.band s acc dt (rows + cols)) rows cols
            let m1a = Mixing.m1aDiagonal w rows
            let moments l0 =
                let p l = float (2 * l + 1) * ((if l = l0 then 2.0 * m1a.[l] else 0.0) + m1c.[l, l0]) / float (2 * l0 + 1)
                let out = -(p l0)
                let drift = Seq.sum [ for l in 0 .. rows -> float (l - l0) * p l ]
                let var = Seq.sum [ for l in 0 .. rows -> float ((l - l0) * (l - l0)) * p l ]
                out / float (l0 * l0), 1.0 + 2.0 * drift * float l0 / var
            let r200, d200 = moments 200
            let r400, d400 = moments 400
            Expect.floatClose { absolute = 0.0; relative = 0.01 } r400 r200 "rate ∝ ℓ0²"
            Expect.floatClose { absolute = 0.0; relative = 0.01 } d400 d200 "d_eff independent of ℓ0"
            Expect.isTrue (d400 > 1.0 && d400 < 1.9) $"1 < d_eff = {d400} < 2" }
        test "the limit's error: Aitken's limit from ℓ_max = 100, 200, 400 lies within its stated error of the ℓ_max = 1600 solution; each doubling shrinks the change by 0.1–0.25" {
            let input : Api.PredictInput =
                { Rho = 0.09; Eta = 0.5; Q = 5.0 / 3.0; KMax = Units.kMaxDefault 0.09 9e-5 0.5
                  Truncation = Api.Converged Api.ConvergenceGoal.Default; OmegaDT = None; LawA = 4.0; Accuracy = acc }
            let lim = (Api.predict input).Limit.Value
            Expect.sequenceEqual lim.LmaxUsed [| 100; 200; 400 |] "the default stops at ℓ_max = 400"
            let zeroFlux = Api.scan input [| 100; 200; 400; 800; 1600 |] |> Array.filter (fun r -> r.Boundary = ZeroFlux)
            let far = zeroFlux.[4].ClOverC1
            allClose "limit vs ℓ_max = 1600" [ for l in 2 .. 50 -> case $"ℓ = {l}" far.[l] lim.ClOverC1.[l] lim.Err.[l] ]
            for l in [ 2; 10; 30; 50 ] do
                let v = zeroFlux |> Array.map (fun r -> r.ClOverC1.[l])
                for k in 2 .. 4 do
                    let ratio = (v.[k] - v.[k - 1]) / (v.[k - 1] - v.[k - 2])
                    Expect.isTrue (ratio > 0.1 && ratio < 0.25) $"ℓ = {l}: the change shrinks by {ratio:F3} from ℓ_max = {100 <<< (k - 1)} to {100 <<< k}" }
        test "power budget: the power sent above ℓ_max equals Σ_{ℓ>ℓ_max}(2ℓ+1)G_ℓℓ0 C_ℓ0 summed explicitly" {
            // jumps end at |Δℓ| ≲ 2k_maxΔT = 90 (g cut at 3Ω/c), so rows up to ℓ = 240 hold all of them
            let s = Spectrum.create (5.0 / 3.0) 0.01 3.0 0.5
            let dt, lmax, rows = 15.0, 100, 240
            let w = Mixing.w s acc dt
            let m1a = Mixing.m1aDiagonal w lmax
            let tall = Mixing.m1cBlock (Kappa.band s acc dt (rows + lmax)) rows lmax
            let m1c = Array2D.init (lmax + 1) (lmax + 1) (fun i j -> tall.[i, j])
            let cl = SteadyState.solve Absorbing m1a m1c dt
            let b = SteadyState.budget Absorbing m1a m1c cl dt
            let direct = Seq.sum [ for l0 in 1 .. lmax -> cl.[l0] * Seq.sum [ for l in lmax + 1 .. rows -> float (2 * l + 1) * tall.[l, l0] ] ]
            // (injected = drain + escaped holds by the budget's construction, so it is not asserted)
            Expect.floatClose { absolute = 0.0; relative = 1e-6 } b.Escaped direct "escaped, from the sum rule = summed beyond ℓ_max" }
        test "Aitken's limit recovers v∞ from v∞ + aL^−γ (exactly) and from v∞ + aL^−γ + bL^−2γ (within its error)" {
            for gamma in [ 0.6; 1.0; 2.0; 3.0 ] do
                let exact = Array.init 4 (fun k -> 0.25 + 0.8 * (100.0 * 2.0 ** float k) ** -gamma)
                let lim = Convergence.limitOf exact |> Option.get
                Expect.floatClose { absolute = 1e-13; relative = 1e-12 } lim.Value 0.25 $"γ = {gamma}"
            for gamma in [ 1.0; 2.0; 3.0 ] do
                let mixed = Array.init 5 (fun k -> let l = 100.0 * 2.0 ** float k in 0.25 + 0.8 * l ** -gamma - 3.0 * l ** (-2.0 * gamma))
                let lim = Convergence.limitOf mixed |> Option.get
                Expect.isLessThanOrEqual (abs (lim.Value - 0.25)) lim.Error $"γ = {gamma} with a second term" }
        test "Aitken's limit refuses sequences that do not converge fast enough: growth ∝ L^0.1, γ = 0.3, two values" {
            let at f = Array.init 5 (fun k -> f (100.0 * 2.0 ** float k))
            Expect.isNone (Convergence.limitOf (at (fun l -> 0.06 * l ** 0.1))) "growing increments"
            Expect.isNone (Convergence.limitOf (at (fun l -> 0.25 + l ** -0.3))) "differences shrink by 0.81 per doubling"
            Expect.isNone (Convergence.limitOf [| 1.0; 1.1 |]) "two values" }
        test "1 PV: the paper's truncation has no limit at ℓ_max = 100 … 400 (C_2/C_1 grows faster each doubling); zero flux has one" {
            let absorbing, zeroFlux = ladder reference dtRef Absorbing 400, ladder reference dtRef ZeroFlux 400
            let ratios (f: int -> float[]) = [| for l in [ 100; 200; 400 ] -> let c = f l in c.[2] / c.[1] |]
            Expect.isNone (Convergence.limitOf (ratios absorbing)) "absorbing"
            let lim = Convergence.limitOf (ratios zeroFlux) |> Option.get
            Expect.isLessThan (lim.Error / lim.Value) 1e-5 "zero flux converged" }
        test "time dependence: eq. 19 iterated literally diverges (spectral radius of M ≫ 1); dC/dt = GC + e₁ relaxes to eq. 20, both boundaries" {
            let w = Mixing.w reference acc dtRef
            let big = Mixing.matrix (Mixing.m1aDiagonal w 100) (Mixing.m1c (Kappa.band reference acc dtRef 200) 100)
            let mm = Matrix<float>.Build.Dense(100, 100, fun i j -> big.[i + 1, j + 1])
            let radius = mm.Evd().EigenValues |> Seq.map (fun c -> c.Magnitude) |> Seq.max
            Expect.isGreaterThan radius 1e3 "M is far from a contraction (spectral radius ~6e3 at ℓ_max = 100)"
            let m1a = Mixing.m1aDiagonal w 40
            let m1c = Mixing.m1c (Kappa.band reference acc dtRef 80) 40
            // the zero-flux system drains only through the monopole and relaxes more slowly
            for boundary, steps in [ Absorbing, 60; ZeroFlux, 3000 ] do
                let steady = SteadyState.solve boundary m1a m1c dtRef
                let ev = SteadyState.evolve boundary m1a m1c dtRef (1.5 * Qlt.kzz reference) steps
                allClose $"late times, {boundary}" [ for l in 1 .. 40 -> rel $"C_{l}({steps}ΔT)" steady.[l] ev.[steps].[l] 1e-8 0.0 ] }
        test "tail extension reproduces an exact power law and continues it" {
            let cl = Array.init 41 (fun l -> if l = 0 then 0.0 else 3.0 * float l ** -2.7)
            let e = SteadyState.extend cl 80
            allClose "extension" [ for l in 1 .. 80 -> rel $"ℓ = {l}" (3.0 * float l ** -2.7) e.[l] 1e-12 0.0 ] }
        test "the paper's truncation at ℓ_max = 100: index over ℓ = 5…30 within the paper's −2.7 … −2.9 band, spectrum falls, truncation visible" {
            let p = Api.predict { Rho = 8.9e-3; Eta = 0.5; Q = 5.0 / 3.0; KMax = reference.KMax; Truncation = Api.Paper 100
                                  OmegaDT = Some dtRef; LawA = 4.0; Accuracy = acc }
            let index = Option.get p.Index
            Expect.isTrue (index < -2.7 && index > -2.9) $"index {index}"
            Expect.isTrue (Seq.forall (fun l -> p.ClOverC1.[l + 1] < p.ClOverC1.[l]) [ 1 .. 99 ]) "C_ℓ decreasing"
            // C_ℓ/C_1 grows with ℓmax (≈ ℓmax^0.5 at ℓ = 30): halving ℓmax lowers it by ~30%
            let change = Option.get p.Paper.TruncationChange
            Expect.isTrue (change > 0.05 && change < 0.6) $"truncation change {change}" }
    ]
