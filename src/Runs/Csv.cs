using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// Plain CSV as pandas/numpy read it: a header row, comma separator, invariant culture, doubles in
/// round-trip ("R") form (written through <see cref="Files"/>).
/// </summary>
public static class Csv
{
    /// <summary>Formats a double so that parsing gives back the same value.</summary>
    public static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Text from a file as it may be shown on a terminal: control and other unprintable characters as '?', at most
    /// 120 characters.</summary>
    public static string Printable(string line)
    {
        var clean = new string(line.Select(c => char.IsControl(c) || c == '\uFFFD' ? '?' : c).ToArray());
        return clean.Length > 120 ? clean[..120] + "…" : clean;
    }

    /// <summary>Parses one field as a finite double, or fails naming the file, line and column.</summary>
    public static double Finite(string field, string file, int line, string column)
    {
        if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new InputError($"{file}:{line}: column {Printable(column)} is '{Printable(field)}', not a number");
        if (!double.IsFinite(v))
            throw new InputError($"{file}:{line}: column {Printable(column)} is {Printable(field)}; only finite numbers are allowed");
        return v;
    }

    /// <summary>The angular power spectrum of `skymix cl`: columns l,cl, ℓ = 0 … ℓmax; to stdout when path is null.</summary>
    public static void WriteSpectrum(string? path, double[] cl) =>
        Files.WriteText(path, w =>
        {
            w.WriteLine("l,cl");
            for (var l = 0; l < cl.Length; l++) w.WriteLine($"{l},{Num(cl[l])}");
        });
}
