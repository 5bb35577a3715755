/// Interoperability with the real healpy (Debian's python3-healpy): FITS maps both ways and anafast.
/// Skipped, with a message, where healpy is not installed (.ci/run installs it when apt-get works).
module SkyMix.Tests.InteropTests

open System
open System.Diagnostics
open System.IO
open Expecto
open SkyMix.Runs
open SkyMix.Theory
open SkyMix.Tests.Check

let private python = "/usr/bin/python3"

/// Runs a Python snippet with arguments; returns (exit code, stdout, stderr).
let private py (code: string) (args: string list) =
    let psi = ProcessStartInfo(python, RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add "-c"
    psi.ArgumentList.Add code
    for a in args do psi.ArgumentList.Add a
    use p = Process.Start psi
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()
    p.ExitCode, out.Result, err.Result

let private healpy =
    lazy (File.Exists python && (let code, _, _ = py "import healpy" [] in code = 0))

let private needHealpy () =
    if not (healpy.Force()) then skiptest "python3-healpy is not installed here (apt-get install python3-healpy); .ci/run installs it"

/// Doubles as raw little-endian bytes (numpy.fromfile reads them).
let private writeRaw (path: string) (v: float[]) =
    File.WriteAllBytes(path, v |> Array.collect BitConverter.GetBytes)

let private readRaw (path: string) =
    let b = File.ReadAllBytes path
    Array.init (b.Length / 8) (fun i -> BitConverter.ToDouble(b, 8 * i))

/// Runs a healpy script that writes two raw float64 files (its argv[1] and argv[2]) and reads them back.
let private fromHealpy (script: string) =
    needHealpy ()
    let dir = Cli.tempDir ()
    let a, b = Path.Combine(dir, "a.bin"), Path.Combine(dir, "b.bin")
    let code, _, err = py script [ a; b ]
    Expect.equal code 0 err
    readRaw a, readRaw b

let tests =
    testList "healpy interop" [
        test "healpy read_map reads our FITS map to the bit, and anafast(iter=0) of it equals our C_ℓ to 1e-10" {
            needHealpy ()
            let dir = Cli.tempDir ()
            let map = (Reference.read "anafast_map_synfast_nside16.csv").Floats "f"
            let fits, raw = Path.Combine(dir, "ours.fits"), Path.Combine(dir, "ours.bin")
            Fits.Write(fits, map)
            writeRaw raw map
            let code, out, err =
                py "import sys, healpy as hp, numpy as np\nm = hp.read_map(sys.argv[1], dtype=np.float64)\nref = np.fromfile(sys.argv[2], dtype='<f8')\nprint(int(np.array_equal(m, ref)))\nprint(' '.join(repr(float(c)) for c in hp.anafast(m, lmax=47, iter=0)))"
                   [ fits; raw ]
            Expect.equal code 0 err
            let lines = out.Trim().Split('\n')
            Expect.equal lines.[0] "1" "read_map returns exactly our values"
            let theirs = lines.[1].Split(' ') |> Array.map Reference.f
            let ours = Api.angularSpectrum (Fits.Read fits) 47 0
            allClose "anafast of our FITS map" [ for l in 0 .. 47 -> rel $"C_{l}" theirs.[l] ours.[l] Tol.healpy 0.0 ] }
        test "anafast(iter=0) of a random Nside 128 map equals healpy's to 1e-10 (polar rings through Bluestein's FFT, the m limit active)" {
            let map, theirs =
                fromHealpy "import sys, healpy as hp, numpy as np\nm = np.random.default_rng(11).standard_normal(12 * 128**2)\nm.tofile(sys.argv[1])\nhp.anafast(m, lmax=383, iter=0).tofile(sys.argv[2])"
            let ours = Api.angularSpectrum map 383 0
            allClose "anafast, Nside 128" [ for l in 0 .. 383 -> rel $"C_{l}" theirs.[l] ours.[l] Tol.healpy 0.0 ] }
        test "alm2map of random a_ℓm at Nside 128 (ℓmax 383) equals healpy's synthesis to 1e-12 of max|f|" {
            let reIm, theirs =
                fromHealpy ("import sys, healpy as hp, numpy as np\nlmax = 383\nrng = np.random.default_rng(5)\n" +
                            "n = hp.Alm.getsize(lmax)\na = rng.standard_normal(n) + 1j * rng.standard_normal(n)\n" +
                            "a[:lmax + 1] = a[:lmax + 1].real\n" +
                            "np.stack([a.real, a.imag], axis=1).tofile(sys.argv[1])\n" +
                            "hp.alm2map(a, 128, lmax=lmax).tofile(sys.argv[2])")
            let alm = { Lmax = 383; Re = Array.init (reIm.Length / 2) (fun i -> reIm.[2 * i]); Im = Array.init (reIm.Length / 2) (fun i -> reIm.[2 * i + 1]) }
            let ours = Sky.alm2map (Healpix.rings 128) alm
            let scale = theirs |> Array.map abs |> Array.max
            allClose "alm2map, Nside 128" [ for p in 0 .. theirs.Length - 1 -> case $"pixel {p}" theirs.[p] ours.[p] (1e-12 * scale) ] }
        test "we read maps healpy wrote: float64 RING, float32 NESTED, gzipped, Nside 2 and 32" {
            needHealpy ()
            let dir = Cli.tempDir ()
            let code, _, err =
                py ("import sys, os, healpy as hp, numpy as np\nd = sys.argv[1]\nrng = np.random.default_rng(7)\n" +
                    "for nside, dtype, nest, name in [(2, np.float64, False, 'a.fits'), (32, np.float64, False, 'b.fits'), (32, np.float32, True, 'c.fits'), (16, np.float64, False, 'd.fits.gz')]:\n" +
                    "    m = rng.standard_normal(12 * nside * nside).astype(dtype)\n" +
                    "    hp.write_map(os.path.join(d, name), m, nest=nest, dtype=dtype, overwrite=True)\n" +
                    "    ring = hp.reorder(m, n2r=True) if nest else m\n" +
                    "    ring.astype(np.float64).tofile(os.path.join(d, name + '.bin'))\n")
                   [ dir ]
            Expect.equal code 0 err
            for name in [ "a.fits"; "b.fits"; "c.fits"; "d.fits.gz" ] do
                let expected = readRaw (Path.Combine(dir, name + ".bin"))
                let got = Fits.Read(Path.Combine(dir, name))
                Expect.equal got.Length expected.Length $"{name}: pixel count"
                Expect.isTrue (Array.forall2 (=) got expected) $"{name}: every pixel exactly" }
        test "skymix cl reads a FITS map: equal to the CSV of the same map" {
            let dir = Cli.tempDir ()
            let map = (Reference.read "anafast_map_ylm_nside8.csv").Floats "f"
            let f = Path.Combine(dir, "ylm.fits")
            Fits.Write(f, map)
            let a, b = Cli.run [ "cl"; f ], Cli.run [ "cl"; Reference.path "anafast_map_ylm_nside8.csv" ]
            Expect.equal a.Code 0 a.Err
            Expect.equal a.Out b.Out "identical spectra from FITS and CSV" }
    ]
