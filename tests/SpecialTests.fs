/// Special functions against independent references: sympy 3j, mpmath j_ℓ, P_ℓ, Q_ℓ, Si, Cin.
module SkyMix.Tests.SpecialTests

open System
open Expecto
open SkyMix.Theory
open SkyMix.Tests.Check

let private w3jCases (file: string) =
    let t = Reference.read file
    t.Rows
    |> Array.map (fun r ->
        let l1, l2, l3, m1, m2, m3 = Reference.i r.[0], Reference.i r.[1], Reference.i r.[2], Reference.i r.[3], Reference.i r.[4], Reference.i r.[5]
        let expected = Reference.f r.[6]
        let got = Wigner3j.symbol l1 l2 l3 m1 m2 m3
        let selectionZero =
            m1 + m2 + m3 <> 0 || l3 < abs (l1 - l2) || l3 > l1 + l2 || abs m1 > l1 || abs m2 > l2 || abs m3 > l3
            || (m1 = 0 && m2 = 0 && m3 = 0 && (l1 + l2 + l3) % 2 = 1)
        // Selection-rule zeros must be exactly 0. Accidental zeros (e.g. (4 4 6; 0 −2 2)) come out of the
        // recursion as round-off: allow 1e-12 of the family's scale 1/√(2ℓmax+1).
        let allowed =
            if selectionZero then 0.0
            elif expected = 0.0 then Tol.special / sqrt (float (2 * (l1 + l2 + l3) + 1))
            else Tol.special * abs expected
        case $"({l1} {l2} {l3}; {m1} {m2} {m3})" expected got allowed)

let wigner =
    testList "Wigner 3j vs sympy" [
        for file in [ "wigner3j_random.csv"; "wigner3j_000.csv"; "wigner3j_0m-m.csv"; "wigner3j_selection_zero.csv" ] do
            test file { allClose file (w3jCases file) }
        test "(0 1 1; 0 0 0) = −1/√3 (Condon–Shortley phase)" {
            Expect.floatClose Accuracy.veryHigh (Wigner3j.symbol 0 1 1 0 0 0) (-1.0 / sqrt 3.0) "phase" }
        test "ℓ ≈ 500 against closed forms in log-gamma: (ℓ1 ℓ2 ℓ3; 0 0 0) and the stretched (ℓ1 ℓ2 ℓ1+ℓ2; m1 m2 −m1−m2)" {
            let lf (n: int) = MathNet.Numerics.SpecialFunctions.GammaLn(float n + 1.0)
            // (ℓ1 ℓ2 ℓ3; 0 0 0) = (−1)^g √[(2g−2ℓ1)!(2g−2ℓ2)!(2g−2ℓ3)!/(2g+1)!] g!/((g−ℓ1)!(g−ℓ2)!(g−ℓ3)!), 2g = Σℓ even
            let zero l1 l2 l3 =
                let g = (l1 + l2 + l3) / 2
                let ln = 0.5 * (lf (2 * g - 2 * l1) + lf (2 * g - 2 * l2) + lf (2 * g - 2 * l3) - lf (2 * g + 1)) + lf g - lf (g - l1) - lf (g - l2) - lf (g - l3)
                (if g % 2 = 0 then 1.0 else -1.0) * exp ln
            // (j1 j2 j1+j2; m1 m2 −M), M = m1 + m2: (−1)^{j1−j2+M} √[(2j1)!(2j2)!(J+M)!(J−M)!/((2J+1)!(j1+m1)!(j1−m1)!(j2+m2)!(j2−m2)!)], J = j1 + j2
            let stretched j1 j2 m1 m2 =
                let big, m = j1 + j2, m1 + m2
                let ln = 0.5 * (lf (2 * j1) + lf (2 * j2) + lf (big + m) + lf (big - m) - lf (2 * big + 1) - lf (j1 + m1) - lf (j1 - m1) - lf (j2 + m2) - lf (j2 - m2))
                (if (j1 - j2 + m) % 2 = 0 then 1.0 else -1.0) * exp ln
            allClose "3j at ℓ ≈ 500" [
                for l1, l2, l3 in [ 500, 480, 300; 400, 400, 2; 250, 300, 500; 500, 500, 1000; 2, 499, 501 ] do
                    let lo, f = Wigner3j.family l2 l3 0 0
                    if (l1 + l2 + l3) % 2 = 0 then
                        let expected = zero l1 l2 l3
                        yield case $"({l1} {l2} {l3}; 0 0 0)" expected f.[l1 - lo] (1e-10 * abs expected)
                for j1, j2, m1, m2 in [ 250, 250, 3, -100; 300, 200, -250, 17; 499, 1, 1, 0; 100, 400, 100, -400 ] do
                    let lo, f = Wigner3j.family j2 (j1 + j2) m2 (-(m1 + m2))
                    let expected = stretched j1 j2 m1 m2
                    yield case $"({j1} {j2} {j1 + j2}; {m1} {m2} {-(m1 + m2)})" expected f.[j1 - lo] (1e-10 * abs expected) ] }
    ]

