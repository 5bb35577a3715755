/// What a new user meets first: outputs that never destroy (links, FIFOs, standard output, two outputs on one
/// file, an output on the input), no ∞ or NaN written, a run record that tells the truth about an interrupted run,
/// sizes and feasibility checked before the work, Ctrl-C, messages that name the real problem, and figures.
module SkyMix.Tests.FirstContactTests

open System
open System.IO
open System.Text.Json
open Expecto
open SkyMix.Runs

let private predict = [ "predict"; "--rho"; "0.09"; "--lmax"; "10" ]

/// A CSV map of Nside 2 (48 pixels) in dir/name: scale·sin(p), with pixel `big` set to `value`.
let private mapOf (dir: string) (name: string) (scale: float) (big: int) (value: float) =
    let f = Path.Combine(dir, name)
    let v p = if p = big then value else scale * sin (float p)
    File.WriteAllLines(f, Seq.append [ "ipix,f" ] [ for p in 0..47 -> $"""{p},{(v p).ToString("R")}""" ])
    f

let private mapWith (dir: string) (big: int) (value: float) = mapOf dir "map.csv" 1.0 big value

/// The first line of a file.
let private header (file: string) = File.ReadLines file |> Seq.head

/// A run folder of `n` realisations (Nside 4), fresh.
let private run (n: int) (extra: string list) =
    let dir = Path.Combine(Cli.tempDir (), "run")
    let r = Cli.run ([ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; string n; "--times"; "3,9"; "--lambda-min"; "2"; "--device"; "cpu"; "--out"; dir ] @ extra)
    Expect.equal r.Code 0 r.Err
    dir, r

let private finishedInRecord (dir: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))
    doc.RootElement.GetProperty("execution").GetProperty("finished_realizations").GetInt32()

