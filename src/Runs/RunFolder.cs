using System.Globalization;
using System.Text.Json;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// The folder a `skymix simulate` run writes (README "File formats"):
/// <code>
/// DIR/run.json           settings, derived units, grid layout, seeds, device, version, timings
/// DIR/cl.csv             T,l,cl_num,noise,cl_sub,err,noise_eq7,ratio,ratio_err         (ensemble)
/// DIR/diffusion.csv      T,dz2,kzz,dz2_err,kzz_err                                      (ensemble)
/// DIR/dipole.csv         realization,T,phix,phiy,phiz,c1,cos_alpha                      (every realisation)
/// DIR/mixing.csv         T,l0,l,m,err  (with --mixing: the measured pair propagator, T = 0 first; ensemble)
/// DIR/realizations/NNNN/ cl.csv (T,l,cl_num,noise,cl_sub,noise_eq7), diffusion.csv (T,dz2,kzz,dx2,dy2),
///                        dipole.csv, realization.json (seed, local field, times), map_TTT.fits (HEALPix FITS,
///                        RING, one per output time index TTT), mixing.csv (T,l0,l,m; with --mixing)
/// </code>
/// A realisation folder is written under a temporary name and renamed when complete, so a folder named
/// NNNN is always whole; a rerun skips them.
/// </summary>
public static class RunFolder
{
    public static string RealizationDir(string dir, int r) => Path.Combine(dir, "realizations", r.ToString("D4", CultureInfo.InvariantCulture));

    /// <summary>The HEALPix FITS file of the map at output time index t of a realisation.</summary>
    public static string MapFile(int t) => $"map_{t.ToString("D3", CultureInfo.InvariantCulture)}.fits";

    /// <summary>Indices of the finished realisations in a run folder.</summary>
    public static int[] Finished(string dir)
    {
        var root = Path.Combine(dir, "realizations");
        if (!Directory.Exists(root)) return Array.Empty<int>();
        return Directory.GetDirectories(root)
            .Select(Path.GetFileName)
            .Where(n => n is { Length: 4 } && n.All(char.IsDigit))
            .Select(n => int.Parse(n!, CultureInfo.InvariantCulture))
            .Order()
            .ToArray();
    }

    /// <summary>The file a merge keeps in its folder from its start until its run.json is written.</summary>
    public const string MergeMarker = ".merge-in-progress";

    /// <summary>True when dir holds a merge that was stopped before it finished.</summary>
    public static bool IsInterruptedMerge(string dir) => File.Exists(Path.Combine(dir, MergeMarker));

    /// <summary>What SkyMix itself may leave in a run folder before its run.json exists (a lock, an empty
    /// realizations/) or beside it in a cluster study (slurm/, shards/).</summary>
    static readonly string[] OwnEntries = { ".lock", "realizations", "slurm", "shards" };

    /// <summary>Creates a run folder (and its realizations/); an <see cref="InputError"/> when that is impossible,
    /// or when dir is a folder that is neither empty nor SkyMix's: a run never writes over files it did not make.</summary>
    public static void Create(string dir)
    {
        if (Directory.Exists(dir) && !File.Exists(Path.Combine(dir, "run.json")) && !IsInterruptedMerge(dir))
        {
            var foreign = Directory.EnumerateFileSystemEntries(dir)
                .Where(e => !OwnEntries.Contains(Path.GetFileName(e)) || Path.GetFileName(e) == "realizations" && Directory.EnumerateFileSystemEntries(e).Any())
                .Select(e => Path.GetFileName(e)!).Order().ToList();
            if (foreign.Count > 0)
                throw new InputError($"{dir} is a folder that is not a SkyMix run folder (it holds {string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? ", …" : "")}); " +
                                     "a run is written only into a new or empty folder, or into its own run folder: give another --out");
        }
        Files.CheckFolder(dir, "the run folder");
        Directory.CreateDirectory(Path.Combine(dir, "realizations"));
    }

