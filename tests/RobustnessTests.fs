/// Input that cannot break a run: every command with unknown options, invalid values, outputs that are files,
/// read-only or full, and damaged inputs — one clear line, exit code 2 (bad input) or 1 (failed run), and no
/// half-written file.
module SkyMix.Tests.RobustnessTests

open System
open System.IO
open Expecto
open SkyMix.Runs

/// A finished tiny run folder to damage (copied per test).
let private tinyRun =
    lazy
        (let dir = Path.Combine(Cli.tempDir (), "run")
         let r = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "2"; "--realizations"; "2"; "--times"; "3,9"; "--lambda-min"; "2"; "--out"; dir ]
         Expect.equal r.Code 0 r.Err
         dir)

/// A finished run folder with a single realisation (too few to fit).
let private oneRealisation =
    lazy
        (let dir = Path.Combine(Cli.tempDir (), "one")
         let r = Cli.run [ "simulate"; "--rho"; "0.09"; "--nside"; "2"; "--realizations"; "1"; "--times"; "3,9"; "--lambda-min"; "2"; "--no-maps"; "--out"; dir ]
         Expect.equal r.Code 0 r.Err
         dir, r.Out)

let private copyOf (dir: string) =
    let target = Path.Combine(Cli.tempDir (), "copy")
    for f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories) do
        let t = Path.Combine(target, Path.GetRelativePath(dir, f))
        Directory.CreateDirectory(Path.GetDirectoryName t) |> ignore
        File.Copy(f, t)
    target

let private csvMap (dir: string) =
    let f = Path.Combine(dir, "map.csv")
    File.WriteAllLines(f, Seq.append [ "ipix,f" ] [ for p in 0..47 -> $"{p},{sin (float p)}" ])
    f

/// Every file and folder under dir whose name marks it temporary or half-written.
let private leftovers (dir: string) =
    Directory.GetFileSystemEntries(dir, "*", SearchOption.AllDirectories)
    |> Array.filter (fun f -> let n = Path.GetFileName f in n.StartsWith "." || n.EndsWith ".tmp")

/// Mounts a tmpfs with the given options on a fresh folder for the body, or skips the test when this
/// machine does not allow it (mounting needs root).
let private withTmpfs (options: string) (body: string -> unit) =
    let dir = Cli.tempDir ()
    let mounted = try (Cli.exec "mount" [ "-t"; "tmpfs"; "-o"; options; "tmpfs"; dir ]).Code = 0 with _ -> false
    if not mounted then skiptest $"cannot mount a tmpfs ({options}) here; needs root"
    try body dir
    finally Cli.exec "umount" [ dir ] |> ignore

let private small = [ "--rho"; "0.09"; "--nside"; "4"; "--realizations"; "2"; "--times"; "3,9"; "--lambda-min"; "2" ]

