/// The command line end to end: `skymix cl` against healpy, and clean errors for bad input.
module SkyMix.Tests.CliTests

open System
open System.IO
open Expecto
open SkyMix.Tests.Check

let private parseCl (text: string) =
    let lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
    Expect.equal lines.[0] "l,cl" "header"
    lines.[1..] |> Array.map (fun l -> Reference.f (l.Split(',').[1]))

let private expectInputError = Cli.expectInputError

let private writeMap (dir: string) (name: string) (rows: string seq) =
    let p = Path.Combine(dir, name)
    File.WriteAllLines(p, Seq.append [ "ipix,f" ] rows)
    p

/// The steady state −(M − I) C = ΩΔT e₁ on ℓ = 1 … 10, solved from the independent reference M.
let private referenceSteadyState () =
    let t = Reference.read "theory/M_lmax10_rho8.9e-03.csv"
    let m = [| for r in t.Rows -> r.[1..] |> Array.map Reference.f |]
    let a = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(10, 10, fun i j -> -(m.[i + 1].[j + 1] - (if i = j then 1.0 else 0.0)))
    let b = MathNet.Numerics.LinearAlgebra.Vector<float>.Build.Dense(10)
    b.[0] <- 15.52383054
    let c = a.Solve b
    Array.init 10 (fun i -> c.[i] / c.[0])

