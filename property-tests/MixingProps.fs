/// Mixing-matrix properties on random band-limited power-law spectra (docs/physics.md §4).
module SkyMix.PropertyTests.MixingProps

open System
open FsCheck
open FsCheck.FSharp
open Expecto
open SkyMix.Theory
open SkyMix.PropertyTests.Gen

/// A random band-limited power law: q ∈ [1.1, 1.9], k range inside [0.01, 5]Ω (η = 0.5), and ΩΔT ∈ [2, 40].
type Case = { Spectrum: Spectrum; OmegaDT: float }

let private case =
    gen {
        let! q = Gen.choose (110, 190) |> Gen.map (fun i -> float i / 100.0)
        let! lo = Gen.choose (0, 200) |> Gen.map (fun i -> 0.01 * 10.0 ** (float i / 100.0)) // 0.01 … 1
        let! span = Gen.choose (30, 100) |> Gen.map (fun i -> float i / 100.0)
        let hi = lo + span * (5.0 - lo)
        let! dt = Gen.choose (200, 4000) |> Gen.map (fun i -> float i / 100.0)
        return { Spectrum = Spectrum.create q lo hi 0.5; OmegaDT = dt }
    }

let private acc = Accuracy.Default

/// Eq. 47 summed literally: every ℓA, ℓB and every m, with single 3j symbols.
let private bruteM1c (kappa: float[,]) (lmax: int) =
    Array2D.init (lmax + 1) (lmax + 1) (fun l l0 ->
        let mutable sum = 0.0
        for a in abs (l - l0) .. l + l0 do
            for b in abs (l - l0) .. l + l0 do
                if (a + b) % 2 = 0 then
                    let phase = if ((b - a) / 2) % 2 = 0 then 1.0 else -1.0
                    let w0 = Wigner3j.symbol a l l0 0 0 0 * Wigner3j.symbol b l l0 0 0 0
                    if w0 <> 0.0 then
                        let mutable sm = 0.0
                        for m in -(min l l0) .. min l l0 do
                            sm <- sm + float (2 * l0 * (l0 + 1) - 2 * m * m) * Wigner3j.symbol a l l0 0 m -m * Wigner3j.symbol b l l0 0 m -m
                        sum <- sum + phase * float ((2 * a + 1) * (2 * b + 1)) * 2.0 * w0 * sm * kappa.[a, b]
        Math.PI * float (2 * l0 + 1) * sum)

