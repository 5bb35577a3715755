/// The theory's central object against the simulation (docs/validation.md): the pair propagator M_ℓℓ0(T) of
/// eq. 17, measured by `simulate --mixing` and predicted by `matrix`.
module SkyMix.Tests.ValidationTests

open System
open System.IO
open Expecto
open SkyMix.Theory
open SkyMix.Tests.Check

/// The unit vector of HEALPix RING pixel p's centre.
let private centre (nside: int) (p: int) =
    let struct (theta, phi) = Healpix.pix2angRing nside (int64 p)
    sin theta * cos phi, sin theta * sin phi, cos theta

/// The identity's misses: |M_ℓℓ0 − δ_ℓℓ0| for every ℓ0 and ℓ.
let private misses (l0s: int[]) (m: float[][]) =
    [ for j in 0 .. l0s.Length - 1 do
          for l in 0 .. m.[j].Length - 1 do
              yield (l0s.[j], l), abs (m.[j].[l] - (if l = l0s.[j] then 1.0 else 0.0)) ]

let tests =
    testList "pair propagator" [
        test "the identity at T = 0: Σ_m C_ℓ[Y_ℓ0m] = δ_ℓℓ0 to 1e-8 from pixel samples (Nside 8, 32)" {
            for nside in [ 8; 32 ] do
                let l0s = [| 0; 1; 2; 8 |]
                let m = Propagator.measure l0s (3 * nside - 1) (int (Healpix.npix nside)) (Func<_, _>(fun p -> let x, y, z = centre nside p in struct (x, y, z)))
                let (l0, l), worst = misses l0s m |> List.maxBy snd
                Expect.isLessThan worst 1e-8 $"Nside {nside}: ℓ0 = {l0}, ℓ = {l} misses the identity by {worst:G3}" }
        test "a rigid rotation of the sky (a uniform field) leaves M the identity" {
            // C_ℓ is rotation invariant: particles turned all alike mix no power between multipoles
            let a, b, c = 0.7, 1.9, -2.3
            let rot (x, y, z) =
                // R = R_z(a) R_y(b) R_z(c)
                let x1, y1 = x * cos c - y * sin c, x * sin c + y * cos c
                let x2, z2 = x1 * cos b + z * sin b, -x1 * sin b + z * cos b
                x2 * cos a - y1 * sin a, x2 * sin a + y1 * cos a, z2
            let nside = 16
            let l0s = [| 1; 2; 5 |]
            let m = Propagator.measure l0s (3 * nside - 1) (int (Healpix.npix nside)) (Func<_, _>(fun p -> let x, y, z = rot (centre nside p) in struct (x, y, z)))
            let (l0, l), worst = misses l0s m |> List.maxBy snd
            Expect.isLessThan worst 1e-8 $"ℓ0 = {l0}, ℓ = {l} misses the identity by {worst:G3}" }
        test "skymix matrix: M conserves power (Σ_ℓ (2ℓ+1)M_ℓℓ0 = 2ℓ0 + 1), tends to I as ΔT → 0, and refuses bad input" {
            let dir = Cli.tempDir ()
            let file = Path.Combine(dir, "m.csv")
            // k_max = 3 Ω/c bounds the jumps in ℓ (k_max ΔT), so no power leaves ℓ ≤ 60 (with the paper's k_max the
            // columns have power-law tails: 5e-4 of it lies beyond ℓ = 60 at ΩΔT = 2)
            let r = Cli.run [ "matrix"; "--rho"; "0.09"; "--eta"; "0.3"; "--kmax"; "3"; "--l0"; "1,2"; "--omega-dt"; "0.001,2"; "--lmax"; "60"; "--out"; file ]
            Expect.equal r.Code 0 r.Err
            let t = Reference.readFile file
            Expect.sequenceEqual t.Header [| "omega_dt"; "l0"; "l"; "m" |] "columns"
            let rows = Array.zip3 (t.Floats "omega_dt") (t.Ints "l0") (t.Ints "l") |> Array.zip (t.Floats "m")
            allClose "M" [
                for dt in [ 0.001; 2.0 ] do
                    for l0 in [ 1L; 2L ] do
                        let col = rows |> Array.filter (fun (_, (d, c, _)) -> d = dt && c = l0)
                        Expect.equal col.Length 61 "ℓ = 0 … 60"
                        yield rel $"Σ(2ℓ+1)M_ℓ{l0}/(2ℓ0+1) at ΩΔT = {dt}" 1.0 (col |> Array.sumBy (fun (m, (_, _, l)) -> float (2L * l + 1L) * m) |> fun v -> v / float (2L * l0 + 1L)) 1e-12 0.0
                        if dt = 0.001 then
                            for m, (_, _, l) in col -> rel $"M_{l}{l0}(ΩΔT = 1e-3)" (if l = l0 then 1.0 else 0.0) m 0.0 1e-5 ]
            let large = rows |> Array.filter (fun (_, (d, c, l)) -> d = 2.0 && c = 2L && l = 2L) |> Array.exactlyOne |> fst
            Expect.isLessThan large 0.999 "at ΩΔT = 2 the diagonal has moved"
            for args, fragment in [ [ "--rho"; "0.09"; "--omega-dt"; "1" ], "--l0"
                                    [ "--l0"; "1"; "--omega-dt"; "1" ], "--rho"
                                    [ "--rho"; "0.09"; "--l0"; "5"; "--omega-dt"; "1"; "--lmax"; "3" ], "--lmax 3"
                                    [ "--rho"; "0.09"; "--l0"; "1"; "--omega-dt"; "0" ], "ΩΔT must be"
                                    [ "--rho"; "0.09"; "--l0"; "1"; "--omega-dt"; "1"; "--eta"; "1.5" ], "η" ] do
                Cli.expectInputError (Cli.run ("matrix" :: args)) [ fragment ] }
        test "weak turbulence (η = 0.02, ΩT ≤ 5): where the generator is small, simulated M_ℓℓ0 equals I + 2M^(1a) + M^(1c) within errors (ℓ0 = 1, 2; ℓ ≤ 8)" {
            let rho, eta, kmax = 1.0, 0.02, 20.0
            let dir = Cli.tempDir ()
            let run = Path.Combine(dir, "run")
            let sim = Cli.run [ "simulate"; "--rho"; string rho; "--eta"; string eta; "--kmax"; string kmax; "--nside"; "8"; "--realizations"; "160"
                                "--times"; "1,2,5"; "--mixing"; "1,2"; "--memory"; "16"; "--no-maps"; "--out"; run ]
            Expect.equal sim.Code 0 $"simulate: {sim.Err}"
            let measured = Reference.readFile (Path.Combine(run, "mixing.csv"))
            let times = measured.Floats "T" |> Array.distinct |> Array.filter (fun t -> t > 0.0)
            let theoryFile = Path.Combine(dir, "theory.csv")
            let th = Cli.run [ "matrix"; "--rho"; string rho; "--eta"; string eta; "--kmax"; string kmax; "--l0"; "1,2"; "--lmax"; "8"; "--out"; theoryFile
                               "--omega-dt"; String.Join(",", times |> Array.map (fun t -> t.ToString("R", Globalization.CultureInfo.InvariantCulture))) ]
            Expect.equal th.Code 0 $"matrix: {th.Err}"
            let theory = Reference.readFile theoryFile
            let predicted =
                Array.zip3 (theory.Floats "omega_dt") (theory.Ints "l0") (theory.Ints "l")
                |> Array.zip (theory.Floats "m")
                |> Array.map (fun (m, (t, l0, l)) -> (t, int l0, int l), m)
                |> dict
            // the expansion parameter of row ℓ: |2M^(1a)_ℓℓ(T)| = 8πℓ(ℓ+1)W(T); second order in δB is exact only where it
            // is small for both ℓ and ℓ0 (docs/validation.md: the misses grow ∝ η beyond)
            let spectrum = Spectrum.create (5.0 / 3.0) (Units.kMin rho eta) kmax eta
            let generator t l = abs (Mixing.m1aDiagonal (Mixing.w spectrum Accuracy.Default t) l).[l] * 2.0
            let rows =
                [ for (t, l0, l, m, e) in Array.zip3 (measured.Floats "T") (measured.Ints "l0") (measured.Ints "l")
                                          |> Array.zip3 (measured.Floats "m") (measured.Floats "err")
                                          |> Array.map (fun (m, e, (t, l0, l)) -> t, int l0, int l, m, e) do
                      if t > 0.0 && l <= 8 then yield (t, l0, l), max (generator t l) (generator t l0), (m - predicted.[(t, l0, l)]) / e ]
            let small = rows |> List.filter (fun (_, eps, _) -> eps <= 0.2)
            let chi2 = small |> List.sumBy (fun (_, _, p) -> p * p)
            let (t, l0, l), _, worst = small |> List.maxBy (fun (_, _, p) -> abs p)
            let beyond = rows |> List.filter (fun (_, eps, _) -> eps > 0.2)
            let beyondChi2 = beyond |> List.sumBy (fun (_, _, p) -> p * p)
            printfn "%s" ($"M_ℓℓ0(T), η = 0.02, |2M^(1a)| ≤ 0.2: χ²/dof = {chi2:F1}/{small.Length}, largest pull {worst:F2} at ΩT = {t:F2}, ℓ0 = {l0}, ℓ = {l}; "
                          + $"beyond: χ²/dof = {beyondChi2:F1}/{beyond.Length}")
            Expect.isGreaterThan small.Length 20 "most elements are in the weak regime"
            Expect.isLessThan (abs worst) 3.5 "every element within 3.5σ"
            Expect.isLessThan (chi2 / float small.Length) 1.6 "χ²/dof"
            // the test has power: at ΩT = 5 the diagonal moves from 1 by many errors
            let last = Array.max times
            for l0 in [ 1; 2 ] do
                let i = Array.findIndex (fun (tt, ll0, ll) -> tt = last && int ll0 = l0 && int ll = l0)
                                        (Array.zip3 (measured.Floats "T") (measured.Ints "l0") (measured.Ints "l"))
                let m, e = (measured.Floats "m").[i], (measured.Floats "err").[i]
                Expect.isGreaterThan ((1.0 - m) / e) 8.0 $"M_{l0}{l0}(ΩT = {last:F2}) = {m:F4} ± {e:F4} differs from 1 by ≥ 8σ" }
    ]
