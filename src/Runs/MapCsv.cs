using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// HEALPix maps as CSV: header <c>ipix,f</c>, one row per pixel in RING order (ipix = 0 … 12·Nside² − 1),
/// as in the reference folder. Nside follows from the row count.
/// </summary>
public static class MapCsv
{
    /// <summary>Reads a map; any problem is an <see cref="InputError"/> naming the file and line.</summary>
    public static double[] Read(string file)
    {
        if (Directory.Exists(file)) throw new InputError($"{file} is a folder, not a map file");
        if (!File.Exists(file)) throw new InputError($"{file}: no such file");
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputError($"{file}: cannot read ({e.Message})"); }
        if (lines.Length == 0 || lines[0].Trim() != "ipix,f")
            throw new InputError($"{file}:1: expected the header 'ipix,f'");
        var rows = lines.Skip(1).TakeWhile(l => l.Length > 0).Count();
        if (lines.Skip(1 + rows).Any(l => l.Trim().Length > 0))
            throw new InputError($"{file}:{rows + 2}: empty line inside the table");
        if (Healpix.nsideOfNpix(rows) is null)
            throw new InputError($"{file}: {rows} pixel rows; a HEALPix map has 12·Nside² rows (Nside = 1, 2, 4, … 8192)");
        var map = new double[rows];
        for (var i = 0; i < rows; i++)
        {
            var line = i + 2;
            var fields = lines[i + 1].Split(',');
            if (fields.Length != 2)
                throw new InputError($"{file}:{line}: expected 2 fields (ipix,f), found {fields.Length}");
            var ipix = Csv.Finite(fields[0], file, line, "ipix");
            if (ipix != i)
                throw new InputError($"{file}:{line}: ipix is {fields[0]}, expected {i} (rows in RING order)");
            map[i] = Csv.Finite(fields[1], file, line, "f");
            if (Fits.IsUnseen(map[i]))
                throw new InputError($"{file}:{line}: f is healpy's UNSEEN (a masked pixel); only full-sky maps are read (masked maps are not supported)");
        }
        return map;
    }
}
