using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// The pair propagator's files (README "File formats"): `skymix matrix` writes the theory's M_ℓℓ0(ΔT) as
/// omega_dt,l0,l,m; `simulate --mixing` writes the measured one as T,l0,l,m (each realisation) and
/// T,l0,l,m,err (the ensemble, with its jackknife error), T = 0 first.
/// </summary>
public static class MixingFiles
{
    /// <summary>The theory's columns: m[t][j][ℓ] at ΩΔT = omegaDT[t] and ℓ0 = l0[j].</summary>
    public static void WriteTheory(string? path, IReadOnlyList<double> omegaDT, IReadOnlyList<int> l0, double[][][] m) =>
        Files.WriteText(path, w =>
        {
            w.WriteLine("omega_dt,l0,l,m");
            for (var t = 0; t < omegaDT.Count; t++)
                for (var j = 0; j < l0.Count; j++)
                    for (var l = 0; l < m[t][j].Length; l++)
                        w.WriteLine($"{Csv.Num(omegaDT[t])},{l0[j]},{l},{Csv.Num(Finite(m[t][j][l]))}");
        });

    /// <summary>The measured propagator at times (T = 0 first), with errors unless err is null (one
    /// realisation's file) or empty fields where a jackknife has fewer than two realisations.</summary>
    public static void WriteMeasured(string path, IReadOnlyList<double> times, IReadOnlyList<int> l0, double[][][] m, double[][][]? err, bool errorsKnown) =>
        Files.WriteText(path, w => Measured(w, times, l0, m, err, errorsKnown));

    /// <summary>The text of <see cref="WriteMeasured"/>.</summary>
    public static void Measured(TextWriter w, IReadOnlyList<double> times, IReadOnlyList<int> l0, double[][][] m, double[][][]? err, bool errorsKnown)
    {
        w.WriteLine(err is null ? "T,l0,l,m" : "T,l0,l,m,err");
        for (var t = 0; t < times.Count; t++)
            for (var j = 0; j < l0.Count; j++)
                for (var l = 0; l < m[t][j].Length; l++)
                {
                    var row = $"{Csv.Num(times[t])},{l0[j]},{l},{Csv.Num(Finite(m[t][j][l]))}";
                    w.WriteLine(err is null ? row : row + "," + (errorsKnown ? Csv.Num(Finite(err[t][j][l])) : ""));
                }
    }

    /// <summary>Reads one realisation's mixing.csv back as [time][ℓ0][ℓ]; damage is an <see cref="InputError"/>.</summary>
    public static double[][][] ReadMeasured(string path, int times, IReadOnlyList<int> l0, int lmax, string damaged)
    {
        var table = CsvTable.Read(path, "T", "l0", "l", "m");
        var nl = lmax + 1;
        if (table.Rows != times * l0.Count * nl)
            throw new InputError($"{damaged}: mixing.csv has {table.Rows} rows, expected {times * l0.Count * nl}");
        var m = table.Column("m");
        var l0s = table.Column("l0");
        return Enumerable.Range(0, times).Select(t => Enumerable.Range(0, l0.Count).Select(j =>
        {
            var start = (t * l0.Count + j) * nl;
            if (l0s[start] != l0[j]) throw new InputError($"{damaged}: mixing.csv holds ℓ0 = {l0s[start]} where the study has {l0[j]}");
            return m[start..(start + nl)];
        }).ToArray()).ToArray();
    }

    static double Finite(double v) => double.IsFinite(v) ? v : throw new InvalidOperationException($"non-finite propagator {v}; nothing written");
}
