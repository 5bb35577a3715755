/// Wigner 3j identities on random arguments (Edmonds 1957, §3.7).
module SkyMix.PropertyTests.SpecialProps

open System
open FsCheck
open FsCheck.FSharp
open Expecto
open SkyMix.Theory
open SkyMix.PropertyTests.Gen

let private w (t: Triple) = Wigner3j.symbol t.L1 t.L2 t.L3 t.M1 t.M2 t.M3
let private sign n = if n % 2 = 0 then 1.0 else -1.0

/// Agreement of one symbol computed from two different families: 1e-12 relative, with a floor of
/// 1e-13 of the family scale 1/√(2ℓmax+1) for accidental zeros.
let private same (a: float) (b: float) (t: Triple) =
    abs (a - b) <= 1e-12 * abs a + 1e-13 / sqrt (float (2 * (t.L1 + t.L2 + t.L3) + 1))

let tests =
    testList "Wigner 3j properties" [
        testPropertyWithConfig config "cyclic permutation: (1 2 3) = (2 3 1)" (
            Prop.forAll (Arb.fromGen (triple 80)) (fun t ->
                same (w t) (w { L1 = t.L2; L2 = t.L3; L3 = t.L1; M1 = t.M2; M2 = t.M3; M3 = t.M1 }) t))
        testPropertyWithConfig config "odd permutation: (2 1 3) = (−1)^(ℓ1+ℓ2+ℓ3) (1 2 3)" (
            Prop.forAll (Arb.fromGen (triple 80)) (fun t ->
                let swapped = w { t with L1 = t.L2; L2 = t.L1; M1 = t.M2; M2 = t.M1 }
                same (sign (t.L1 + t.L2 + t.L3) * w t) swapped t))
        testPropertyWithConfig config "all m flipped: (ℓ; −m) = (−1)^(ℓ1+ℓ2+ℓ3) (ℓ; m)" (
            Prop.forAll (Arb.fromGen (triple 80)) (fun t ->
                let flipped = w { t with M1 = -t.M1; M2 = -t.M2; M3 = -t.M3 }
                same (sign (t.L1 + t.L2 + t.L3) * w t) flipped t))
        testPropertyWithConfig config "Σ_ℓ3 (2ℓ3+1)·3j(m1,m2)·3j(m1',m2') = 0 for m1' ≠ m1 (families over ℓ3; the diagonal is the families' normalisation)" (
            Prop.forAll (Arb.fromGen (triple 60)) (fun t ->
                // a second pair of m's with the same m3: m1' = m1 + 1 (or m1 − 1) where allowed
                let m1' = if abs (t.M1 + 1) <= t.L1 && abs (t.M2 - 1) <= t.L2 then t.M1 + 1 else t.M1 - 1
                let m2' = t.M1 + t.M2 - m1'
                (abs m1' <= t.L1 && abs m2' <= t.L2) ==> lazy (
                    let lo, a = Wigner3j.family t.L1 t.L2 t.M1 t.M2
                    let lo', b = Wigner3j.family t.L1 t.L2 m1' m2'
                    let sum =
                        Seq.sum [ for l3 in max lo lo' .. min (lo + a.Length - 1) (lo' + b.Length - 1) ->
                                    float (2 * l3 + 1) * a.[l3 - lo] * b.[l3 - lo'] ]
                    abs sum < 1e-12)))
        testPropertyWithConfig config "Σ_m1m2 3j(ℓ3)·3j(ℓ3') = δ_ℓ3ℓ3'/(2ℓ3+1) (single symbols)" (
            Prop.forAll (Arb.fromGen (triple 25)) (fun t ->
                let l3' = if t.L3 + 1 <= t.L1 + t.L2 && abs t.M3 <= t.L3 + 1 then t.L3 + 1 else t.L3
                let sum =
                    Seq.sum [ for m1 in -t.L1 .. t.L1 do
                                  let m2 = -t.M3 - m1
                                  if abs m2 <= t.L2 then
                                      yield Wigner3j.symbol t.L1 t.L2 t.L3 m1 m2 t.M3
                                            * Wigner3j.symbol t.L1 t.L2 l3' m1 m2 t.M3 ]
                let expected = if l3' = t.L3 then 1.0 / float (2 * t.L3 + 1) else 0.0
                abs (sum - expected) < 1e-13 |> Prop.classify (l3' <> t.L3) "cross term (δ = 0)"))
    ]
