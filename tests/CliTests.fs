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

/// Bad input must give exit code 2, exactly one line on stderr that contains every given fragment,
/// and nothing on stdout.
let private expectInputError (r: Cli.Result) (fragments: string list) =
    Expect.equal r.Code 2 $"exit code (stderr: {r.Err})"
    let lines = r.Err.Trim().Split('\n')
    Expect.equal lines.Length 1 $"one line on stderr, got: {r.Err}"
    for f in fragments do Expect.stringContains lines.[0] f "the message names the problem"
    Expect.equal r.Out "" "nothing on stdout"

let private writeMap (dir: string) (name: string) (rows: string seq) =
    let p = Path.Combine(dir, name)
    File.WriteAllLines(p, Seq.append [ "ipix,f" ] rows)
    p

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