    /// <summary>
    /// Holds DIR/.lock exclusively while a process writes the folder (released by the OS even on a kill), so
    /// two runs on one folder are refused instead of interleaving.
    /// </summary>
    public static IDisposable Lock(string dir)
    {
        try { return new FileStream(Path.Combine(dir, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose); }
        catch (IOException)
        {
            throw new InputError($"another skymix process is writing to {dir}; wait for it or give another --out");
        }
    }

    /// <summary>Removes what an interrupted or killed run left: realisation folders and files under temporary names.</summary>
    public static void CleanInterrupted(string dir)
    {
        var root = Path.Combine(dir, "realizations");
        if (Directory.Exists(root))
            foreach (var d in Directory.GetDirectories(root, ".tmp-*")) Directory.Delete(d, recursive: true);
        foreach (var f in Directory.GetFiles(dir, ".*.tmp")) File.Delete(f);
    }

    /// <summary>Makes realisation r of a run folder atomically: fill writes its files into a temporary
    /// folder that then replaces the realisation's folder in one move (removed again on failure).</summary>
    static void Atomically(string dir, int r, Action<string> fill)
    {
        var final = RealizationDir(dir, r);
        var tmp = Path.Combine(dir, "realizations", $".tmp-{r:D4}-{Environment.ProcessId}");
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(final)) Directory.Delete(final, true);
            Directory.Move(tmp, final);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            throw;
        }
    }

    /// <summary>Copies a finished realisation folder from one run folder to another (atomically).</summary>
    public static void CopyRealization(string from, string to, int r) =>
        Atomically(to, r, tmp =>
        {
            foreach (var f in Directory.GetFiles(RealizationDir(from, r)))
            {
                var copy = Path.Combine(tmp, Path.GetFileName(f));
                try { File.Copy(f, copy); }
                catch (IOException e) { throw new IOException($"copying {f} to {RealizationDir(to, r)}: {e.Message}", e); }
            }
        });

    static string N(double v) => Csv.Num(double.IsFinite(v) ? v : throw new InvalidOperationException($"non-finite result {v}; nothing written"));

    /// <summary>The times of the measured propagator: T = 0, then the output times.</summary>
    static double[] MixingTimes(double[] times) => times.Prepend(0.0).ToArray();

    /// <summary>Writes one finished realisation (atomically, as a whole folder), with its maps unless null and its
    /// measured propagator for the ℓ0 of mixingL0 (when any).</summary>
    public static void WriteRealization(string dir, Realization r, double[][]? maps, IReadOnlyList<int> mixingL0) =>
        Atomically(dir, r.Index, tmp =>
        {
            Files.WriteText(Path.Combine(tmp, "cl.csv"), w =>
            {
                w.WriteLine("T,l,cl_num,noise,cl_sub,noise_eq7");
                for (var t = 0; t < r.Times.Length; t++)
                    for (var l = 0; l < r.Cl[t].Length; l++)
                        w.WriteLine($"{N(r.Times[t])},{l},{N(r.Cl[t][l])},{N(r.Noise[t])},{N(r.Cl[t][l] - r.Noise[t])},{N(r.NoiseEq7[t])}");
            });
            Files.WriteText(Path.Combine(tmp, "diffusion.csv"), w =>
            {
                w.WriteLine("T,dz2,kzz,dx2,dy2");
                for (var t = 0; t < r.Times.Length; t++)
                {
                    var d = r.Displacement2[t];
                    w.WriteLine($"{N(r.Times[t])},{N(d[2])},{N(Diffusion.kzz(d[2], r.Times[t]))},{N(d[0])},{N(d[1])}");
                }
            });
            Files.WriteText(Path.Combine(tmp, "dipole.csv"), w =>
            {
                w.WriteLine("realization,T,phix,phiy,phiz,c1,cos_alpha");
                foreach (var line in DipoleRows(r)) w.WriteLine(line);
            });
            Json.Write(Path.Combine(tmp, "realization.json"), j =>
            {
                j.WriteStartObject();
                j.WriteNumber("realization", r.Index);
                j.WriteString("seed", r.Seed.ToString(CultureInfo.InvariantCulture));
                j.Numbers("local_mean_field_B_over_B0", r.LocalField);
                j.Number("cos_alpha", r.CosAlpha);
                j.Numbers("times", r.Times);
                j.WriteEndObject();
            });
            if (maps is not null)
                for (var t = 0; t < maps.Length; t++) Fits.Write(Path.Combine(tmp, MapFile(t)), maps[t]);
            if (mixingL0.Count > 0)
                MixingFiles.WriteMeasured(Path.Combine(tmp, "mixing.csv"), MixingTimes(r.Times), mixingL0, r.Mixing, null, false);
        });

    static IEnumerable<string> DipoleRows(Realization r)
    {
        for (var t = 0; t < r.Times.Length; t++)
        {
            var p = r.Phi[t];
            var c1 = Sky.c1OfDipole(p);
            yield return $"{r.Index},{N(r.Times[t])},{N(p[0])},{N(p[1])},{N(p[2])},{N(c1)},{N(r.CosAlpha)}";
        }
    }

    /// <summary>
    /// Reads a finished realisation of a study back (all but the maps); files that disagree with each other or
    /// with the study are an <see cref="InputError"/> saying which realisation is damaged.
    /// </summary>
    public static Realization ReadRealization(string dir, int index, Study study)
    {
        var s = study.Settings;
        var folder = RealizationDir(dir, index);
        var damaged = $"{folder} is damaged (delete the folder and rerun: the run resumes and recomputes it)";
        var cl = CsvTable.Read(Path.Combine(folder, "cl.csv"), "T", "l", "cl_num", "noise", "cl_sub", "noise_eq7");
        var diff = CsvTable.Read(Path.Combine(folder, "diffusion.csv"), "T", "dz2", "kzz", "dx2", "dy2");
        var dip = CsvTable.Read(Path.Combine(folder, "dipole.csv"), "realization", "T", "phix", "phiy", "phiz", "c1", "cos_alpha");
        var nt = s.Times.Count;
        var nl = 3 * s.Nside;
        if (diff.Rows != nt || dip.Rows != nt || cl.Rows != nt * nl)
            throw new InputError($"{damaged}: expected {nt} times and {nl} multipoles, found {diff.Rows}, {dip.Rows} and {cl.Rows} rows");
        var times = diff.Column("T");
        var clNum = cl.Column("cl_num");
        var noise = cl.Column("noise");
        var noise7 = cl.Column("noise_eq7");
        var (number, seed, localField, cosAlpha, recordedTimes) = Json.Read(Path.Combine(folder, "realization.json"), "a SkyMix realization.json", root => (
            root.Key("realization").GetInt32(),
            ulong.Parse(root.Key("seed").GetString()!, NumberStyles.None, CultureInfo.InvariantCulture),
            root.Key("local_mean_field_B_over_B0").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            root.Key("cos_alpha").GetDouble(),
            root.Key("times").EnumerateArray().Select(e => e.GetDouble()).ToArray()));
        if (number != index) throw new InputError($"{damaged}: its realization.json is that of realisation {number}");
        if (seed != study.SeedOf(index))
            throw new InputError($"{folder} has seed {seed}, not {study.SeedOf(index)} of this study: it belongs to another study, or was edited (delete the folder and rerun: the run resumes and recomputes it)");
        if (localField.Length != 3 || localField.Any(v => !double.IsFinite(v)))
            throw new InputError($"{damaged}: the local mean field is not three finite components");
        if (!(Math.Abs(cosAlpha) <= 1 + 1e-12)) throw new InputError($"{damaged}: cos_alpha = {cosAlpha} lies outside [-1, 1]");
        var expected = study.TimesReached;
        bool Same(IReadOnlyList<double> t) => t.Count == expected.Count && t.Zip(expected).All(p => Math.Abs(p.First - p.Second) <= 1e-12 * p.Second);
        if (!Same(times) || !Same(recordedTimes))
            throw new InputError($"{damaged}: its times are not the study's ΩT = {string.Join(",", expected.Select(t => t.ToString("G6", CultureInfo.InvariantCulture)))}");
        if (clNum.Any(v => v < 0)) throw new InputError($"{damaged}: cl.csv holds a negative C_ℓ");
        if (diff.Column("dz2").Concat(diff.Column("dx2")).Concat(diff.Column("dy2")).Any(v => v < 0))
            throw new InputError($"{damaged}: diffusion.csv holds a negative mean square displacement");
        if (s.Maps)
        {
            var size = Fits.Bytes(study.Pixels);
            for (var t = 0; t < nt; t++)
            {
                var map = new FileInfo(Path.Combine(folder, MapFile(t)));
                if (!map.Exists) throw new InputError($"{damaged}: its sky map {map.Name} is missing");
                if (map.Length != size) throw new InputError($"{damaged}: its sky map {map.Name} has {map.Length} bytes, not {size} (truncated or damaged)");
            }
        }
        var mixing = s.MixingL0.Count == 0 ? Array.Empty<double[][]>()
            : MixingFiles.ReadMeasured(Path.Combine(folder, "mixing.csv"), nt + 1, s.MixingL0, nl - 1, damaged);
        return new Realization(
            index, seed, times,
            Enumerable.Range(0, nt).Select(t => clNum[(t * nl)..((t + 1) * nl)]).ToArray(),
            Enumerable.Range(0, nt).Select(t => noise[t * nl]).ToArray(),
            Enumerable.Range(0, nt).Select(t => noise7[t * nl]).ToArray(),
            Enumerable.Range(0, nt).Select(t => new[] { dip.Column("phix")[t], dip.Column("phiy")[t], dip.Column("phiz")[t] }).ToArray(),
            Enumerable.Range(0, nt).Select(t => new[] { diff.Column("dx2")[t], diff.Column("dy2")[t], diff.Column("dz2")[t] }).ToArray(),
            localField, cosAlpha, mixing);
    }

    /// <summary>Writes the ensemble files cl.csv, diffusion.csv and dipole.csv from the finished realisations, and
    /// mixing.csv when the study measures the propagator for the ℓ0 of mixingL0.</summary>
    public static void WriteEnsemble(string dir, EnsembleStats e, IReadOnlyList<Realization> rs, IReadOnlyList<int> mixingL0)
    {
        // a jackknife needs two realisations: with one, the error fields are left empty (missing, not zero)
        string Err(double v) => e.Count >= 2 ? N(v) : "";
        // every file is formatted (each value checked finite) before the first is written: a non-finite value
        // leaves all of them as they were
        static string Text(Action<TextWriter> body)
        {
            using var w = new StringWriter { NewLine = "\n" };
            body(w);
            return w.ToString();
        }
        var files = new List<(string Name, string Text)>
        {
            ("cl.csv", Text(w =>
            {
                w.WriteLine("T,l,cl_num,noise,cl_sub,err,noise_eq7,ratio,ratio_err");
                for (var t = 0; t < e.Times.Length; t++)
                    for (var l = 0; l < e.ClNum[t].Length; l++)
                        w.WriteLine($"{N(e.Times[t])},{l},{N(e.ClNum[t][l])},{N(e.Noise[t])},{N(e.ClSub[t][l])},{Err(e.ClSubErr[t][l])}," +
                                    $"{N(e.NoiseEq7[t])},{N(e.Ratio[t][l])},{Err(e.RatioErr[t][l])}");
            })),
            ("diffusion.csv", Text(w =>
            {
                w.WriteLine("T,dz2,kzz,dz2_err,kzz_err");
                for (var t = 0; t < e.Times.Length; t++)
                    w.WriteLine($"{N(e.Times[t])},{N(e.Dz2[t])},{N(e.Kzz(t))},{Err(e.Dz2Err[t])},{Err(e.KzzErr(t))}");
            })),
            ("dipole.csv", Text(w =>
            {
                w.WriteLine("realization,T,phix,phiy,phiz,c1,cos_alpha");
                foreach (var r in rs.OrderBy(r => r.Index))
                    foreach (var line in DipoleRows(r)) w.WriteLine(line);
            })),
        };
        if (mixingL0.Count > 0)
            files.Add(("mixing.csv", Text(w => MixingFiles.Measured(w, MixingTimes(e.Times), mixingL0, e.Mixing, e.MixingErr, e.Count >= 2))));
        foreach (var (name, text) in files)
            Files.WriteText(Path.Combine(dir, name), w => w.Write(text));
    }
}