let predictTests =
    testList "skymix predict" [
        test "no arguments: the paper's four rigidities in a table" {
            let r = Cli.run [ "predict" ]
            Expect.equal r.Code 0 r.Err
            for rigidity in [ "10 TV"; "100 TV"; "1 PV"; "10 PV" ] do Expect.stringContains r.Out rigidity "row per rigidity"
            Expect.stringContains r.Out "index" "power-law index column"
            Expect.stringContains r.Out "ℓ_max → ∞ (zero-flux boundary" "the converged limit is the default"
            Expect.stringContains r.Out "The paper's truncation (ℓ_max = 100" "the paper's truncation beside it" }
        test "--lmax auto (default): JSON converged, lmax_used, cl_over_c1_converged(_err) for ℓ ≤ --lout; CSV gains the converged columns" {
            let dir = Cli.tempDir ()
            let csv, json = IO.Path.Combine(dir, "a.csv"), IO.Path.Combine(dir, "a.json")
            let r = Cli.run [ "predict"; "--rho"; "0.09"; "--lout"; "20"; "--tol"; "1e-4"; "--out"; csv; "--json"; json ]
            Expect.equal r.Code 0 r.Err
            use doc = Text.Json.JsonDocument.Parse(File.ReadAllText json)
            let first = doc.RootElement.GetProperty("rigidities").[0]
            Expect.isTrue (first.GetProperty("converged").GetBoolean()) "converged"
            let used = [ for v in first.GetProperty("lmax_used").EnumerateArray() -> v.GetInt32() ]
            Expect.isGreaterThanOrEqual used.Length 3 "at least three ℓ_max (a limit needs two differences)"
            Expect.equal used.[0] 100 "starts at max(100, 2·ℓ_out)"
            Expect.isTrue (List.pairwise used |> List.forall (fun (a, b) -> b = 2 * a)) "ℓ_max doubles"
            let number (v: Text.Json.JsonElement) = if v.ValueKind = Text.Json.JsonValueKind.Null then nan else v.GetDouble()
            let values = [| for v in first.GetProperty("cl_over_c1_converged").EnumerateArray() -> number v |]
            let errors = [| for v in first.GetProperty("cl_over_c1_converged_err").EnumerateArray() -> number v |]
            Expect.isTrue (Double.IsNaN values.[0] && Double.IsNaN errors.[0]) "the monopole (no steady state) is null"
            Expect.equal values.Length 21 "ℓ = 0 … ℓ_out"
            Expect.equal values.[1] 1.0 "C_1/C_1"
            Expect.equal errors.Length 21 "an error per value"
            let last = [| for v in first.GetProperty("cl_over_c1").EnumerateArray() -> v.GetDouble() |]
            Expect.equal last.Length (List.last used + 1) "cl_over_c1 is the spectrum at the last ℓ_max"
            let lines = File.ReadAllLines csv
            Expect.equal lines.[0] "rho,l,cl_over_c1,cl_over_s,cl_over_c1_converged,cl_over_c1_converged_err" "CSV header"
            let row l = lines.[l].Split(',')
            Expect.floatClose { absolute = 0.0; relative = 1e-12 } (Reference.f (row 2).[4]) values.[2] "CSV converged = JSON converged"
            Expect.equal (row 21).[4] "" "no converged value above ℓ_out" }
        test "--rho 8.9e-3 --omega-dt --kmax --lmax 10 reproduces the steady state of the reference M (1e-6), CSV/JSON/PNG written" {
            let dir = Cli.tempDir ()
            let csv, json, png = IO.Path.Combine(dir, "p.csv"), IO.Path.Combine(dir, "p.json"), IO.Path.Combine(dir, "p.png")
            let r = Cli.run [ "predict"; "--rho"; "8.9e-3"; "--omega-dt"; "15.52383054"; "--kmax"; "1.3328649e5"; "--lmax"; "10"
                              "--out"; csv; "--json"; json; "--plot"; png ]
            Expect.equal r.Code 0 r.Err
            let lines = File.ReadAllLines csv
            Expect.equal lines.[0] "rho,l,cl_over_c1,cl_over_s" "CSV header"
            Expect.equal lines.Length 11 "ℓ = 1 … 10"
            let expected = referenceSteadyState ()
            allClose "C_ℓ/C_1" [ for l in 1 .. 10 -> rel $"C_{l}/C_1" expected.[l - 1] (Reference.f (lines.[l].Split(',').[2])) 1e-6 0.0 ]
            use doc = Text.Json.JsonDocument.Parse(File.ReadAllText json)
            let first = doc.RootElement.GetProperty("rigidities").[0]
            Expect.floatClose Accuracy.medium (first.GetProperty("Omega_Delta_T").GetDouble()) 15.52383054 "ΩΔT in JSON"
            for key in [ "rho"; "A"; "K_zz_c2_per_Omega"; "Omega_tau_s"; "W"; "converged"; "lmax_used"; "cl_over_c1_converged"; "seconds" ] do
                Expect.isTrue (first.TryGetProperty(key) |> fst) $"JSON has {key}"
            Expect.equal (first.GetProperty("converged").ValueKind) Text.Json.JsonValueKind.Null "a fixed ℓ_max is the paper's truncation: no limit sought"
            Expect.equal (first.GetProperty("cl_over_c1_converged").ValueKind) Text.Json.JsonValueKind.Null "no converged spectrum"
            Expect.isTrue (first.GetProperty("paper_truncation").TryGetProperty("truncation_change_lmax_half") |> fst) "the paper's checks"
            // at ℓ_max = 10 the index spans ℓ = 5 … 10 and the extension check (ℓ_max ≥ 16) cannot be made
            Expect.sequenceEqual [ for v in first.GetProperty("index_l_range").EnumerateArray() -> v.GetDouble() ] [ 5.0; 10.0 ] "index range"
            Expect.isFalse (first.GetProperty("paper_truncation").TryGetProperty("extension_change_lmax_half") |> fst) "no extension check at ℓ_max = 10"
            Expect.stringContains r.Out "index ℓ=5–10" "the table names the index range used"
            Expect.stringContains r.Out "needs ℓ_max ≥ 16" "the extension check says why it is missing"
            let bytes = File.ReadAllBytes png
            Expect.sequenceEqual bytes.[0..7] [| 137uy; 80uy; 78uy; 71uy; 13uy; 10uy; 26uy; 10uy |] "PNG signature" }
        test "--times writes the time series next to --out and ends at the steady state" {
            let dir = Cli.tempDir ()
            let csv = IO.Path.Combine(dir, "t.csv")
            let r = Cli.run [ "predict"; "--rho"; "0.09"; "--lmax"; "20"; "--times"; "40"; "--out"; csv ]
            Expect.equal r.Code 0 r.Err
            let rows = File.ReadAllLines(IO.Path.Combine(dir, "t.time.csv")).[1..] |> Array.map (fun l -> l.Split ',')
            let steady = File.ReadAllLines(csv).[1].Split(',').[3] |> Reference.f
            let last = rows |> Array.filter (fun f -> f.[1] = "40" && f.[3] = "1") |> Array.exactlyOne
            Expect.floatClose { absolute = 0.0; relative = 1e-8 } (Reference.f last.[4]) steady "C_1(40ΔT) = steady C_1" }
        for args, fragment in
            [ [ "--eta"; "1.2" ], "η must lie in (0, 1)"
              [ "--rigidity"; "0TV" ], "positive"
              [ "--rho"; "-1" ], "ρ must be positive"
              [ "--omega-dt"; "0" ], "ΩΔT must be a number ≥"
              [ "--lmax"; "1" ], "2 … 4000"
              [ "--lmax"; "4001" ], "2 … 4000"
              [ "--lmax"; "all" ], "give auto"
              [ "--lout"; "501" ], "2 … 500"
              [ "--tol"; "0" ], "tolerance must lie in (0, 1)"
              [ "--lmax"; "100"; "--lout"; "20" ], "--lout belongs to --lmax auto"
              [ "--rigidity"; "10XV" ], "unknown rigidity unit"
              [ "--rho"; "1e-3"; "--kmax"; "1e-4" ], "k_max must exceed k_min"
              [ "--times"; "0" ], "--times must be a number of steps ≥ 1"
              [ "--brms"; "3,5" ], "--brms '3,5' is not a number"
              [ "--rigidity"; "1PV,1PV" ], "twice"
              [ "--omega-dt"; "15,5" ], "decimal point" ] do
            test $"bad input {String.Join(' ', args)} → exit 2, one line, no file written" {
                let dir = Cli.tempDir ()
                let csv = IO.Path.Combine(dir, "x.csv")
                expectInputError (Cli.run ([ "predict" ] @ args @ [ "--out"; csv ])) [ fragment ]
                Expect.isFalse (File.Exists csv) "no output file" }
    ]