let bessel =
    test "spherical Bessel j_ℓ(x) vs mpmath (rel 1e-12; near zeros 1e-12 of the envelope 1/x)" {
        let t = Reference.read "spherical_bessel_jl.csv"
        let ls, xs, refs = t.Ints "l", t.Floats "x", t.Floats "jl"
        let cases =
            Array.init ls.Length (fun k ->
                let l, x = int ls.[k], xs.[k]
                let got = (Bessel.sphericalJ 300 x).[l]
                let envelope = if x > float l then 1.0 / x else 0.0
                case $"j_{l}({x:R})" refs.[k] got (Tol.special * (abs refs.[k] + envelope)))
        allClose "j_ℓ" cases }

let besselLimits =
    testList "spherical Bessel limits" [
        test "j_ℓ(0) = δ_ℓ0" {
            Expect.sequenceEqual (Bessel.sphericalJ 5 0.0) [| 1.0; 0.0; 0.0; 0.0; 0.0; 0.0 |] "x = 0" }
        test "x ≪ ℓ underflows to exactly 0, without denormals" {
            let j = Bessel.sphericalJ 1000 1e-3
            Expect.equal j.[1000] 0.0 "j_1000(1e-3)"
            Expect.isTrue (j |> Array.forall (fun v -> v = 0.0 || abs v > 1e-300)) "no denormals" }
        test "x = 1e6, ℓ ≤ 1000: j_ℓ against the finite trigonometric form [P sin(x − ℓπ/2) + Q cos(x − ℓπ/2)]/x (1e-12 of 1/x)" {
            // DLMF 10.49.2: P, Q are finite sums of (−1)^k (ℓ+n)!/(n!(ℓ−n)!(2x)^n) over even / odd n ≤ ℓ
            let x = 1e6
            let j = Bessel.sphericalJ 1000 x
            allClose "j_ℓ(1e6)" [
                for l in [ 0; 1; 2; 10; 100; 500; 999; 1000 ] do
                    let mutable p, q = 0.0, 0.0
                    let mutable term = 1.0 // (ℓ+n)!/(n!(ℓ−n)!(2x)^n) for n = 0
                    for n in 0 .. l do
                        if n > 0 then term <- term * float (l + n) * float (l - n + 1) / (float n * 2.0 * x)
                        match n % 4 with
                        | 0 -> p <- p + term
                        | 1 -> q <- q + term
                        | 2 -> p <- p - term
                        | _ -> q <- q - term
                    // sin(x − ℓπ/2) and cos(x − ℓπ/2) by quarter turns of (sin x, cos x)
                    let s, c = sin x, cos x
                    let sl, cl = match l % 4 with 0 -> s, c | 1 -> -c, s | 2 -> -s, -c | _ -> c, -s
                    yield case $"j_{l}(1e6)" ((p * sl + q * cl) / x) j.[l] (Tol.special / x) ] }
        test "Σ_ℓ (2ℓ+1) j_ℓ(x)² = 1 (x = 37.5, ℓ to 200)" {
            let j = Bessel.sphericalJ 200 37.5
            let s = j |> Array.mapi (fun l v -> float (2 * l + 1) * v * v) |> Array.sum
            Expect.floatClose { absolute = 1e-13; relative = 1e-13 } s 1.0 "sum rule" }
    ]

let legendre =
    test "Legendre P_ℓ and Ferrers Q_ℓ vs mpmath (1e-12 of the envelope)" {
        let t = Reference.readData "legendre_pq.csv"
        let ls, xs, ps, qs = t.Ints "l", t.Floats "x", t.Floats "p", t.Floats "q"
        let cases =
            [| for k in 0 .. ls.Length - 1 do
                   let l, x = int ls.[k], xs.[k]
                   // envelope of P and Q on the cut: ~ (2/(πℓ sin θ))^½, and |Q_0| grows like artanh near ±1
                   let env = max 1.0 (abs (Math.Atanh x)) * sqrt (2.0 / (Math.PI * float (max l 1) * sqrt (1.0 - x * x)))
                   yield case $"P_{l}({x})" ps.[k] (Legendre.p l x).[l] (Tol.special * (abs ps.[k] + env))
                   yield case $"Q_{l}({x})" qs.[k] (Legendre.q l x).[l] (Tol.special * (abs qs.[k] + env)) |]
        allClose "P, Q" cases }

let sineIntegral =
    test "Si(x) and Cin(x) vs mpmath" {
        let t = Reference.readData "sici.csv"
        let xs, si, cin = t.Floats "x", t.Floats "si", t.Floats "cin"
        let cases =
            [| for k in 0 .. xs.Length - 1 do
                   yield case $"Si({xs.[k]:R})" si.[k] (SineIntegral.si xs.[k]) (1e-15 + 1e-15 * abs si.[k])
                   yield case $"Cin({xs.[k]:R})" cin.[k] (SineIntegral.cin xs.[k]) (1e-14 * abs cin.[k]) |]
        allClose "Si, Cin" cases }

let tests = testList "special functions" [ wigner; bessel; besselLimits; legendre; sineIntegral ]
