using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>A small CSV table with named numeric columns (the run-folder reader).</summary>
public sealed class CsvTable
{
    readonly Dictionary<string, double[]> columns;
    public int Rows { get; }

    CsvTable(Dictionary<string, double[]> columns, int rows)
    {
        this.columns = columns;
        Rows = rows;
    }

    public double[] Column(string name) => columns[name];

    /// <summary>Reads a CSV file whose header holds at least the given columns; errors name file and line.</summary>
    public static CsvTable Read(string file, params string[] required)
    {
        if (!File.Exists(file)) throw new InputError($"{file}: no such file");
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputError($"{file}: cannot read ({e.Message})"); }
        if (lines.Length == 0) throw new InputError($"{file}: empty file");
        var header = lines[0].Split(',');
        var shown = Csv.Printable(lines[0]);
        if (header.Distinct().Count() != header.Length) throw new InputError($"{file}:1: a column name appears twice (header: {shown})");
        foreach (var r in required)
            if (!header.Contains(r)) throw new InputError($"{file}:1: no column '{r}' (header: {shown})");
        var data = header.ToDictionary(h => h, _ => new List<double>());
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            if (f.Length != header.Length) throw new InputError($"{file}:{i + 1}: expected {header.Length} fields, found {f.Length}");
            for (var c = 0; c < f.Length; c++) data[header[c]].Add(Csv.Finite(f[c], file, i + 1, header[c]));
        }
        return new CsvTable(data.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()), data[header[0]].Count);
    }
}