let private dataFiles = Cli.dataFiles

let private small = [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "3"; "--times"; "5,20,60"; "--device"; "cpu" ]

let simulateTests =
    testList "skymix simulate" [
        test "a small run writes the documented files; the same seed on 1 thread gives identical files; a rerun resumes" {
            let dir = Cli.tempDir ()
            let a, b = IO.Path.Combine(dir, "a"), IO.Path.Combine(dir, "b")
            let r = Cli.run (small @ [ "--out"; a ])
            Expect.equal r.Code 0 r.Err
            Expect.stringContains r.Out "K_zz" "summary table"
            let header (f: string) = (File.ReadLines(IO.Path.Combine(a, f)) |> Seq.head)
            Expect.stringStarts (header "cl.csv") "T,l,cl_num,noise,cl_sub,err" "ensemble cl.csv"
            Expect.equal (header "diffusion.csv") "T,dz2,kzz,dz2_err,kzz_err" "diffusion.csv"
            Expect.equal (header "dipole.csv") "realization,T,phix,phiy,phiz,c1,cos_alpha" "dipole.csv"
            for r in [ "0000"; "0001"; "0002" ] do
                for f in [ "cl.csv"; "diffusion.csv"; "dipole.csv"; "realization.json"; "map_000.fits"; "map_002.fits" ] do
                    Expect.isTrue (File.Exists(IO.Path.Combine(a, "realizations", r, f))) $"realizations/{r}/{f}"
            use run = Text.Json.JsonDocument.Parse(File.ReadAllText(IO.Path.Combine(a, "run.json")))
            for key in [ "settings"; "derived"; "grids"; "realization_seeds"; "version"; "git_commit"; "noise_estimator"; "execution" ] do
                Expect.isTrue (run.RootElement.TryGetProperty(key) |> fst) $"run.json has {key}"
            for key in [ "device"; "threads"; "shard_index"; "shard_count"; "seconds"; "particle_steps_per_second" ] do
                Expect.isTrue (run.RootElement.GetProperty("execution").TryGetProperty(key) |> fst) $"run.json execution has {key}"
            // one thread
            let r1 = Cli.runWith [ "DOTNET_PROCESSOR_COUNT", "1" ] Reference.repoRoot (small @ [ "--out"; b ])
            Expect.equal r1.Code 0 r1.Err
            let fa, fb = dataFiles a, dataFiles b
            Expect.sequenceEqual (Array.map fst fa) (Array.map fst fb) "same files"
            for (name, bytes), (_, other) in Array.zip fa fb do Expect.isTrue (bytes = other) $"{name} identical with 1 thread"
            // resume: drop a realisation and rerun the same command
            IO.Directory.Delete(IO.Path.Combine(b, "realizations", "0001"), true)
            let r2 = Cli.run (small @ [ "--out"; b ])
            Expect.equal r2.Code 0 r2.Err
            for (name, bytes), (_, other) in Array.zip fa (dataFiles b) do Expect.isTrue (bytes = other) $"{name} identical after resuming" }
        test "the maps are HEALPix FITS files laid out as healpy writes them (2880-byte blocks, BINTABLE, keywords)" {
            let dir = Cli.tempDir ()
            let r = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "2"; "--realizations"; "1"; "--times"; "3,6"; "--out"; dir ]
            Expect.equal r.Code 0 r.Err
            let file = IO.Path.Combine(dir, "realizations", "0000", "map_001.fits")
            let bytes = File.ReadAllBytes file
            Expect.equal (bytes.Length % 2880) 0 "2880-byte blocks"
            let text = Text.Encoding.ASCII.GetString(bytes, 0, 5760)
            for card in [ "SIMPLE  =                    T"; "XTENSION= 'BINTABLE'"; "TTYPE1  = 'TEMPERATURE'"; "TFORM1  = 'D       '"
                          "PIXTYPE = 'HEALPIX '"; "ORDERING= 'RING    '"; "NSIDE   =                    2"; "FIRSTPIX=                    0"
                          "LASTPIX =                   47"; "INDXSCHM= 'IMPLICIT'"; "OBJECT  = 'FULLSKY '" ] do
                Expect.stringContains text card $"header card {card}"
            Expect.equal (SkyMix.Runs.Fits.Read file).Length 48 "read back" }
        test "a run folder with other settings is refused, not overwritten" {
            let dir = Cli.tempDir ()
            let first = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "2"; "--realizations"; "1"; "--times"; "3"; "--out"; dir ]
            Expect.equal first.Code 0 first.Err
            expectInputError (Cli.run [ "simulate"; "--rho"; "0.05"; "--nside"; "2"; "--realizations"; "1"; "--times"; "3"; "--out"; dir ]) [ "other settings" ] }
        for args, fragment in
            [ [ "--nside"; "3" ], "power of two"
              [ "--nside"; "16384" ], "power of two"
              [ "--times"; "10,5" ], "increase"
              [ "--times"; "log:1:100:0" ], "COUNT"
              [ "--eta"; "0" ], "η must lie in (0, 1)"
              [ "--rigidity"; "10PV,1PV" ], "one rigidity"
              [ "--device"; "gpu" ], "auto, cuda, cpu or ilgpu-cpu"
              [ "--kmax"; "1e9"; "--memory"; "1" ], "needs" ] do
            test $"bad input {String.Join(' ', args)} → exit 2, one line" {
                let dir = Cli.tempDir ()
                expectInputError (Cli.run ([ "simulate"; "--realizations"; "1"; "--out"; IO.Path.Combine(dir, "r") ] @ args)) [ fragment ] }
    ]

