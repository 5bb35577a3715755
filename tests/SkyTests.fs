/// Spherical-harmonic transforms and spectra against healpy's anafast (reference sections 4–5).
module SkyMix.Tests.SkyTests

open System
open Expecto
open SkyMix.Theory
open SkyMix.Tests.Check

let private readMap (name: string) = (Reference.read name).Floats "f"

/// C_ℓ cases: relative tolerance with an absolute floor at 1e-15 of the largest C_ℓ (the README notes
/// that tiny C_ℓ cancel in the double sum).
let private clCases label (expected: float[]) (got: float[]) rtol =
    let floor = 1e-15 * (expected |> Array.map abs |> Array.max)
    Array.init expected.Length (fun l -> rel $"{label} C_{l}" expected.[l] got.[l] rtol floor)

let private anafastTable nside =
    test $"Nside {nside}: anafast iter 0 and iter 3 for the dipole, synfast and ylm maps" {
        let t = Reference.read $"anafast_cl_nside{nside}.csv"
        let lmax = 3 * nside - 1
        let cases =
            [| for m in [ "dipole"; "synfast"; "ylm" ] do
                   let map = readMap $"anafast_map_{m}_nside{nside}.csv"
                   for iter in [ 0; 3 ] do
                       yield! clCases $"{m} iter{iter}" (t.Floats $"{m}_iter{iter}") (Sky.anafast map lmax iter) Tol.healpy |]
        allClose $"anafast Nside {nside}" cases }

let private ylmAlm () =
    let t = Reference.read "anafast_ylm_coeffs.csv"
    let lmax = t.Ints "l" |> Array.max |> int
    let alm = Alm.Zero lmax
    for r in t.Rows do
        let i = Alm.Index(lmax, Reference.i r.[0], Reference.i r.[1])
        alm.Re.[i] <- Reference.f r.[2]
        alm.Im.[i] <- Reference.f r.[3]
    alm

let private pixelCentres nside =
    Array.init (int (Healpix.npix nside)) (fun p -> Healpix.pix2angRing nside (int64 p))

