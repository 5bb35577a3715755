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

/// The simulated pair propagator against the theory's at ρ = 1, k_max = 20 Ω/c, Nside 8, ΩT = 1, 2, 5 (the
/// times reached), ℓ0 = 1, 2, ℓ ≤ 8: for every element its key (T, ℓ0, ℓ), the expansion parameter
/// max(|2M^(1a)_ℓℓ|, |2M^(1a)_ℓ0ℓ0|) = 8πℓ(ℓ+1)W(T) of its rows, and its pull (measured − theory)/error.
let private pulls (eta: float) (realizations: int) =
    let rho, kmax = 1.0, 20.0
    let dir = Cli.tempDir ()
    let run = Path.Combine(dir, "run")
    let text (v: float) = v.ToString("R", Globalization.CultureInfo.InvariantCulture)
    let sim = Cli.run [ "simulate"; "--rho"; text rho; "--eta"; text eta; "--kmax"; text kmax; "--nside"; "8"; "--realizations"; string realizations
                        "--times"; "1,2,5"; "--mixing"; "1,2"; "--memory"; "16"; "--no-maps"; "--out"; run ]
    Expect.equal sim.Code 0 $"simulate: {sim.Err}"
    let measured = Reference.readFile (Path.Combine(run, "mixing.csv"))
    let times = measured.Floats "T" |> Array.distinct |> Array.filter (fun t -> t > 0.0)
    let theoryFile = Path.Combine(dir, "theory.csv")
    let th = Cli.run [ "matrix"; "--rho"; text rho; "--eta"; text eta; "--kmax"; text kmax; "--l0"; "1,2"; "--lmax"; "8"; "--out"; theoryFile
                       "--omega-dt"; String.Join(",", times |> Array.map text) ]
    Expect.equal th.Code 0 $"matrix: {th.Err}"
    let theory = Reference.readFile theoryFile
    let predicted =
        Array.zip3 (theory.Floats "omega_dt") (theory.Ints "l0") (theory.Ints "l")
        |> Array.zip (theory.Floats "m")
        |> Array.map (fun (m, (t, l0, l)) -> (t, int l0, int l), m)
        |> dict
    let spectrum = Spectrum.create Defaults.Study.q (Units.kMin rho eta) kmax eta
    let generator t l = 2.0 * abs (Mixing.m1aDiagonal (Mixing.w spectrum Accuracy.Default t) l).[l]
    [ for (t, l0, l, m, e) in Array.zip3 (measured.Floats "T") (measured.Ints "l0") (measured.Ints "l")
                              |> Array.zip3 (measured.Floats "m") (measured.Floats "err")
                              |> Array.map (fun (m, e, (t, l0, l)) -> t, int l0, int l, m, e) do
          if t > 0.0 && l <= 8 then yield (t, l0, l), max (generator t l) (generator t l0), (m - predicted.[(t, l0, l)]) / e ]

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
        test "simulate --mixing through shards and merge equals the whole run; other ℓ0 on a folder and bad ℓ0 are refused" {
            let dir = Cli.tempDir ()
            let args = [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "4"; "--times"; "1,3"; "--mixing"; "1,2"; "--memory"; "16"; "--no-maps" ]
            let at (name: string) = Path.Combine(dir, name)
            for extra in [ [ "--out"; at "whole" ]; [ "--shard"; "0/2"; "--out"; at "s0" ]; [ "--shard"; "1/2"; "--out"; at "s1" ] ] do
                let r = Cli.run (args @ extra)
                Expect.equal r.Code 0 r.Err
            let m = Cli.run [ "merge"; at "s0"; at "s1"; "--out"; at "merged" ]
            Expect.equal m.Code 0 m.Err
            Expect.stringContains m.Out "mixing.csv" "merge names the file"
            Expect.equal (File.ReadAllText(at "merged/mixing.csv")) (File.ReadAllText(at "whole/mixing.csv")) "merged = whole, byte for byte"
            let t = Reference.readFile (at "whole/mixing.csv")
            Expect.equal t.Rows.Length (3 * 2 * 12) "T = 0, 1, 3; ℓ0 = 1, 2; ℓ = 0 … 11"
            Cli.expectInputError (Cli.run ([ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "4"; "--times"; "1,3"; "--mixing"; "1"; "--memory"; "16"; "--no-maps"; "--out"; at "whole" ])) [ "other settings" ]
            for bad, fragment in [ "1,1", "each ℓ0 once"; "12", "0 … 3·Nside − 1 = 11"; "-1", "not a whole number"; "1,x", "not a whole number" ] do
                Cli.expectInputError (Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "1"; "--times"; "1"; "--mixing"; bad; "--out"; at "bad" ]) [ fragment ]
            Expect.isFalse (Directory.Exists(at "bad")) "nothing written for bad input" }
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
        test "the theory's M at late times (ΩT = 107, 1 PV, η = 0.005) is converged in its quadratures (every resolution doubled)" {
            let rho, eta = Units.rho 1e15 4.0 30.0, 0.005
            let input : Api.PredictInput =
                { Rho = rho; Eta = eta; Q = 5.0 / 3.0; KMax = Units.kMaxOfLambdaMin 10.0 eta; Truncation = Api.Paper 12
                  OmegaDT = None; LawA = 4.0; Accuracy = Accuracy.Default }
            let coarse = Api.propagator input 107.0 [| 1; 2 |] 12
            let fine = Api.propagator { input with Accuracy = Accuracy.Default.Refined } 107.0 [| 1; 2 |] 12
            allClose "M refined" [ for j in 0 .. 1 do
                                       for l in 0 .. 12 -> rel $"M_{l},{j + 1}" fine.[j].[l] coarse.[j].[l] 1e-6 1e-12 ] }
        test "weak turbulence, ΩT ≤ 5: at η = 0.005 the simulated M_ℓℓ0 (ℓ0 = 1, 2; ℓ ≤ 8) equals I + 2M^(1a) + M^(1c) within errors; at η = 0.02 it misses where |2M^(1a)_ℓℓ| ≥ 0.5" {
            let weak = pulls 0.005 160
            let chi2 = weak |> List.sumBy (fun (_, _, p) -> p * p)
            let (t, l0, l), _, worst = weak |> List.maxBy (fun (_, _, p) -> abs p)
            printfn "%s" $"M_ℓℓ0(T), η = 0.005: χ²/dof = {chi2:F1}/{weak.Length}, largest pull {worst:F2} at ΩT = {t:F2}, ℓ0 = {l0}, ℓ = {l}"
            Expect.equal weak.Length 54 "ℓ0 = 1, 2; ℓ = 0 … 8; ΩT = 1, 2, 5"
            Expect.isLessThan (abs worst) 3.5 "every element within 3.5σ"
            Expect.isLessThan (chi2 / float weak.Length) 1.5 "χ²/dof"
            // the next order in δB: where the expansion parameter of a row is not small, first order must fail
            let strong = pulls 0.02 80 |> List.filter (fun (_, eps, _) -> eps >= 0.5)
            let chi2Strong = strong |> List.sumBy (fun (_, _, p) -> p * p)
            printfn "%s" $"M_ℓℓ0(T), η = 0.02, |2M^(1a)| ≥ 0.5: χ²/dof = {chi2Strong:F1}/{strong.Length}"
            Expect.isGreaterThan strong.Length 5 "elements beyond first order"
            Expect.isGreaterThan (chi2Strong / float strong.Length) 4.0 "first order misses them" }
    ]