let reproduceTests =
    testList "skymix reproduce and fit" [
        test "a tiny reproduce (two rigidities, Nside 8) writes the report, fit files and six valid figures" {
            let dir = Cli.tempDir ()
            let r = Cli.run [ "reproduce"; "--rigidity"; "1PV,10PV"; "--nside"; "8"; "--realizations"; "3"; "--lmax"; "30"; "--out"; dir; "--device"; "cpu" ]
            Expect.equal r.Code 0 r.Err
            let report = File.ReadAllText(IO.Path.Combine(dir, "report.md"))
            for needle in [ "## Settings"; "Nside 8"; "paper finds a ≈ 4"; "## Dipoles"; "How ΩΔT moves" ] do
                Expect.stringContains report needle "report content"
            for fig in [ "fig2_maps.png"; "fig3_mean_map.png"; "fig4_cl_vs_T.png"; "fig5_spectra.png"; "fig6_law.png"; "fig7_dipoles.png" ] do
                Expect.stringContains report fig $"report shows {fig}"
                // a drawn figure, not a blank canvas: decoded independently of the plotting library
                let w, h, ink, coloured = Png.ink (IO.Path.Combine(dir, fig))
                Expect.isTrue (w >= 300 && h >= 200) $"{fig}: {w}×{h} pixels"
                Expect.isGreaterThan ink 0.02 $"{fig}: share of drawn pixels"
                Expect.isGreaterThan coloured 1e-4 $"{fig}: share of coloured pixels (the data; axes and text are grey)"
            let csv = File.ReadAllLines(IO.Path.Combine(dir, "fit.csv"))
            Expect.stringStarts csv.[0] "rho,rigidity_V,eta,theory_boundary,theory_lmax,omega_tau_s_qlt,omega_tau_s_sim" "fit.csv header"
            Expect.equal csv.Length 3 "one row per rigidity"
            use json = Text.Json.JsonDocument.Parse(File.ReadAllText(IO.Path.Combine(dir, "fit.json")))
            Expect.equal (json.RootElement.GetProperty("rigidities").GetArrayLength()) 2 "both rigidities in fit.json"
            // a second call reuses the finished runs
            let again = Cli.run [ "reproduce"; "--rigidity"; "1PV,10PV"; "--nside"; "8"; "--realizations"; "3"; "--lmax"; "30"; "--out"; dir; "--device"; "cpu" ]
            Expect.equal again.Code 0 again.Err
            Expect.isFalse (again.Err.Contains "realisation 1/") "no realisation recomputed" }
        test "reproduce --eta: every rigidity at every η, one fit each, the law per η and combined in the report" {
            let dir = Cli.tempDir ()
            let r = Cli.run [ "reproduce"; "--rigidity"; "1PV,10PV"; "--nside"; "8"; "--realizations"; "3"; "--lmax"; "30"; "--eta"; "0.4,0.5"; "--out"; dir; "--device"; "cpu" ]
            Expect.equal r.Code 0 r.Err
            Expect.sequenceEqual (IO.Directory.GetDirectories(IO.Path.Combine(dir, "runs")) |> Array.map IO.Path.GetFileName |> Array.sort)
                                 [| "10PV-eta0.4"; "10PV-eta0.5"; "1PV-eta0.4"; "1PV-eta0.5" |] "one run folder per (rigidity, η)"
            let csv = File.ReadAllLines(IO.Path.Combine(dir, "fit.csv"))
            let eta = Array.IndexOf(csv.[0].Split(','), "eta")
            Expect.sequenceEqual (csv.[1..] |> Array.map (fun l -> l.Split(',').[eta]) |> Array.sort) [| "0.4"; "0.4"; "0.5"; "0.5" |] "fit.csv: one row per (rigidity, η)"
            // the runs really differ in η: QLT's τ_s grows as the turbulence weakens
            let tau = Array.IndexOf(csv.[0].Split(','), "omega_tau_s_qlt")
            let tauOf (e: string) = csv.[1..] |> Array.filter (fun l -> l.Split(',').[eta] = e) |> Array.map (fun l -> Reference.f (l.Split(',').[tau])) |> Array.min
            Expect.isGreaterThan (tauOf "0.4") (tauOf "0.5") "τ_s(η = 0.4) > τ_s(η = 0.5)"
            let report = File.ReadAllText(IO.Path.Combine(dir, "report.md"))
            for needle in [ "## Turbulence levels"; "| 0.4 |"; "| 0.5 |"; "| all |"; "η = 0.4, 0.5" ] do
                Expect.stringContains report needle "report content"
            for bad, fragment in [ "0.5,1.2", "outside (0, 1)"; "0.5,0.5", "each η once"; "0.5,x", "not a number" ] do
                expectInputError (Cli.run [ "reproduce"; "--eta"; bad; "--out"; IO.Path.Combine(dir, "x") ]) [ fragment ] }
        test "skymix fit on one run folder: table, fit.csv; a folder that is not a run → exit 2" {
            let dir = Cli.tempDir ()
            let run = IO.Path.Combine(dir, "run")
            let s = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "2"; "--times"; "log:2:60:12"; "--out"; run ]
            Expect.equal s.Code 0 s.Err
            let r = Cli.run [ "fit"; run; "--lmax"; "20"; "--out"; dir ]
            Expect.equal r.Code 0 r.Err
            let fitCsv (d: string) =
                let lines = File.ReadAllLines(IO.Path.Combine(d, "fit.csv"))
                let header, row = lines.[0].Split(','), lines.[1].Split(',')
                fun name -> row.[Array.IndexOf(header, name)]
            let col name = Reference.f (fitCsv dir name)
            // the protocol, checked from the run's own files: the time used is the first output ≥ 2τ_s^sim
            // (τ_s^sim = 3K_zz at the last time, diffusion.csv)
            let diffusion = File.ReadAllLines(IO.Path.Combine(run, "diffusion.csv")).[1..] |> Array.map (fun l -> l.Split(',') |> Array.map Reference.f)
            let tau = 3.0 * diffusion.[diffusion.Length - 1].[2]
            let expectedT = diffusion |> Array.map (fun d -> d.[0]) |> Array.tryFind (fun t -> t >= 2.0 * tau) |> Option.defaultValue diffusion.[diffusion.Length - 1].[0]
            Expect.floatClose { absolute = 0.0; relative = 1e-12 } (col "T") expectedT "fit time"
            Expect.floatClose { absolute = 0.0; relative = 1e-12 } (col "omega_tau_s_sim") tau "Ωτ_s^sim"
            // χ² recomputed from cl.csv (the data at T) and the model spectrum fit.json reports
            let clRows = File.ReadAllLines(IO.Path.Combine(run, "cl.csv")).[1..] |> Array.map (fun l -> l.Split(',') |> Array.map Reference.f)
            let atT = clRows |> Array.filter (fun c -> abs (c.[0] / col "T" - 1.0) < 1e-12)
            let lfit = int (col "l_fit")
            let chi2Of (model: float[]) = Seq.sum [ for l in 2 .. lfit -> let d = (atT.[l].[7] - model.[l]) / atT.[l].[8] in d * d ]
            let modelOf (d: string) =
                use doc = Text.Json.JsonDocument.Parse(File.ReadAllText(IO.Path.Combine(d, "fit.json")))
                [| for v in doc.RootElement.GetProperty("rigidities").[0].GetProperty("model_ratio").EnumerateArray() -> v.GetDouble() |]
            Expect.floatClose { absolute = 1e-9; relative = 1e-9 } (chi2Of (modelOf dir)) (col "chi2") "χ² from the files = the fit's χ²"
            // a minimum: predict (another path to the same truncated theory) at ΩΔT ± 5% gives a larger χ²
            let kmax = (use doc = Text.Json.JsonDocument.Parse(File.ReadAllText(IO.Path.Combine(run, "run.json"))) in doc.RootElement.GetProperty("settings").GetProperty("k_max_Omega").GetDouble())
            let omegaDT = col "omega_dt"
            for dt in [ omegaDT * 1.05; omegaDT * 0.95 ] |> List.filter (fun x -> x >= 2.0) do
                let p = Cli.run [ "predict"; "--rho"; "0.09"; "--kmax"; kmax.ToString "R"; "--omega-dt"; dt.ToString "R"; "--lmax"; "20"; "--out"; "-" ]
                let model = Array.append [| 0.0 |] (p.Out.Trim().Split('\n').[1..] |> Array.map (fun l -> Reference.f (l.Split(',').[2])))
                Expect.isGreaterThan (chi2Of model) (0.999 * col "chi2") $"χ² at ΩΔT = {dt:F2} is not below the minimum's"
            // the default theory, the ℓ_max → ∞ limit: recorded in the files and fitted the same way
            let auto = IO.Path.Combine(dir, "auto")
            let a = Cli.run [ "fit"; run; "--out"; auto ]
            Expect.equal a.Code 0 a.Err
            Expect.equal (fitCsv auto "theory_boundary") "zero-flux" "the limit is the default theory"
            Expect.isGreaterThanOrEqual (int (fitCsv auto "theory_lmax")) 100 "at a converged ℓ_max"
            Expect.floatClose { absolute = 1e-9; relative = 1e-9 } (chi2Of (modelOf auto)) (Reference.f (fitCsv auto "chi2")) "χ² from the files (limit)"
            expectInputError (Cli.run [ "fit"; dir; "--out"; dir ]) [ "not a SkyMix run folder" ]
            expectInputError (Cli.run [ "fit"; IO.Path.Combine(dir, "nowhere") ]) [ "no such run folder" ] }
    ]

