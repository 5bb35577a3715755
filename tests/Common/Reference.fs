/// Locating and reading the independent reference tables (../shared/reference, see its README).
module SkyMix.Tests.Reference

open System
open System.Globalization
open System.IO

/// The repository root: the nearest folder above the test assembly that holds Mixed.sln.
let repoRoot =
    let rec up (d: DirectoryInfo) =
        if isNull d then failwith "Mixed.sln not found above the test assembly"
        elif File.Exists(Path.Combine(d.FullName, "Mixed.sln")) then d.FullName
        else up d.Parent
    up (DirectoryInfo AppContext.BaseDirectory)

/// The reference folder: $SKYMIX_REFERENCE if set, else ../shared/reference beside the checkout,
/// else the verbatim copy kept in tests/reference (so a clone anywhere still runs every test).
let folder =
    let candidates =
        [ Environment.GetEnvironmentVariable "SKYMIX_REFERENCE"
          Path.Combine(repoRoot, "..", "shared", "reference")
          Path.Combine(repoRoot, "tests", "reference") ]
    candidates
    |> List.tryFind (fun p -> not (String.IsNullOrEmpty p) && File.Exists(Path.Combine(p, "README.md")))
    |> Option.defaultWith (fun () -> failwith "no reference folder found (set SKYMIX_REFERENCE)")

let path (name: string) = Path.Combine(folder, name)

/// A CSV table: header names and rows of fields; '#' lines are comments.
type Table =
    { Header: string[]
      Rows: string[][] }

    member t.Col(name: string) =
        match Array.tryFindIndex ((=) name) t.Header with
        | Some i -> i
        | None -> failwith $"no column {name} in {String.Join(',', t.Header)}"

    member t.Floats(name: string) =
        let i = t.Col name
        t.Rows |> Array.map (fun r -> if r.[i] = "" then nan else Double.Parse(r.[i], CultureInfo.InvariantCulture))

    member t.Ints(name: string) =
        let i = t.Col name
        t.Rows |> Array.map (fun r -> Int64.Parse(r.[i], CultureInfo.InvariantCulture))

/// A CSV table at a path (e.g. a file a test run of skymix wrote).
let readFile (file: string) : Table =
    let lines = File.ReadAllLines file |> Array.filter (fun l -> l <> "" && not (l.StartsWith "#"))
    { Header = lines.[0].Split ','
      Rows = lines.[1..] |> Array.map (fun l -> l.Split ',') }

/// A table of the shared reference folder.
let read (name: string) = readFile (path name)

/// A table of tests/data (our own mpmath references; generator scripts beside them).
let readData (name: string) = readFile (Path.Combine(repoRoot, "tests", "data", name))

let f (s: string) = Double.Parse(s, CultureInfo.InvariantCulture)
let i (s: string) = Int32.Parse(s, CultureInfo.InvariantCulture)