let tests =
    testList "input that cannot break a run" [
        for command, rest in [ "predict", []; "simulate", []; "fit", []; "reproduce", []; "cl", []; "merge", [ "--out"; "x" ]; "slurm", [] ] do
            test $"skymix {command} --bogus → exit 2, one line pointing to skymix {command} --help" {
                Cli.expectInputError (Cli.run ([ command; "--bogus" ] @ rest)) [ "--bogus"; $"skymix {command} --help" ] }
        for args, fragment in
            [ [ "cl"; "MAP"; "--lmax"; "100000000" ], "8·Nside"
              [ "cl"; "MAP"; "--iter"; "-1" ], "iter must lie in 0 … 1000"
              [ "predict"; "--q"; "1.99" ], "(0, 1.95]"
              [ "predict"; "--omega-dt"; "1e6" ], "k nodes for the κ quadrature"
              [ "predict"; "--eta"; "nan" ], "not a finite number"
              [ "predict"; "--rigidity"; "10 TeV" ], "unknown rigidity unit"
              [ "predict"; "--rigidity"; "" ], "is empty"
              [ "predict"; "--rigidity"; "10TV," ], "empty item"
              [ "predict"; "--rigidity"; "-1PV" ], "'-1PV' must be positive"
              [ "predict"; "--rigidity"; "1PV"; "--brms"; "0" ], "--brms must be a positive field in µG, got 0"
              [ "simulate"; "--rigidity"; "1PV"; "--brms"; "-4" ], "--brms must be a positive field in µG, got -4"
              [ "matrix"; "--rigidity"; "1PV"; "--brms"; "0"; "--omega-dt"; "1"; "--l0"; "1" ], "--brms must be a positive field in µG, got 0"
              [ "predict"; "--rigidity"; "1PV"; "--lc"; "-30" ], "--lc must be a positive length in pc, got -30"
              [ "simulate"; "--rigidity"; "1PV"; "--lc"; "0" ], "--lc must be a positive length in pc, got 0"
              [ "matrix"; "--rigidity"; "1PV"; "--lc"; "-1"; "--omega-dt"; "1"; "--l0"; "1" ], "--lc must be a positive length in pc, got -1"
              [ "simulate"; "--rigidity"; "1PV"; "--brms"; "1e-300" ], "B_rms = 1E-300 µG over L_c = 30 pc is Infinity, outside double precision"
              [ "matrix"; "--rigidity"; "1PV"; "--brms"; "1e-300"; "--omega-dt"; "1"; "--l0"; "1" ], "B_rms = 1E-300 µG over L_c = 30 pc is Infinity, outside double precision"
              [ "predict"; "--eta"; "0.5"; "--eta"; "0.6" ], "--eta is given more than once"
              [ "predict"; "--rho"; "1e300" ], "lower ρ or raise k_max"
              [ "simulate"; "--lambda-min"; "10"; "--kmax"; "50" ], "not both"
              [ "simulate"; "--realizations"; "100000000" ], "1 … 100000"
              [ "simulate"; "--shard"; "3/2" ], "0 ≤ I < N"
              [ "simulate"; "--shard"; "1/9"; "--realizations"; "4" ], "at most 4"
              [ "simulate"; "--threads"; "-2" ], "--threads"
              [ "simulate"; "--from"; "RUNJSON"; "--seed"; "3" ], "--seed cannot be given with it"
              [ "fit"; "RUN"; "--lmax"; "2" ], "4 … 4000"
              [ "fit"; "RUN"; "RUN" ], "given twice"
              [ "fit"; "RUN"; "--lfit"; "0" ], "--lfit must be ≥ 3"
              [ "fit"; "RUN"; "--lfit"; "1000" ], "3·Nside − 1 = 5"
              [ "fit"; "RUN"; "--time"; "-3" ], "--time must be a positive ΩT"
              [ "fit"; "RUN"; "ONE"; "--out"; "OUT" ], "needs at least 2"
              [ "reproduce"; "--realizations"; "1" ], "at least 2 realisations"
              [ "reproduce"; "--rigidity"; "1PV" ], "at least two rigidities"
              [ "slurm"; "--shards"; "0"; "--out"; "OUT" ], "at least 1"
              [ "slurm"; "--shards"; "2"; "--out"; "OUT"; "--time"; "soon" ], "H:MM:SS"
              [ "slurm"; "--shards"; "2"; "--out"; "OUT"; "--partition"; "a;reboot" ], "letters, digits"
              [ "slurm"; "--shards"; "2"; "--out"; "OUT"; "--sbatch=--qos=$(id)" ], "one sbatch option"
              [ "slurm"; "--shards"; "2"; "--out"; "OUT"; "--"; "--out"; "x" ], "not to the simulate options"
              [ "predict"; "--"; "--rho"; "1" ], "only used by skymix slurm" ] do
            test $"""{String.Join(' ', args)} → exit 2, one line naming the rule""" {
                let dir = Cli.tempDir ()
                let resolve a =
                    match a with
                    | "MAP" -> csvMap dir
                    | "RUN" -> tinyRun.Value
                    | "RUNJSON" -> Path.Combine(tinyRun.Value, "run.json")
                    | "ONE" -> fst oneRealisation.Value
                    | "OUT" -> Path.Combine(dir, "out")
                    | a -> a
                let args = args |> List.map resolve
                let args = if List.head args = "simulate" && not (List.contains "--from" args) then args @ [ "--out"; Path.Combine(dir, "r") ] else args
                Cli.expectInputError (Cli.runIn dir args) [ fragment ]
                Expect.isEmpty (Directory.GetFileSystemEntries dir |> Array.filter (fun f -> not (f.EndsWith "map.csv"))) "nothing written" }
        test "a single realisation: the error columns are empty (missing, not zero) and the summary says why" {
            let dir, out = oneRealisation.Value
            Expect.stringContains out "a jackknife needs at least 2" "summary"
            let rows (file: string) = File.ReadAllLines(Path.Combine(dir, file)) |> Array.map (fun l -> l.Split ',')
            let cl, diffusion = rows "cl.csv", rows "diffusion.csv"
            for column in [ "err"; "ratio_err" ] do
                let k = Array.IndexOf(cl.[0], column)
                Expect.isTrue (cl.[1..] |> Array.forall (fun r -> r.[k] = "")) $"cl.csv {column} empty"
            for column in [ "dz2_err"; "kzz_err" ] do
                let k = Array.IndexOf(diffusion.[0], column)
                Expect.isTrue (diffusion.[1..] |> Array.forall (fun r -> r.[k] = "")) $"diffusion.csv {column} empty"
            Expect.isTrue (cl.[1..] |> Array.forall (fun r -> r.[4] <> "")) "cl_sub written" }
        test "simulate --device cuda without an NVIDIA GPU → exit 2 before the run folder is made" {
            let out = Path.Combine(Cli.tempDir (), "r")
            let r = Cli.run ([ "simulate" ] @ small @ [ "--no-maps"; "--device"; "cuda"; "--out"; out ])
            if r.Code = 0 then skiptest "an NVIDIA GPU is present here"
            Cli.expectInputError r [ "no NVIDIA GPU" ]
            Expect.isFalse (Directory.Exists out) "no run folder" }
        test "an --out that is a file, or whose path runs through a file → exit 2 for every writing command" {
            let dir = Cli.tempDir ()
            let file = csvMap dir
            let through = Path.Combine(file, "such", "x.csv")
            for args, fragment in
                [ [ "predict"; "--rho"; "0.09"; "--lmax"; "10"; "--out"; through ], "is a file, not a folder"
                  [ "predict"; "--rho"; "0.09"; "--lmax"; "10"; "--json"; dir ], "is a folder"
                  [ "cl"; file; "--out"; dir ], "is a folder"
                  [ "simulate"; "--out"; file ], "is a file"
                  [ "fit"; tinyRun.Value; "--out"; file ], "is a file"
                  [ "reproduce"; "--out"; file ], "is a file"
                  [ "merge"; tinyRun.Value; "--out"; file ], "is a file"
                  [ "slurm"; "--shards"; "2"; "--out"; file ], "is a file" ] do
                Cli.expectInputError (Cli.run args) [ fragment ] }
        test "a read-only --out → exit 2 before any computation, nothing written" {
            withTmpfs "ro,size=1m" (fun ro ->
                let map = csvMap (Cli.tempDir ())
                for args in
                    [ [ "predict"; "--rho"; "0.09"; "--lmax"; "10"; "--out"; Path.Combine(ro, "x.csv") ]
                      [ "cl"; map; "--out"; Path.Combine(ro, "cl.csv") ]
                      [ "simulate" ] @ small @ [ "--out"; Path.Combine(ro, "run") ]
                      [ "fit"; tinyRun.Value; "--out"; ro ]
                      [ "merge"; tinyRun.Value; "--out"; Path.Combine(ro, "m") ]
                      [ "slurm"; "--shards"; "2"; "--out"; Path.Combine(ro, "s") ] ] do
                    Cli.expectInputError (Cli.run args) [ "cannot" ]
                Expect.isEmpty (Directory.GetFileSystemEntries ro) "nothing written") }
        test "a disk that fills up → exit 1, one line, no half-written file, every realisation left whole" {
            withTmpfs "size=96k" (fun full ->
                let run = Path.Combine(full, "run")
                let r = Cli.run ([ "simulate"; "--rho"; "0.09"; "--nside"; "8"; "--realizations"; "6"; "--times"; "3,6,9"; "--lambda-min"; "2"; "--out"; run ])
                Expect.equal r.Code 1 $"exit code 1 (stderr: {r.Err})"
                let lines = r.Err.Trim().Split('\n') |> Array.filter (fun l -> not (l.StartsWith "simulate:"))
                Expect.equal lines.Length 1 $"one line: {r.Err}"
                Expect.stringContains lines[0] "No space left" "says the disk is full"
                Expect.isEmpty (leftovers full) "no temporary or half-written file"
                let study = (RunJson.Open run).Study
                for i in RunFolder.Finished run do
                    RunFolder.ReadRealization(run, i, study) |> ignore
                    Expect.equal (Fits.Read(Path.Combine(RunFolder.RealizationDir(run, i), RunFolder.MapFile 2))).Length 768 "its maps are whole"
                // predict on a disk filled to the last byte: the check passes (an empty probe fits), the write fails cleanly
                (try
                    use filler = File.OpenWrite(Path.Combine(full, "filler"))
                    let block = Array.zeroCreate<byte> 4096
                    while true do filler.Write(block, 0, block.Length); filler.Flush()
                 with :? IOException -> ())
                let out = Path.Combine(full, "p.csv")
                let p = Cli.run [ "predict"; "--rho"; "0.09"; "--lmax"; "10"; "--out"; out ]
                Expect.equal p.Code 1 p.Err
                Expect.isFalse (File.Exists out) "no half-written CSV"
                Expect.isEmpty (leftovers full) "no temporary file") }
        test "damaged run folders → exit 2 naming the file and what to do" {
            let truncated = copyOf tinyRun.Value
            let cl = Path.Combine(truncated, "realizations", "0001", "cl.csv")
            File.WriteAllLines(cl, File.ReadAllLines cl |> Array.take 4)
            Cli.expectInputError (Cli.run [ "fit"; truncated; "--out"; Cli.tempDir () ]) [ "0001"; "damaged"; "rerun" ]
            let garbage = copyOf tinyRun.Value
            File.WriteAllText(Path.Combine(garbage, "run.json"), "{\"settings\": {\"rho\": \"fast\"}}")
            Cli.expectInputError (Cli.run [ "fit"; garbage; "--out"; Cli.tempDir () ]) [ "run.json"; "not a SkyMix run.json" ]
            let noMeta = copyOf tinyRun.Value
            File.Delete(Path.Combine(noMeta, "realizations", "0000", "realization.json"))
            Cli.expectInputError (Cli.run [ "merge"; noMeta; "--out"; Path.Combine(Cli.tempDir (), "m") ]) [ "realization.json"; "no such file" ]
            Cli.expectInputError (Cli.run ([ "simulate" ] @ small @ [ "--out"; garbage ])) [ "run.json" ] }
        test "damaged maps → exit 2 naming the file: truncated FITS, masked (UNSEEN) pixel, corrupt gzip, NaN in CSV" {
            let dir = Cli.tempDir ()
            let good = Path.Combine(RunFolder.RealizationDir(tinyRun.Value, 0), RunFolder.MapFile 0)
            let truncated = Path.Combine(dir, "t.fits")
            File.WriteAllBytes(truncated, (File.ReadAllBytes good)[.. 2 * 2880 + 100])
            Cli.expectInputError (Cli.run [ "cl"; truncated ]) [ "t.fits"; "truncated" ]
            let masked = Path.Combine(dir, "masked.fits")
            let m = Fits.Read good
            Fits.Write(masked, m)
            let bytes = File.ReadAllBytes masked
            Buffers.Binary.BinaryPrimitives.WriteDoubleBigEndian(Span(bytes, 2 * 2880 + 8 * 5, 8), -1.6375e30)
            File.WriteAllBytes(masked, bytes)
            Cli.expectInputError (Cli.run [ "cl"; masked ]) [ "pixel 5"; "UNSEEN" ]
            let gz = Path.Combine(dir, "broken.fits.gz")
            File.WriteAllBytes(gz, Array.append [| 0x1fuy; 0x8buy; 8uy |] (Array.create 50 7uy))
            Cli.expectInputError (Cli.run [ "cl"; gz ]) [ "broken.fits.gz" ]
            let nan = Path.Combine(dir, "nan.csv")
            File.WriteAllLines(nan, Seq.append [ "ipix,f" ] [ for p in 0..11 -> if p = 7 then "7,NaN" else $"{p},1" ])
            Cli.expectInputError (Cli.run [ "cl"; nan ]) [ "nan.csv:9"; "finite" ]
            let unseen = Path.Combine(dir, "unseen.csv")
            File.WriteAllLines(unseen, Seq.append [ "ipix,f" ] [ for p in 0..11 -> if p = 3 then "3,-1.6375e+30" else $"{p},1" ])
            Cli.expectInputError (Cli.run [ "cl"; unseen ]) [ "unseen.csv:5"; "UNSEEN" ]
            let text = Path.Combine(dir, "notamap.fits")
            File.WriteAllText(text, "ipix,f\n0,1\n")
            Cli.expectInputError (Cli.run [ "cl"; text ]) [ "notamap.fits"; "not a FITS file" ] }
        test "writers refuse a NaN or ∞ and leave nothing behind (the command line reports it with exit 1)" {
            let dir = Cli.tempDir ()
            let map = Array.create 12 1.0
            map[3] <- nan
            Expect.throwsT<InvalidOperationException> (fun () -> Fits.Write(Path.Combine(dir, "m.fits"), map)) "FITS"
            Expect.throwsT<InvalidOperationException>
                (fun () -> Json.Write(Path.Combine(dir, "x.json"), fun w -> w.WriteStartObject(); Json.Number(w, "kzz", infinity); w.WriteEndObject()))
                "JSON"
            Expect.isEmpty (Directory.GetFileSystemEntries dir) "no file, no temporary" }
        test "a NaN anywhere in the ensemble (here in the measured propagator) leaves every ensemble file as it was" {
            let dir = Cli.tempDir ()
            for name in [ "cl.csv"; "diffusion.csv"; "dipole.csv" ] do File.WriteAllText(Path.Combine(dir, name), "before")
            let r i (m: float) =
                { Index = i; Seed = uint64 i; Times = [| 2.0 |]; Cl = [| [| 0.0; 1.0; 0.3 |] |]; Noise = [| 0.1 |]; NoiseEq7 = [| 0.2 |]
                  Phi = [| [| 0.0; 0.0; 0.1 |] |]; Displacement2 = [| [| 1.0; 1.0; 4.0 |] |]; LocalField = [| 0.0; 0.0; 1.0 |]; CosAlpha = 0.9
                  Mixing = [| [| [| 0.0; 1.0; 0.0 |] |]; [| [| 0.0; 0.5; m |] |] |] } : SkyMix.Theory.Realization
            let rs = [| r 0 0.1; r 1 nan |]
            Expect.throwsT<InvalidOperationException>
                (fun () -> RunFolder.WriteEnsemble(dir, SkyMix.Theory.Ensemble.ofRealizations rs, rs, [| 1 |])) "refused"
            for name in [ "cl.csv"; "diffusion.csv"; "dipole.csv" ] do
                Expect.equal (File.ReadAllText(Path.Combine(dir, name))) "before" $"{name} untouched"
            Expect.isFalse (File.Exists(Path.Combine(dir, "mixing.csv"))) "no mixing.csv" }
    ]