let tests =
    testList "skymix cl" [
        test "skymix cl reproduces healpy's synfast_iter0 column (Nside 16) to 1e-10" {
            let r = Cli.run [ "cl"; Reference.path "anafast_map_synfast_nside16.csv" ]
            Expect.equal r.Code 0 r.Err
            let expected = (Reference.read "anafast_cl_nside16.csv").Floats "synfast_iter0"
            let got = parseCl r.Out
            allClose "cl" [ for l in 0 .. expected.Length - 1 -> rel $"C_{l}" expected.[l] got.[l] Tol.healpy 0.0 ] }
        test "--lmax, --iter and --out: iter 3 to a file, read back" {
            let dir = Cli.tempDir ()
            let out = Path.Combine(dir, "cl.csv")
            let r = Cli.run [ "cl"; Reference.path "anafast_map_ylm_nside8.csv"; "--iter"; "3"; "--lmax"; "23"; "--out"; out ]
            Expect.equal r.Code 0 r.Err
            let expected = (Reference.read "anafast_cl_nside8.csv").Floats "ylm_iter3"
            let got = parseCl (File.ReadAllText out)
            let floor = 1e-15 * expected.[0]
            allClose "cl iter 3" [ for l in 0 .. 23 -> rel $"C_{l}" expected.[l] got.[l] Tol.healpy floor ]
            Expect.sequenceEqual (Directory.GetFiles dir |> Array.map Path.GetFileName) [| "cl.csv" |] "no temporary file left" }
        test "missing file → exit 2, one line naming the file" {
            expectInputError (Cli.run [ "cl"; "no/such/map.csv" ]) [ "no/such/map.csv"; "no such file" ] }
        test "wrong row count → exit 2, names the file and the rule 12·Nside²" {
            let dir = Cli.tempDir ()
            let p = writeMap dir "short.csv" [ for i in 0 .. 9 -> $"{i},1.0" ]
            expectInputError (Cli.run [ "cl"; p ]) [ "short.csv"; "12·Nside²" ] }
        test "non-numeric value → exit 2, names file:line" {
            let dir = Cli.tempDir ()
            let p = writeMap dir "text.csv" [ for i in 0 .. 11 -> if i = 5 then "5,abc" else $"{i},1.0" ]
            expectInputError (Cli.run [ "cl"; p ]) [ "text.csv:7"; "abc" ] }
        test "NaN value → exit 2, names file:line" {
            let dir = Cli.tempDir ()
            let p = writeMap dir "nan.csv" [ for i in 0 .. 11 -> if i = 3 then "3,NaN" else $"{i},1.0" ]
            expectInputError (Cli.run [ "cl"; p ]) [ "nan.csv:5"; "NaN" ] }
        test "unknown option → exit 2 with a pointer to --help" {
            expectInputError (Cli.run [ "cl"; Reference.path "anafast_map_dipole_nside8.csv"; "--bogus" ]) [ "--help" ] }
    ]
