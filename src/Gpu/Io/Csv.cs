using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Io;

/// <summary>
/// Plain CSV as pandas/numpy read it: a header row, comma separator, invariant culture, doubles in
/// round-trip ("R") form. Files are written to a temporary name and renamed, so a reader never sees
/// a half-written file.
/// </summary>
public static class Csv
{
    /// <summary>Formats a double so that parsing gives back the same value.</summary>
    public static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes to <paramref name="path"/> atomically (temp file + rename), or to stdout when path is null.</summary>
    public static void Write(string? path, Action<TextWriter> body)
    {
        if (path is null)
        {
            var stdout = Console.Out;
            body(stdout);
            stdout.Flush();
            return;
        }
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (Directory.Exists(full))
            throw new InputError($"{path} is a folder; give a file name for the output");
        if (!Directory.Exists(dir))
            throw new InputError($"cannot write {path}: folder {dir} does not exist");
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false)))
            {
                w.NewLine = "\n";
                body(w);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>Parses one field as a finite double, or fails naming the file, line and column.</summary>
    public static double Finite(string field, string file, int line, string column)
    {
        if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new InputError($"{file}:{line}: column {column} is '{field}', not a number");
        if (!double.IsFinite(v))
            throw new InputError($"{file}:{line}: column {column} is {field}; only finite numbers are allowed");
        return v;
    }
}
