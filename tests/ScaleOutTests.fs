/// Scale-out and reproducibility end to end: shards merged equal the whole run file for file, on a real
/// Slurm job array and with its background-process fallback; merge refuses what does not belong together;
/// --from repeats a run; a SIGKILL in the middle of a run and a rerun give the files of an uninterrupted run.
module SkyMix.Tests.ScaleOutTests

open System
open System.IO
open Expecto

let private study = [ "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "5"; "--times"; "2,10,30"; "--lambda-min"; "2"; "--device"; "cpu" ]

let private simulate (dir: string) (extra: string list) = Cli.run ([ "simulate" ] @ study @ extra @ [ "--out"; dir ])

/// The unsharded run, computed once for every comparison below.
let private whole =
    lazy
        (let dir = Path.Combine(Cli.tempDir (), "whole")
         let r = simulate dir []
         Expect.equal r.Code 0 r.Err
         dir)

/// Shards 0/2 and 1/2 of the study, and shard 1/2 of the same study with another seed.
let private halves =
    lazy
        (let root = Cli.tempDir ()
         let run name extra =
             let dir = Path.Combine(root, name)
             let r = simulate dir extra
             Expect.equal r.Code 0 r.Err
             dir
         run "s0" [ "--shard"; "0/2" ], run "s1" [ "--shard"; "1/2" ], run "other" [ "--shard"; "1/2"; "--seed"; "2" ])

let private slurmUp () =
    try
        let r = Cli.exec "sinfo" [ "-h"; "-o"; "%T" ]
        r.Code = 0 && r.Out.Split('\n') |> Array.exists (fun s -> s.Trim() = "idle" || s.Trim() = "mixed")
    with _ -> false

/// skymix slurm for the study into a fresh folder; returns the folder.
let private slurmScripts (shards: int) =
    let dir = Path.Combine(Cli.tempDir (), "study")
    let r = Cli.run ([ "slurm"; "--shards"; string shards; "--out"; dir; "--time"; "10:00"; "--" ] @ study)
    Expect.equal r.Code 0 r.Err
    for f in [ "simulate.sbatch"; "merge.sbatch"; "submit.sh"; "run-local.sh" ] do
        Expect.isTrue (File.Exists(Path.Combine(dir, "slurm", f))) $"slurm/{f} written"
    let array = File.ReadAllText(Path.Combine(dir, "slurm", "simulate.sbatch"))
    Expect.stringContains array $"#SBATCH --array=0-{shards - 1}" "a job array of one task per shard"
    Expect.stringContains array "#SBATCH --time=10:00" "the time limit"
    Expect.stringContains (File.ReadAllText(Path.Combine(dir, "slurm", "submit.sh"))) "--dependency=afterok:" "the merge waits for the whole array"
    dir

let tests =
    testList "scale-out and reproducibility" [
        test "three shards run as concurrent processes and merged equal the unsharded run, file for file" {
            let root = Cli.tempDir ()
            let results = [| 0..2 |] |> Array.Parallel.map (fun i -> simulate (Path.Combine(root, $"s{i}")) [ "--shard"; $"{i}/3" ])
            for r in results do Expect.equal r.Code 0 r.Err
            Expect.isFalse (File.Exists(Path.Combine(root, "s0", "cl.csv"))) "a shard writes no ensemble files"
            let merged = Path.Combine(root, "merged")
            let m = Cli.run [ "merge"; Path.Combine(root, "s0"); Path.Combine(root, "s1"); Path.Combine(root, "s2"); "--out"; merged ]
            Expect.equal m.Code 0 m.Err
            Cli.expectSameRun whole.Value merged "merged shards"
            use run = Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "run.json")))
            Expect.equal (run.RootElement.GetProperty("execution").GetProperty("merged_from").GetArrayLength()) 3 "run.json names the shards" }
        test "skymix slurm on a real single-node Slurm: the job array, then the dependent merge, equal the unsharded run" {
            if not (slurmUp ()) then
                skiptest "no Slurm node is up (.ci/run starts one with .ci/slurm-up when it can; the run-local.sh test covers the same scripts)"
            let dir = slurmScripts 3
            let r = Cli.exec (Path.Combine(dir, "slurm", "submit.sh")) [ "--wait" ]
            Expect.equal r.Code 0 $"submit.sh --wait: {r.Out} {r.Err}"
            Expect.stringContains r.Out "submitted job array" "submission reported"
            Cli.expectSameRun whole.Value dir "Slurm array + merge" }
        test "without Slurm, run-local.sh runs the same array tasks as background processes and merges: equal to the unsharded run" {
            let dir = slurmScripts 2
            let r = Cli.exec "bash" [ Path.Combine(dir, "slurm", "run-local.sh") ]
            Expect.equal r.Code 0 $"run-local.sh: {r.Out} {r.Err}"
            Cli.expectSameRun whole.Value dir "run-local.sh + merge" }
        test "merge refuses a missing realisation, a realisation twice, another study, a tampered seed and its own output" {
            let s0, s1, other = halves.Value
            let out () = Path.Combine(Cli.tempDir (), "m")
            Cli.expectInputError (Cli.run [ "merge"; s0; "--out"; out () ]) [ "realisations 1,3"; "missing"; "mod 2" ]
            Cli.expectInputError (Cli.run [ "merge"; s0; s1; s0 + "/"; "--out"; out () ]) [ "given twice" ]
            Cli.expectInputError (Cli.run [ "merge"; s0; other; "--out"; out () ]) [ "another study"; "seed" ]
            Cli.expectInputError (Cli.run [ "merge"; s0; s1; "--out"; s1 ]) [ "one of the folders to merge" ]
            Cli.expectInputError (Cli.run [ "merge"; s0; Cli.tempDir (); "--out"; out () ]) [ "not a SkyMix run folder" ]
            // a realisation folder copied in from another seed
            let tampered = Path.Combine(Cli.tempDir (), "t")
            for f in Directory.GetFiles(s1, "*", SearchOption.AllDirectories) do
                let target = Path.Combine(tampered, Path.GetRelativePath(s1, f))
                Directory.CreateDirectory(Path.GetDirectoryName target) |> ignore
                File.Copy(f, target)
            let json = Path.Combine(tampered, "realizations", "0001", "realization.json")
            let seed = Path.Combine(other, "realizations", "0001", "realization.json")
            File.Copy(seed, json, true)
            Cli.expectInputError (Cli.run [ "merge"; s0; tampered; "--out"; out () ]) [ "0001"; "has seed"; "another study" ]
            // a shard cannot be fitted, nor resumed as another shard
            Cli.expectInputError (Cli.run [ "fit"; s0; "--out"; Cli.tempDir () ]) [ "shard 0/2"; "skymix merge" ]
            Cli.expectInputError (simulate s0 [ "--shard"; "1/2" ]) [ "holds shard 0/2" ] }
        test "simulate --from DIR/run.json repeats the run exactly; other settings cannot be mixed in" {
            let again = Path.Combine(Cli.tempDir (), "again")
            let r = Cli.run [ "simulate"; "--from"; Path.Combine(whole.Value, "run.json"); "--out"; again ]
            Expect.equal r.Code 0 r.Err
            Cli.expectSameRun whole.Value again "--from"
            Cli.expectInputError (Cli.run [ "simulate"; "--from"; Path.Combine(whole.Value, "run.json"); "--nside"; "8"; "--out"; again ]) [ "--nside"; "--from" ]
            Cli.expectInputError (Cli.run [ "simulate"; "--from"; Path.Combine(whole.Value, "cl.csv"); "--out"; again ]) [ "cl.csv"; "run.json" ] }
        test "SIGKILL in the middle of a run, then the same command: the files of an uninterrupted run, no temporary left" {
            // about 0.6 s per realisation on 2 cores: long enough to be killed between realisations
            let args = [ "simulate"; "--rho"; "0.09"; "--nside"; "16"; "--realizations"; "3"; "--times"; "log:1:3000:6"; "--lambda-min"; "2"; "--device"; "cpu" ]
            let root = Cli.tempDir ()
            let a, b = Path.Combine(root, "a"), Path.Combine(root, "b")
            let r = Cli.run (args @ [ "--out"; a ])
            Expect.equal r.Code 0 r.Err
            let p = Cli.start (args @ [ "--out"; b ])
            let first = Path.Combine(b, "realizations", "0000")
            let clock = Diagnostics.Stopwatch.StartNew()
            while not (Directory.Exists first) && not p.HasExited && clock.Elapsed.TotalSeconds < 120.0 do
                Threading.Thread.Sleep 20
            Expect.isFalse p.HasExited "the run was still going when it was killed"
            p.Kill()
            p.WaitForExit()
            let finished = Directory.GetDirectories(Path.Combine(b, "realizations")) |> Array.filter (fun d -> not (Path.GetFileName(d).StartsWith ".")) |> Array.length
            Expect.isLessThan finished 3 "killed before the end (some realisations still to do)"
            let again = Cli.run (args @ [ "--out"; b ])
            Expect.equal again.Code 0 again.Err
            Cli.expectSameRun a b "killed and resumed"
            let leftovers = Directory.GetFileSystemEntries(b, "*", SearchOption.AllDirectories) |> Array.filter (fun f -> Path.GetFileName(f).StartsWith ".")
            Expect.isEmpty leftovers "no temporary files or folders left" }
    ]