let tests =
    testList "mixing-matrix properties" [
        testPropertyWithConfig { config with maxTest = 12 } "sum rule Σ_ℓ (2ℓ+1)(2M1a + M1c)_ℓℓ0 = 0, ℓ0 ≤ 8, to 1e-8 of Σ|terms|" (
            Prop.forAll (Arb.fromGen case) (fun c ->
                // j_ℓ(kt) is negligible for ℓ beyond k_max ΔT plus a few (k_max ΔT)^{1/3}
                let x = c.Spectrum.KMax * c.OmegaDT
                let rows = int (ceil (x + 10.0 * x ** (1.0 / 3.0))) + 30
                let w = Mixing.w c.Spectrum acc c.OmegaDT
                let m1a = Mixing.m1aDiagonal w rows
                let m1c = Mixing.m1cBlock (Kappa.band c.Spectrum acc c.OmegaDT (rows + 8)) rows 8
                [ 1 .. 8 ] |> List.forall (fun l0 ->
                    let terms = [ for l in 0 .. rows -> float (2 * l + 1) * ((if l = l0 then 2.0 * m1a.[l] else 0.0) + m1c.[l, l0]) ]
                    abs (List.sum terms) <= 1e-8 * List.sumBy abs terms)))
        testPropertyWithConfig { config with maxTest = 8 } "M^(1c) equals the literal eq. 47 double sum over ℓA, ℓB and m (so S_AB = 0 for |ℓA − ℓB| > 2)" (
            Prop.forAll (Arb.fromGen case) (fun c ->
                let lmax = 6
                let fast = Mixing.m1c (Kappa.band c.Spectrum acc c.OmegaDT (2 * lmax)) lmax
                let slow = bruteM1c (Kappa.matrix c.Spectrum acc c.OmegaDT (2 * lmax)) lmax
                let scale = Seq.max [ for i in 0 .. lmax do for j in 0 .. lmax -> abs slow.[i, j] ]
                Seq.forall (fun (i, j) -> abs (fast.[i, j] - slow.[i, j]) <= 1e-12 * scale) [ for i in 0 .. lmax do for j in 0 .. lmax -> i, j ]))
        testPropertyWithConfig { config with maxTest = 6 } "κ_00 and κ_02 equal eq. 48 integrated directly: Gauss–Legendre in t and in k (1e-8)" (
            Prop.forAll (Arb.fromGen case) (fun c ->
                // eq. 48 with the time integrals done by quadrature: I_ℓ(k) = ∫₀^T j_ℓ(kt) e^{it} dt, κ_AB = ∫ g Re(I_A I_B*) dk,
                // on k panels (the spectrum is band-limited: no tail, no limit formula)
                let t = c.OmegaDT
                let s = c.Spectrum
                let tx, tw = GaussLegendre.on 0.0 t (int (ceil (t * (1.0 + s.KMax))) * 8 + 32)
                let integrals k =
                    let mutable r0, i0, r2, i2 = 0.0, 0.0, 0.0, 0.0
                    for j in 0 .. tx.Length - 1 do
                        let b = Bessel.sphericalJ 2 (k * tx.[j])
                        r0 <- r0 + tw.[j] * b.[0] * cos tx.[j]
                        i0 <- i0 + tw.[j] * b.[0] * sin tx.[j]
                        r2 <- r2 + tw.[j] * b.[2] * cos tx.[j]
                        i2 <- i2 + tw.[j] * b.[2] * sin tx.[j]
                    r0, i0, r2, i2
                let mutable k00, k02 = 0.0, 0.0
                let mutable a = s.KMin
                while a < s.KMax do
                    // panels at most 10% wide (g is steep near k_min) and π/(2T) long (the integrands oscillate)
                    let b = min s.KMax (min (1.1 * a) (a + Math.PI / (2.0 * t)))
                    let kx, kw = GaussLegendre.on a b 10
                    for i in 0 .. kx.Length - 1 do
                        let r0, i0, r2, i2 = integrals kx.[i]
                        let g = Spectrum.g s kx.[i]
                        k00 <- k00 + kw.[i] * g * (r0 * r0 + i0 * i0)
                        k02 <- k02 + kw.[i] * g * (r0 * r2 + i0 * i2)
                    a <- b
                let band = Kappa.band s acc t 4
                abs (band.Diagonal.[0] - k00) <= 1e-8 * abs k00 && abs (band.Next.[0] - k02) <= 1e-8 * abs k00))
        testPropertyWithConfig { config with maxTest = 6 } "C_ℓ/C_1 at fixed ΩΔT does not change when g is multiplied by a constant" (
            Prop.forAll (Arb.fromGen (Gen.zip case (Gen.choose (1, 1000)))) (fun (c, f) ->
                let steady (s: Spectrum) =
                    let cl = SteadyState.solve Absorbing (Mixing.m1aDiagonal (Mixing.w s acc c.OmegaDT) 12) (Mixing.m1c (Kappa.band s acc c.OmegaDT 24) 12) c.OmegaDT
                    cl |> Array.map (fun v -> v / cl.[1])
                let a, b = steady c.Spectrum, steady (Spectrum.scaled (float f / 37.0) c.Spectrum)
                Seq.forall (fun l -> abs (a.[l] - b.[l]) <= 1e-10 * abs a.[l]) [ 1 .. 12 ]))
        testPropertyWithConfig { config with maxTest = 4 } "power bookkeeping at ℓ_max = 1000: injected 3ΩΔT = monopole drain + power sent above ℓ_max, to 1e-8" (
            Prop.forAll (Arb.fromGen case) (fun c ->
                // the power sent above ℓ_max is summed row by row from M^(1c) (M^(1a) is diagonal), up to where
                // j_ℓ(kt) vanishes for k ≤ k_max, t ≤ ΔT — not taken from the sum rule
                let lmax = 1000
                let x = c.Spectrum.KMax * c.OmegaDT
                let rows = lmax + int (ceil (x + 10.0 * x ** (1.0 / 3.0))) + 30
                let w = Mixing.w c.Spectrum acc c.OmegaDT
                let m1c = Mixing.m1cBlock (Kappa.band c.Spectrum acc c.OmegaDT (rows + lmax)) rows lmax
                let m1a = Mixing.m1aDiagonal w lmax
                let cl = SteadyState.solve Absorbing m1a (Array2D.init (lmax + 1) (lmax + 1) (fun i j -> m1c.[i, j])) c.OmegaDT
                let drain = Seq.sum [ for l0 in 1 .. lmax -> m1c.[0, l0] * cl.[l0] ]
                let escaped = Seq.sum [ for l in lmax + 1 .. rows -> float (2 * l + 1) * Seq.sum [ for l0 in 1 .. lmax -> m1c.[l, l0] * cl.[l0] ] ]
                let injected = 3.0 * c.OmegaDT
                abs (injected - drain - escaped) <= 1e-8 * injected))
    ]