let tests =
    testList "first contact" [
        test "an output that is a symbolic link is written through it: the link stays, its target gets the data" {
            let dir = Cli.tempDir ()
            let target, link = Path.Combine(dir, "real.csv"), Path.Combine(dir, "link.csv")
            File.WriteAllText(target, "old\n")
            File.CreateSymbolicLink(link, "real.csv") |> ignore
            let r = Cli.run (predict @ [ "--out"; link ])
            Expect.equal r.Code 0 r.Err
            Expect.equal (FileInfo(link).LinkTarget) "real.csv" "still a link to real.csv"
            Expect.equal (header target) "rho,l,cl_over_c1,cl_over_s" "the target holds the spectrum"
            Expect.isEmpty (Directory.GetFiles(dir, ".*")) "no temporary left" }
        test "an output that is a FIFO is written into, not replaced" {
            let dir = Cli.tempDir ()
            let fifo = Path.Combine(dir, "pipe.csv")
            Expect.equal (Cli.exec "mkfifo" [ fifo ]).Code 0 "mkfifo"
            let reader = Threading.Tasks.Task.Run(fun () -> File.ReadAllText fifo)
            let r = Cli.run (predict @ [ "--out"; fifo ])
            Expect.equal r.Code 0 r.Err
            Expect.isTrue (reader.Wait(TimeSpan.FromSeconds 30.0)) "the reader got the end of the data"
            Expect.stringStarts reader.Result "rho,l,cl_over_c1,cl_over_s\n" "the spectrum came through the FIFO"
            Expect.equal (reader.Result.Split('\n').Length) 12 "header, ℓ = 1 … 10 and the last newline"
            Expect.equal (Cli.exec "test" [ "-p"; fifo ]).Code 0 "still a FIFO" }
        test "--out - writes the CSV to standard output and the table to standard error" {
            let r = Cli.run (predict @ [ "--out"; "-" ])
            Expect.equal r.Code 0 r.Err
            Expect.stringStarts r.Out "rho,l,cl_over_c1,cl_over_s\n" "stdout is the CSV alone"
            Expect.equal (r.Out.Trim().Split('\n').Length) 11 "header and ℓ = 1 … 10"
            Expect.stringContains r.Err "C_2/C_1" "the table went to stderr"
            let j = Cli.run (predict @ [ "--json"; "-" ])
            use doc = JsonDocument.Parse j.Out
            Expect.equal (doc.RootElement.GetProperty("rigidities").GetArrayLength()) 1 "the JSON is whole on stdout"
            Cli.expectInputError (Cli.run (predict @ [ "--out"; "-"; "--times"; "3" ])) [ "--out -"; "--times" ]
            Cli.expectInputError (Cli.run (predict @ [ "--out"; "-"; "--json"; "-" ])) [ "same file" ] }
        test "two outputs on one file, or an output on the input → exit 2, nothing changed" {
            let dir = Cli.tempDir ()
            let x = Path.Combine(dir, "x")
            Cli.expectInputError (Cli.run (predict @ [ "--out"; x; "--json"; x ])) [ "--json"; "--out"; "same file" ]
            Cli.expectInputError (Cli.run (predict @ [ "--out"; x + ".png"; "--plot"; x + ".png" ])) [ "--plot"; "same file" ]
            File.CreateSymbolicLink(Path.Combine(dir, "alias.json"), x + ".csv") |> ignore
            Cli.expectInputError (Cli.run (predict @ [ "--out"; x + ".csv"; "--json"; Path.Combine(dir, "alias.json") ])) [ "same file" ]
            Cli.expectInputError (Cli.run (predict @ [ "--plot"; x + ".svg" ])) [ "--plot"; "PNG" ]
            let map = mapWith dir -1 0.0
            let before = File.ReadAllBytes map
            Cli.expectInputError (Cli.run [ "cl"; map; "--out"; map ]) [ "the input"; "map.csv" ]
            Expect.equal (File.ReadAllBytes map) before "the map is untouched"
            Expect.sequenceEqual (Directory.GetFileSystemEntries dir |> Array.map Path.GetFileName |> Array.sort) [| "alias.json"; "map.csv" |] "nothing written" }
        test "cl of a map whose C_ℓ overflows → exit 2 naming the pixel; below the overflow C_ℓ scales as the square" {
            let dir = Cli.tempDir ()
            Cli.expectInputError (Cli.run [ "cl"; mapWith dir 17 1e160 ]) [ "pixel 17"; "double precision" ]
            let c = Cli.run [ "cl"; mapOf dir "a.csv" 1.0 -1 0.0; "--lmax"; "4" ]
            let scaled = Cli.run [ "cl"; mapOf dir "b.csv" 1e150 -1 0.0; "--lmax"; "4" ]
            let values (r: Cli.Result) = r.Out.Trim().Split('\n').[1..] |> Array.map (fun l -> float (l.Split(',').[1]))
            Check.allClose "C_ℓ(1e150·map) = 1e300·C_ℓ(map)"
                [ for l, (a, b) in Array.indexed (Array.zip (values c) (values scaled)) -> Check.rel $"ℓ = {l}" (1e300 * a) b 1e-12 0.0 ] }
        test "an interrupted simulate leaves a true record; fit refuses it without --allow-partial and warns with it" {
            // each realisation takes about 2 s (8 lanes, 2 cores): the kill 0.5 s after the second lands before the fourth
            let args = [ "simulate"; "--rho"; "0.09"; "--nside"; "16"; "--realizations"; "4"; "--times"; "log:1:10000:6"; "--lambda-min"; "2"; "--device"; "cpu" ]
            let dir = Path.Combine(Cli.tempDir (), "b")
            let p = Cli.start (args @ [ "--out"; dir ])
            let second = Path.Combine(dir, "realizations", "0001")
            let clock = Diagnostics.Stopwatch.StartNew()
            while not (Directory.Exists second) && not p.HasExited && clock.Elapsed.TotalSeconds < 120.0 do
                Threading.Thread.Sleep 20
            // the record may lag the folders only between a realisation and its run.json (milliseconds)
            Threading.Thread.Sleep 500
            p.Kill()
            p.WaitForExit()
            let folders = RunFolder.Finished dir
            Expect.isLessThan folders.Length 4 "killed before the end"
            Expect.equal (finishedInRecord dir) folders.Length "run.json counts the realisations the folder holds"
            let ensemble = File.ReadAllLines(Path.Combine(dir, "cl.csv"))
            Expect.isGreaterThan ensemble.Length 1 "the ensemble files exist"
            let out = Cli.tempDir ()
            Cli.expectInputError (Cli.run [ "fit"; dir; "--lmax"; "20"; "--out"; out ]) [ $"{folders.Length} of its 4"; "--allow-partial" ]
            let r = Cli.run [ "fit"; dir; "--lmax"; "20"; "--out"; out; "--allow-partial" ]
            Expect.equal r.Code 0 r.Err
            Expect.stringContains r.Err "warning" "says it fits a partial run"
            Expect.stringContains r.Err $"{folders.Length} of its 4" "and how partial" }
        test "sizes and feasibility are checked before any work; long predictions report their stages" {
            let dir = Cli.tempDir ()
            let out = Path.Combine(dir, "t.csv")
            let clock = Diagnostics.Stopwatch.StartNew()
            Cli.expectInputError (Cli.run [ "predict"; "--rho"; "0.09"; "--times"; "1000000"; "--out"; out ]) [ "--times 1000000"; "at most" ]
            Expect.isLessThan clock.Elapsed.TotalSeconds 20.0 "refused at once"
            Cli.expectInputError (Cli.run [ "reproduce"; "--rigidity"; "1PV,1PV"; "--out"; Path.Combine(dir, "r") ]) [ "1 PV twice" ]
            Cli.expectInputError (Cli.run [ "reproduce"; "--rigidity"; "1000TV,1PV"; "--out"; Path.Combine(dir, "r") ]) [ "1 PV twice" ]
            Cli.expectInputError (Cli.run [ "reproduce"; "--nside"; "1"; "--out"; Path.Combine(dir, "r") ]) [ "Nside 1"; "Nside ≥ 2" ]
            Expect.isEmpty (Directory.GetFileSystemEntries dir) "nothing written"
            let r = Cli.run [ "predict"; "--rho"; "0.09"; "--lmax"; "400" ]
            Expect.equal r.Code 0 r.Err
            for stage in [ "W = ⅔Λ₀ − ⅓Λ₂"; "paper's truncation ℓ_max = 400 (absorbing)"; "checks at ℓ_max = 200" ] do Expect.stringContains r.Err stage "progress names each stage" }
        test "Ctrl-C (SIGINT) stops predict with exit 130, one message, and no file" {
            let dir = Cli.tempDir ()
            let p, err = Cli.startWatched [ "predict"; "--rigidity"; "10PV"; "--lmax"; "3000"; "--out"; Path.Combine(dir, "p.csv"); "--json"; Path.Combine(dir, "p.json") ]
            // the signal goes to skymix itself once it computes (before, ./skymix may still be checking its build)
            let clock = Diagnostics.Stopwatch.StartNew()
            while not ((lock err (fun () -> string err)).Contains "paper's truncation") && not p.HasExited && clock.Elapsed.TotalSeconds < 120.0 do
                Threading.Thread.Sleep 20
            Expect.isFalse p.HasExited "still computing when interrupted"
            Expect.equal (Cli.exec "kill" [ "-INT"; string p.Id ]).Code 0 "kill -INT"
            Expect.isTrue (p.WaitForExit 20000) "stopped"
            Expect.equal p.ExitCode 130 "exit code 130"
            p.WaitForExit()
            Threading.Thread.Sleep 200
            Expect.stringContains (lock err (fun () -> string err)) "skymix: predict interrupted; no output file was written" "says what was interrupted"
            Expect.isEmpty (Directory.GetFileSystemEntries dir) "nothing written, no temporary" }
        test "messages name the real problem" {
            Cli.expectInputError (Cli.run (predict @ [ "--out"; "" ])) [ "--out"; "empty" ]
            Cli.expectInputError (Cli.run [ "predict"; "--rigidity"; "1PV"; "--brms"; "1e-300" ]) [ "B_rms = 1E-300 µG"; "outside double precision" ]
            Cli.expectInputError (Cli.run [ "predict"; "--rho"; "0.09"; "--brms"; "3" ]) [ "--rho"; "--brms" ]
            Cli.expectInputError (Cli.run [ "simulate"; "--rho"; "0.09"; "--lc"; "3" ]) [ "--rho"; "--lc" ]
            Cli.expectInputError (Cli.run [ "predict"; "--rho"; "0.01"; "--omega-dt"; "1e-6" ]) [ "ΩΔT"; "≥ 0.001" ]
            let eta = Cli.run [ "predict"; "--rho"; "0.01"; "--lmax"; "10"; "--eta"; "0.999999" ]
            Expect.stringContains eta.Out "η = 0.999999" "η as given"
            let far = Cli.run [ "predict"; "--rho"; "100"; "--lmax"; "10" ]
            Expect.equal far.Code 0 far.Err
            Expect.stringContains far.Err "warning: k_min" "QLT outside its assumptions is said" }
        test "fit on damaged runs: the key and the file are named, binary stays off the terminal, no empty --out is left" {
            let source, _ = run 2 [ "--no-maps" ]
            let copy () =
                let d = Path.Combine(Cli.tempDir (), "c")
                for f in Directory.GetFiles(source, "*", SearchOption.AllDirectories) do
                    let t = Path.Combine(d, Path.GetRelativePath(source, f))
                    Directory.CreateDirectory(Path.GetDirectoryName t) |> ignore
                    File.Copy(f, t)
                d
            let noKey = copy ()
            let json = Path.Combine(noKey, "run.json")
            File.WriteAllText(json, File.ReadAllText(json).Replace("\"nside\"", "\"nsides\""))
            let out = Path.Combine(Cli.tempDir (), "fresh")
            Cli.expectInputError (Cli.run [ "fit"; noKey; "--out"; out ]) [ "run.json"; "\"nside\"" ]
            let binary = copy ()
            let cl = Path.Combine(binary, "realizations", "0000", "cl.csv")
            File.WriteAllBytes(cl, Array.append [| 0uy; 7uy; 27uy; 200uy; 0x1buy |] (File.ReadAllBytes cl))
            let r = Cli.run [ "fit"; binary; "--out"; out ]
            Expect.equal r.Code 2 r.Err
            Expect.isFalse (r.Err |> Seq.exists (fun c -> Char.IsControl c && c <> '\n')) "no control characters reach the terminal"
            Expect.isFalse (Directory.Exists out) "no empty --out folder left" }
        test "slurm refuses a folder holding the study cut into other shards, before writing scripts" {
            let dir = Path.Combine(Cli.tempDir (), "study")
            let study = [ "--rho"; "0.09"; "--nside"; "2"; "--realizations"; "3"; "--times"; "3"; "--lambda-min"; "2"; "--no-maps" ]
            let shard = Cli.run ([ "simulate" ] @ study @ [ "--shard"; "0/3"; "--out"; Path.Combine(dir, "shards", "0") ])
            Expect.equal shard.Code 0 shard.Err
            Cli.expectInputError (Cli.run ([ "slurm"; "--shards"; "2"; "--out"; dir; "--" ] @ study)) [ "3 shards"; "--shards 3" ]
            Expect.isFalse (Directory.Exists(Path.Combine(dir, "slurm"))) "no scripts written"
            Cli.expectInputError (Cli.run ([ "slurm"; "--shards"; "3"; "--out"; dir; "--" ] @ study @ [ "--seed"; "5" ])) [ "another study"; "seed" ] }
        test "figures: fit writes Fig. 6 for one run and Fig. 5 with --plot; simulate --plot draws Fig. 5" {
            let plot = Path.Combine(Cli.tempDir (), "fig5.png")
            let dir, _ = run 3 [ "--plot"; plot ]
            let out = Cli.tempDir ()
            let fit5 = Path.Combine(out, "fit5.png")
            let r = Cli.run [ "fit"; dir; "--lmax"; "20"; "--out"; out; "--plot"; fit5 ]
            Expect.equal r.Code 0 r.Err
            Expect.stringContains r.Err "no law" "says why Fig. 6 has no law"
            for png in [ plot; fit5; Path.Combine(out, "fig6_law.png") ] do
                let w, h, drawn, coloured = Png.ink png
                Expect.isTrue (w >= 600 && h >= 400) $"{png}: {w} × {h}, a readable size"
                Expect.isGreaterThan drawn 0.02 $"{png}: axes and text drawn"
                Expect.isGreaterThan coloured 0.0005 $"{png}: coloured data drawn" }
        test "the Python examples run on SkyMix's outputs as they are (Debian's python3; skipped where it is not installed)" {
            let python = "/usr/bin/python3"
            let ready = File.Exists python && (Cli.exec python [ "-c"; "import numpy, pandas, healpy, matplotlib" ]).Code = 0
            if not ready then
                skiptest "Debian's python3 with numpy, pandas, healpy and matplotlib is not installed (apt-get install python3-healpy python3-pandas python3-matplotlib)"
            let root = Cli.tempDir ()
            let runDir = Path.Combine(root, "runs", "example")
            // the examples' own commands, smaller: the same files, in seconds
            let sim = Cli.run [ "simulate"; "--rigidity"; "10PV"; "--realizations"; "3"; "--nside"; "4"; "--times"; "3,9,30"; "--lambda-min"; "2"; "--device"; "cpu"; "--out"; runDir ]
            Expect.equal sim.Code 0 sim.Err
            let fitDir = Path.Combine(root, "fit-example")
            let fit = Cli.run [ "fit"; runDir; "--lmax"; "20"; "--out"; fitDir ]
            Expect.equal fit.Code 0 fit.Err
            let example name args =
                let png = Path.Combine(root, name + ".png")
                let r = Cli.exec python ([ Path.Combine(Reference.repoRoot, "examples", name + ".py") ] @ args @ [ png ])
                Expect.equal r.Code 0 $"{name}.py: {r.Err}"
                Expect.stringContains r.Out $"wrote {png}" $"{name}.py says what it wrote"
                let w, h, drawn, _ = Png.ink png
                Expect.isGreaterThan (w * h) 100000 $"{name}.png has a size"
                Expect.isGreaterThan drawn 0.02 $"{name}.png is drawn"
                r.Out
            let spectrum = example "spectrum_vs_theory" [ Path.Combine(fitDir, "fit.json") ]
            use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(fitDir, "fit.json")))
            let chi2 = doc.RootElement.GetProperty("rigidities").[0].GetProperty("chi2").GetDouble()
            // the script recomputes χ² from cl.csv and fit.json's model: the two files agree
            Expect.stringContains spectrum $"chi^2 = {chi2:F2} for" "χ² from the CSV equals fit.json's"
            let map = example "map_mollview" [ Path.Combine(runDir, "realizations", "0000", "map_002.fits") ]
            Expect.stringContains map "Nside 4, 192 pixels" "healpy reads the map"
            let kzz = example "kzz_vs_qlt" [ runDir ]
            Expect.stringContains kzz "QLT: K_zz" "reads run.json and diffusion.csv" }
    ]
