/// First contact, round 3 (issue 20): nothing lost, no wrong number, every record true. One test per defect of the
/// red-team round, each failing on the code before it.
module SkyMix.Tests.FirstContact3Tests

open System
open System.IO
open System.Text.Json
open Expecto
open SkyMix.Runs

/// A run of `n` realisations (Nside 4) in dir/name, with extra simulate options.
let private simulate (dir: string) (name: string) (n: int) (extra: string list) =
    let out = Path.Combine(dir, name)
    let r = Cli.run ([ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; string n; "--times"; "3,9"; "--lambda-min"; "2"; "--device"; "cpu"; "--out"; out ] @ extra)
    Expect.equal r.Code 0 r.Err
    out, r

/// The two shards of a 4-realisation study in dir/shA and dir/shB.
let private shards (dir: string) =
    let a, _ = simulate dir "shA" 4 [ "--shard"; "0/2" ]
    let b, _ = simulate dir "shB" 4 [ "--shard"; "1/2" ]
    a, b

let private execution (dir: string) =
    use doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))
    doc.RootElement.GetProperty("execution").Clone()

let private predict = [ "predict"; "--rho"; "0.09"; "--lmax"; "10" ]

let tests =
    testList "first contact round 3" [
        test "1. merge --out through a link to an input is refused; the shard is untouched" {
            let dir = Cli.tempDir ()
            let a, b = shards dir
            let link = Path.Combine(dir, "lnA")
            File.CreateSymbolicLink(link, a) |> ignore
            let before = File.ReadAllBytes(Path.Combine(a, "run.json"))
            Cli.expectInputError (Cli.run [ "merge"; a; b; "--out"; link ]) [ "--out"; "one of the folders to merge" ]
            Expect.equal (File.ReadAllBytes(Path.Combine(a, "run.json"))) before "the shard's record is unchanged"
            Expect.isFalse (File.Exists(Path.Combine(a, "cl.csv"))) "no ensemble written into the shard" }
        test "2. simulate and merge refuse a non-empty folder that is not a run folder; the user's files stay" {
            let dir = Cli.tempDir ()
            let a, b = shards dir
            let mine = Path.Combine(dir, "mine")
            Directory.CreateDirectory mine |> ignore
            File.WriteAllText(Path.Combine(mine, "cl.csv"), "my own\n")
            Cli.expectInputError (Cli.run [ "merge"; a; b; "--out"; mine ]) [ "not a SkyMix run folder"; "cl.csv" ]
            Cli.expectInputError (Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "1"; "--times"; "3"; "--out"; mine ]) [ "not a SkyMix run folder" ]
            Expect.equal (File.ReadAllText(Path.Combine(mine, "cl.csv"))) "my own\n" "the user's file is untouched"
            Expect.sequenceEqual (Directory.GetFileSystemEntries mine) [| Path.Combine(mine, "cl.csv") |] "nothing added" }
        test "3. a truncated or missing sky map is caught by merge and by resume" {
            let dir = Cli.tempDir ()
            let a, b = shards dir
            let map = Path.Combine(b, "realizations", "0001", RunFolder.MapFile 0)
            File.WriteAllBytes(map, File.ReadAllBytes(map)[.. 999])
            Cli.expectInputError (Cli.run [ "merge"; a; b; "--out"; Path.Combine(dir, "m") ]) [ "map_000.fits"; "1000 bytes" ]
            Expect.isFalse (Directory.Exists(Path.Combine(dir, "m"))) "no merged folder"
            let resume = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "4"; "--times"; "3,9"; "--lambda-min"; "2"; "--device"; "cpu"; "--shard"; "1/2"; "--out"; b ]
            Cli.expectInputError resume [ "0001"; "map_000.fits" ]
            File.Delete map
            Cli.expectInputError (Cli.run [ "merge"; a; b; "--out"; Path.Combine(dir, "m") ]) [ "map_000.fits"; "missing" ] }
        test "4. a read-only output is refused (even as root); a replaced file keeps its mode" {
            let dir = Cli.tempDir ()
            let ro = Path.Combine(dir, "ro.csv")
            File.WriteAllText(ro, "old\n")
            File.SetUnixFileMode(ro, UnixFileMode.UserRead ||| UnixFileMode.GroupRead ||| UnixFileMode.OtherRead)
            Cli.expectInputError (Cli.run (predict @ [ "--out"; ro ])) [ "--out"; "read-only" ]
            Expect.equal (File.ReadAllText ro) "old\n" "untouched"
            let secret = Path.Combine(dir, "p.csv")
            File.WriteAllText(secret, "old\n")
            File.SetUnixFileMode(secret, UnixFileMode.UserRead ||| UnixFileMode.UserWrite)
            let r = Cli.run (predict @ [ "--out"; secret ])
            Expect.equal r.Code 0 r.Err
            Expect.stringStarts (File.ReadAllText secret) "rho,l," "replaced"
            Expect.equal (File.GetUnixFileMode secret) (UnixFileMode.UserRead ||| UnixFileMode.UserWrite) "mode 600 kept" }
        test "5. outputs are all or none: a failing --json or --plot leaves every file as it was" {
            let dir = Cli.tempDir ()
            let pre = Path.Combine(dir, "pre.csv")
            File.WriteAllText(pre, "old\n")
            let r = Cli.run (predict @ [ "--out"; pre; "--json"; "/dev/full" ])
            Expect.notEqual r.Code 0 "a full device fails the command"
            Expect.equal (File.ReadAllText pre) "old\n" "pre.csv is the old file"
            let r = Cli.run (predict @ [ "--times"; "3"; "--out"; Path.Combine(dir, "t.csv"); "--plot"; "/dev/full" ])
            Expect.notEqual r.Code 0 "fails"
            Expect.sequenceEqual (Directory.GetFileSystemEntries dir) [| pre |] "no new file, no temporary" }
        test "6. a law ΩΔT below the floor is refused, as is --a with --omega-dt" {
            Cli.expectInputError (Cli.run [ "predict"; "--a"; "1e-5" ]) [ "ΩΔT"; "below the floor 0.001"; "--a" ]
            Cli.expectInputError (Cli.run [ "predict"; "--a"; "1e-300" ]) [ "below the floor" ]
            Cli.expectInputError (Cli.run [ "predict"; "--a"; "3"; "--omega-dt"; "20" ]) [ "--omega-dt or --a, not both" ] }
        test "7. reproduce refuses --realizations 0, −1 and --nside 0 instead of running the preset" {
            let dir = Cli.tempDir ()
            for args, fragment in [ [ "--realizations"; "0" ], "--realizations 0"; [ "--realizations"; "-1" ], "--realizations -1"; [ "--nside"; "0" ], "--nside 0" ] do
                Cli.expectInputError (Cli.run ([ "reproduce"; "--out"; Path.Combine(dir, "r") ] @ args)) [ fragment ]
            Expect.isEmpty (Directory.GetFileSystemEntries dir) "nothing started" }
        test "8. a run.json whose settings were edited after the run is refused by fit" {
            let dir = Cli.tempDir ()
            let run, _ = simulate dir "r" 2 []
            let file = Path.Combine(run, "run.json")
            File.WriteAllText(file, File.ReadAllText(file).Replace("\"eta\": 0.5", "\"eta\": 0.3"))
            Cli.expectInputError (Cli.run [ "fit"; run; "--out"; Path.Combine(dir, "f") ]) [ "edited"; "k_min" ] }
        test "9. realisation files out of range or with a changed seed are refused by fit and by resume" {
            let dir = Cli.tempDir ()
            let run, _ = simulate dir "r" 2 []
            let json = Path.Combine(run, "realizations", "0000", "realization.json")
            let original = File.ReadAllText json
            let edit (f: Nodes.JsonNode -> unit) =
                let node = Nodes.JsonNode.Parse original
                f node
                File.WriteAllText(json, node.ToJsonString())
            edit (fun n -> n["cos_alpha"] <- Nodes.JsonValue.Create 7.5)
            Cli.expectInputError (Cli.run [ "fit"; run; "--out"; Path.Combine(dir, "f") ]) [ "cos_alpha = 7.5" ]
            edit (fun n -> n["seed"] <- Nodes.JsonValue.Create(string (UInt64.Parse(string n["seed"]) + 1UL)))
            Cli.expectInputError (Cli.run [ "fit"; run; "--out"; Path.Combine(dir, "f") ]) [ "seed"; "another study" ]
            let resume = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "2"; "--times"; "3,9"; "--lambda-min"; "2"; "--device"; "cpu"; "--out"; run ]
            Cli.expectInputError resume [ "seed" ] }
        test "10. output times that round to one step are refused" {
            Cli.expectInputError (Cli.run [ "simulate"; "--times"; "0.001,0.002,0.07"; "--out"; Path.Combine(Cli.tempDir (), "r") ]) [ "both round to 1 step"; "one step apart" ] }
        test "11. fit --plot - writes the PNG alone to standard output, the tables to standard error" {
            let dir = Cli.tempDir ()
            let run, _ = simulate dir "r" 3 []
            let r = Cli.run [ "fit"; run; "--lmax"; "20"; "--out"; Path.Combine(dir, "f"); "--plot"; "-" ]
            Expect.equal r.Code 0 r.Err
            Expect.equal (r.Out.Substring(1, 3)) "PNG" "standard output is the PNG"
            Expect.isFalse (r.Out.Contains "ΩΔT per rigidity") "and nothing else"
            Expect.stringContains r.Err "ΩΔT per rigidity" "the table went to standard error" }
        test "12. run.json records what computed each realisation; a rerun keeps it; --threads above the cores warns" {
            let dir = Cli.tempDir ()
            let args threads = [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "2"; "--times"; "3,9"; "--lambda-min"; "2"; "--device"; "cpu"; "--threads"; threads; "--out"; Path.Combine(dir, "r") ]
            Expect.equal (Cli.run (args "2")).Code 0 "first run"
            Directory.Delete(Path.Combine(dir, "r", "realizations", "0001"), true)
            Expect.equal (Cli.run (args "1")).Code 0 "resume with one thread"
            let x = execution (Path.Combine(dir, "r"))
            let threads = [ for r in x.GetProperty("realizations").EnumerateArray() -> r.GetProperty("realization").GetInt32(), r.GetProperty("threads").GetInt32() ]
            Expect.sequenceEqual threads [ 0, 2; 1, 1 ] "each realisation with the threads that computed it"
            let seconds = x.GetProperty("seconds").GetDouble()
            let sum = x.GetProperty("realizations").EnumerateArray() |> Seq.sumBy (fun r -> r.GetProperty("seconds").GetDouble())
            Expect.floatClose Accuracy.high seconds sum "seconds sums every session"
            let again = Cli.run (args "1")
            Expect.equal again.Code 0 again.Err
            Expect.equal ((execution (Path.Combine(dir, "r"))).GetProperty("seconds").GetDouble()) seconds "a complete rerun keeps the record"
            let many = Cli.run (args "64")
            Expect.stringContains many.Err $"--threads 64 is more than the {Environment.ProcessorCount} cores" "warns" }
        test "13. an empty --out, a non-finite propagator and a loop of links are one line with exit 2, nothing written" {
            Cli.expectInputError (Cli.run [ "simulate"; "--out"; "" ]) [ "--out is empty" ]
            Cli.expectInputError (Cli.run [ "matrix"; "--rho"; "1e-300"; "--omega-dt"; "1"; "--l0"; "1" ]) [ "k_max"; "k_min" ]
            let dir = Cli.tempDir ()
            let loop = Path.Combine(dir, "loop")
            File.CreateSymbolicLink(loop, loop) |> ignore
            Cli.expectInputError (Cli.run (predict @ [ "--out"; loop ])) [ "loop of symbolic links" ]
            Cli.expectInputError (Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "1"; "--times"; "3"; "--out"; loop ]) [ "loop of symbolic links" ] }
        test "14. slurm refuses --sbatch options that clash with the ones it writes" {
            let dir = Cli.tempDir ()
            for opt, fragment in [ "--sbatch=--array=0-99", "--array"; "--sbatch=--output=x.log", "--output"; "--sbatch=--time=5", "skymix slurm --time" ] do
                Cli.expectInputError (Cli.run [ "slurm"; "--shards"; "2"; "--out"; Path.Combine(dir, "s"); opt; "--"; "--rho"; "0.09" ]) [ fragment ]
            Expect.isEmpty (Directory.GetFileSystemEntries dir) "no scripts" }
        test "15. long work is costed first: refused when it cannot finish, tiny ρ no longer stalls in the local-field average" {
            let p, err = Cli.startWatched [ "predict"; "--rho"; "0.009"; "--omega-dt"; "1e4"; "--lmax"; "10" ]
            let clock = Diagnostics.Stopwatch.StartNew()
            while not ((lock err (fun () -> string err)).Contains "W = ⅔Λ₀ − ⅓Λ₂:") && not p.HasExited && clock.Elapsed.TotalSeconds < 60.0 do
                Threading.Thread.Sleep 20
            p.Kill()
            p.WaitForExit()
            Expect.stringContains (lock err (fun () -> string err)) "takes about 3 min" "ΩΔT = 1e4: the time of W is estimated before it starts (measured: 2.1 s at 1e3, ×100)"
            Cli.expectInputError (Cli.run [ "predict"; "--rho"; "0.009"; "--kmax"; "1e308" ]) [ "20 decades" ]
            let dir = Cli.tempDir ()
            let p = Cli.start [ "simulate"; "--rigidity"; "0.001GV"; "--nside"; "1"; "--realizations"; "1"; "--times"; "10"; "--device"; "cpu"; "--out"; Path.Combine(dir, "r") ]
            let finished = p.WaitForExit 60000
            if not finished then p.Kill()
            Expect.isTrue finished "a 0.001 GV realisation (L_c/30 spans millions of grid periods) finishes within a minute"
            Expect.equal p.ExitCode 0 "and succeeds" }
        test "16. messages name the real problem" {
            Cli.expectInputError (Cli.run [ "simulate"; "--rho"; "nan" ]) [ "--rho 'nan'"; "finite" ]
            Cli.expectInputError (Cli.run [ "predict"; "--eta"; "inf" ]) [ "--eta 'inf'"; "finite" ]
            Cli.expectInputError (Cli.run [ "predict"; "--rho"; "1e308" ]) [ "k_min"; "overflows" ]
            Cli.expectInputError (Cli.run [ "matrix"; "--rho"; "0.01"; "--omega-dt"; "1"; "--l0"; "5000" ]) [ "--l0 5000"; "0 … 4000" ]
            Cli.expectInputError (Cli.run [ "simulate"; "--seed"; "-1" ]) [ "--seed '-1'"; "18446744073709551615" ]
            Cli.expectInputError (Cli.run [ "predict"; "--rigidity"; "10EV" ]) [ "unit 'EV'" ]
            Cli.expectInputError (Cli.run [ "matrix"; "--rho"; "0.01"; "--omega-dt"; "1,1"; "--l0"; "1" ]) [ "each ΩΔT once" ]
            let w = Cli.run [ "predict"; "--rho"; "0.01"; "--eta"; "0.999999"; "--lmax"; "10" ]
            Expect.stringContains w.Err "close to 1" "the η warning blames η"
            let t = Cli.run [ "predict"; "--rho"; "0.09"; "--tol"; "0.999"; "--lout"; "10" ]
            Expect.stringContains t.Out "converged to 0.999" "the tolerance as given" }
        test "17. --flag=value and -h are accepted" {
            let r = Cli.run [ "predict"; "--rho=0.09"; "--lmax=10" ]
            Expect.equal r.Code 0 r.Err
            Expect.stringContains r.Out "ℓ_max = 10" "the values were read"
            let h = Cli.run [ "predict"; "-h" ]
            Expect.equal h.Code 0 h.Err
            Expect.stringContains h.Out "USAGE: skymix predict" "help" }
        test "18. a missing folder on the way to an output is created, and named, by every command" {
            let dir = Cli.tempDir ()
            let r = Cli.run (predict @ [ "--out"; Path.Combine(dir, "a", "b", "p.csv") ])
            Expect.equal r.Code 0 r.Err
            Expect.isTrue (File.Exists(Path.Combine(dir, "a", "b", "p.csv"))) "predict made a/b"
            Expect.stringContains r.Err "created folder" "and said so"
            let run, s = simulate dir (Path.Combine("c", "run")) 2 []
            Expect.isTrue (File.Exists(Path.Combine(run, "run.json"))) "simulate made c/run"
            Expect.stringContains s.Err "created folder" "and said so" }
        test "19. SIGTERM stops simulate as Ctrl-C does: exit 143, a message, no lock left" {
            let dir = Path.Combine(Cli.tempDir (), "r")
            let p, err = Cli.startWatched [ "simulate"; "--rho"; "0.09"; "--nside"; "16"; "--realizations"; "50"; "--times"; "log:1:10000:6"; "--lambda-min"; "2"; "--device"; "cpu"; "--out"; dir ]
            let clock = Diagnostics.Stopwatch.StartNew()
            while not (File.Exists(Path.Combine(dir, "run.json"))) && not p.HasExited && clock.Elapsed.TotalSeconds < 60.0 do
                Threading.Thread.Sleep 20
            Expect.equal (Cli.exec "kill" [ "-TERM"; string p.Id ]).Code 0 "kill -TERM"
            Expect.isTrue (p.WaitForExit 20000) "stopped"
            Expect.equal p.ExitCode 143 "exit code 143"
            p.WaitForExit()
            Expect.stringContains (lock err (fun () -> string err)) "terminated (SIGTERM)" "says so"
            Expect.isFalse (File.Exists(Path.Combine(dir, ".lock"))) "no lock left" }
        test "20. --from a shard's run.json repeats that shard; an interrupted merge is named as such" {
            let dir = Cli.tempDir ()
            let a, b = shards dir
            let again = Path.Combine(dir, "again")
            let r = Cli.run [ "simulate"; "--from"; Path.Combine(a, "run.json"); "--out"; again ]
            Expect.equal r.Code 0 r.Err
            Expect.sequenceEqual (RunFolder.Finished again) [| 0; 2 |] "only the shard's realisations"
            let merged = Path.Combine(dir, "m")
            Directory.CreateDirectory(Path.Combine(merged, "realizations")) |> ignore
            File.WriteAllText(Path.Combine(merged, RunFolder.MergeMarker), "")
            Cli.expectInputError (Cli.run [ "fit"; merged; "--out"; Path.Combine(dir, "f") ]) [ "interrupted merge"; "rerun" ]
            let m = Cli.run [ "merge"; a; b; "--out"; merged ]
            Expect.equal m.Code 0 m.Err
            Expect.isFalse (File.Exists(Path.Combine(merged, RunFolder.MergeMarker))) "the rerun completes it" }
        test "21. predict reports one short labelled line per solve" {
            let r = Cli.run [ "predict"; "--rho"; "0.09" ]
            Expect.equal r.Code 0 r.Err
            let lines = r.Err.Trim().Split('\n')
            Expect.isTrue (lines |> Array.exists (fun l -> l.Contains "paper's truncation ℓ_max = 100 (absorbing)")) "the paper's truncation is named"
            Expect.isTrue (lines |> Array.exists (fun l -> l.Contains "limit ℓ_max → ∞: ℓ_max = 200 (zero flux)")) "the limit's solves are named"
            for l in lines do Expect.isLessThan l.Length 100 $"short: {l}" }
        test "22. cl warns above 3·Nside − 1; predict's table explains its index and prints no 0.000" {
            let dir = Cli.tempDir ()
            let map = Path.Combine(dir, "m.csv")
            File.WriteAllLines(map, Seq.append [ "ipix,f" ] [ for p in 0..47 -> $"{p},{sin (float p)}" ])
            let c = Cli.run [ "cl"; map; "--lmax"; "8" ]
            Expect.equal c.Code 0 c.Err
            Expect.stringContains c.Err "exceeds 3·Nside − 1 = 5" "warns as healpy does"
            let p = Cli.run [ "predict"; "--rho"; "2"; "--lmax"; "40" ]
            Expect.stringContains p.Out "C_ℓ ∝ ℓ^index" "the index is explained"
            Expect.isFalse (p.Out.Contains " 0.000 ") "no value prints as 0.000" }
    ]