let tests =
    testList "sky spectra vs healpy" [
        anafastTable 8
        anafastTable 16
        test "Nside 4: iter 0 equals the brute-force double sum up to ℓ = 20 > 3Nside−1; iter 3 at ℓ ≤ 11" {
            let t = Reference.read "anafast_norm_check_nside4.csv"
            let maps =
                dict [ "synfast", readMap "anafast_map_synfast_nside4.csv"
                       "dipole", pixelCentres 4 |> Array.map (fun (struct (th, _)) -> 1.0 + 0.1 * cos th)
                       "ylm", Sky.alm2map (Healpix.rings 4) (ylmAlm ()) ]
            let cases =
                [| for name in [ "dipole"; "synfast"; "ylm" ] do
                       let rows = t.Rows |> Array.filter (fun r -> r.[0] = name)
                       let c0 = Sky.anafast maps.[name] 20 0
                       let c3 = Sky.anafast maps.[name] 11 3
                       let floor = 1e-15 * c0.[0]
                       for r in rows do
                           let l = Reference.i r.[1]
                           yield rel $"{name} iter0 C_{l}" (Reference.f r.[4]) c0.[l] Tol.healpy floor
                           if r.[5] <> "" then yield rel $"{name} iter3 C_{l}" (Reference.f r.[5]) c3.[l] Tol.healpy floor |]
            allClose "norm check" cases }
        test "alm2map of the ylm coefficients reproduces the stored ylm maps (1e-12 of max|f|)" {
            let alm = ylmAlm ()
            let cases =
                [| for nside in [ 8; 16 ] do
                       let expected = readMap $"anafast_map_ylm_nside{nside}.csv"
                       let got = Sky.alm2map (Healpix.rings nside) alm
                       let scale = expected |> Array.map abs |> Array.max
                       for p in 0 .. expected.Length - 1 do
                           yield case $"Nside {nside} pixel {p}" expected.[p] got.[p] (1e-12 * scale) |]
            allClose "ylm synthesis" cases }
        test "C_0 = 4π f̄² with f̄ the pixel mean of anafast_maps_summary.csv" {
            let t = Reference.read "anafast_maps_summary.csv"
            let cases =
                [| for r in t.Rows do
                       let nside, name, fbar = Reference.i r.[0], r.[1], Reference.f r.[4]
                       let c = Sky.anafast (readMap $"anafast_map_{name}_nside{nside}.csv") 0 0
                       yield rel $"{name} Nside {nside}" (4.0 * Math.PI * fbar * fbar) c.[0] 1e-13 0.0 |]
            allClose "monopole" cases }
        test "Unsöld sums (eqs. 33–35): Σ|Y_ℓm|² = (2ℓ+1)/4π, Σ m²|Y_ℓm|² = ℓ(ℓ+1)(2ℓ+1)sin²θ/8π" {
            let t = Reference.read "unsold_sums.csv"
            let cases =
                [| for r in t.Rows do
                       let l, th = Reference.i r.[0], Reference.f r.[1]
                       let lam = Sky.lambdas l th
                       let y2 m = let v = lam.[Alm.Index(l, l, m)] in v * v
                       let s0 = y2 0 + 2.0 * Seq.sum [ for m in 1 .. l -> y2 m ]
                       let s2 = 2.0 * Seq.sum [ for m in 1 .. l -> float (m * m) * y2 m ]
                       yield rel $"S0 ℓ={l} θ={th}" (Reference.f r.[3]) s0 1e-13 0.0
                       yield rel $"S2 ℓ={l} θ={th}" (Reference.f r.[4]) s2 1e-12 1e-18
                       yield rel $"S0 mpmath ℓ={l} θ={th}" (Reference.f r.[5]) s0 1e-13 0.0 |]
            allClose "Unsöld" cases }
        test "dipole vector (eq. 52) from a_1m equals the pixel sum (1/Npix) Σ p̂ f/f̄, and 4π|Φ|² = C_1/f̄² (eq. 54)" {
            let nside = 16
            let map = readMap "anafast_map_synfast_nside16.csv"
            let fbar = Array.average map
            let alm = Sky.map2alm map 2 0
            let struct (x, y, z) = Sky.dipole alm
            let mutable sx, sy, sz = 0.0, 0.0, 0.0
            pixelCentres nside |> Array.iteri (fun p (struct (th, ph)) ->
                sx <- sx + sin th * cos ph * map.[p]
                sy <- sy + sin th * sin ph * map.[p]
                sz <- sz + cos th * map.[p])
            let n = float map.Length * fbar
            let c1 = (Sky.cl alm).[1] / (fbar * fbar)
            allClose "dipole" [ rel "Φx" (sx / n) x 1e-12 1e-15
                                rel "Φy" (sy / n) y 1e-12 1e-15
                                rel "Φz" (sz / n) z 1e-12 1e-15
                                rel "C_1" c1 (4.0 * Math.PI * (x * x + y * y + z * z)) 1e-12 0.0 ] }
        test "noise of a white map of variance σ² (20 maps, Nside 16): self-consistent N = 4πσ²/N_pix within 3%, also under a dipole 100× the noise" {
            let nside, sigma = 16, 0.3
            let npix = int (Healpix.npix nside)
            let rng = Random 20261129
            let gauss () = sqrt (-2.0 * log (1.0 - rng.NextDouble())) * cos (2.0 * Math.PI * rng.NextDouble())
            let centres = pixelCentres nside
            let expected = 4.0 * Math.PI * sigma * sigma / float npix
            let mean (dipole: float) =
                Seq.average [ for _ in 1 .. 20 ->
                                  let map = Array.init npix (fun p -> sigma * gauss () + dipole * (let struct (th, _) = centres.[p] in cos th))
                                  Sky.noiseSelfConsistent map (Sky.anafast map (3 * nside - 1) 0) ]
            Expect.floatClose { absolute = 0.0; relative = 0.03 } (mean 0.0) expected "white map"
            Expect.floatClose { absolute = 0.0; relative = 0.03 } (mean (100.0 * sqrt expected)) expected "white map plus a dipole" }
    ]
