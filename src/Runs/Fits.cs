using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// HEALPix maps as FITS files laid out as healpy's write_map does (FITS Standard 4.0; HEALPix FITS
/// conventions, Górski et al. 2005): an empty primary HDU (BITPIX = 8, NAXIS = 0, EXTEND = T) and one
/// BINTABLE extension with a single float64 column TEMPERATURE of 1024-element rows (one element per row
/// below Nside 16), big-endian, keywords PIXTYPE = 'HEALPIX', ORDERING, NSIDE, FIRSTPIX, LASTPIX,
/// INDXSCHM = 'IMPLICIT', OBJECT = 'FULLSKY'; every header and the data padded to 2880-byte blocks.
/// The reader takes the first column of such a file (float32 'E' or float64 'D', any row length; plain or
/// gzipped) in RING or NESTED order and returns the map in RING order.
/// </summary>
public static class Fits
{
    const int Block = 2880;

    /// <summary>healpy's UNSEEN, the value of masked pixels.</summary>
    const double Unseen = -1.6375e30;

    /// <summary>Whether a pixel value is healpy's UNSEEN (masked), with healpy's mask_bad tolerance
    /// (rtol 1e-5, so the float32 spelling counts too).</summary>
    public static bool IsUnseen(double v) => Math.Abs(v - Unseen) <= 1e-5 * Math.Abs(Unseen);

    static string Card(string key, string value, string comment = "")
    {
        var card = $"{key,-8}= {value,20}" + (comment.Length > 0 ? $" / {comment}" : "");
        return card.Length > 80 ? card[..80] : card.PadRight(80);
    }

    static string Str(string s) => $"'{s,-8}'".PadRight(20);

    static byte[] Header(IEnumerable<string> cards)
    {
        var text = string.Concat(cards) + "END".PadRight(80);
        var padded = text.PadRight((text.Length + Block - 1) / Block * Block);
        return Encoding.ASCII.GetBytes(padded);
    }

    /// <summary>Writes a RING-ordered map (atomically).</summary>
    public static void Write(string path, double[] map)
    {
        var (primary, extension, dataBytes) = Layout(map.Length);
        foreach (var v in map)
            if (!double.IsFinite(v)) throw new InvalidOperationException($"non-finite map value {v}; nothing written");
        var data = new byte[dataBytes];
        for (var i = 0; i < map.Length; i++) BinaryPrimitives.WriteDoubleBigEndian(data.AsSpan(8 * i), map[i]);
        Files.Write(path, s =>
        {
            s.Write(primary);
            s.Write(extension);
            s.Write(data);
        });
    }

    /// <summary>The size in bytes of the file <see cref="Write"/> makes of a map of npix pixels (a whole map file
    /// has exactly this size; a truncated one less).</summary>
    public static long Bytes(int npix)
    {
        var (primary, extension, dataBytes) = Layout(npix);
        return primary.Length + extension.Length + dataBytes;
    }

    /// <summary>The two headers of a map file of npix pixels and the length of its padded data.</summary>
    static (byte[] Primary, byte[] Extension, int DataBytes) Layout(int npix)
    {
        var nside = (Healpix.nsideOfNpix(npix) ?? throw new InputError($"a HEALPix map has 12·Nside² pixels; got {npix}")).Value;
        var perRow = npix >= 1024 ? 1024 : 1;
        var rows = npix / perRow;
        var primary = Header(new[]
        {
            Card("SIMPLE", "T", "conforms to FITS standard"),
            Card("BITPIX", "8", "array data type"),
            Card("NAXIS", "0", "number of array dimensions"),
            Card("EXTEND", "T"),
        });
        var extension = Header(new[]
        {
            Card("XTENSION", Str("BINTABLE"), "binary table extension"),
            Card("BITPIX", "8", "array data type"),
            Card("NAXIS", "2", "number of array dimensions"),
            Card("NAXIS1", (8 * perRow).ToString(CultureInfo.InvariantCulture), "length of dimension 1"),
            Card("NAXIS2", rows.ToString(CultureInfo.InvariantCulture), "length of dimension 2"),
            Card("PCOUNT", "0", "number of group parameters"),
            Card("GCOUNT", "1", "number of groups"),
            Card("TFIELDS", "1", "number of table fields"),
            Card("TTYPE1", Str("TEMPERATURE")),
            Card("TFORM1", Str(perRow == 1 ? "D" : $"{perRow}D")),
            Card("PIXTYPE", Str("HEALPIX"), "HEALPIX pixelisation"),
            Card("ORDERING", Str("RING"), "Pixel ordering scheme, either RING or NESTED"),
            Card("EXTNAME", Str("xtension"), "name of this binary table extension"),
            Card("NSIDE", nside.ToString(CultureInfo.InvariantCulture), "Resolution parameter of HEALPIX"),
            Card("FIRSTPIX", "0", "First pixel # (0 based)"),
            Card("LASTPIX", (npix - 1).ToString(CultureInfo.InvariantCulture), "Last pixel # (0 based)"),
            Card("INDXSCHM", Str("IMPLICIT"), "Indexing: IMPLICIT or EXPLICIT"),
            Card("OBJECT", Str("FULLSKY"), "Sky coverage, either FULLSKY or PARTIAL"),
        });
        return (primary, extension, (8 * npix + Block - 1) / Block * Block);
    }

    /// <summary>The value of a card: the text between quotes for strings, else up to the comment.</summary>
    static string Value(string raw)
    {
        var v = raw.TrimStart();
        if (!v.StartsWith('\'')) return v.Split('/')[0].Trim();
        var end = v.IndexOf('\'', 1);
        return end > 0 ? v[1..end].Trim() : v.Trim();
    }

    /// <summary>Parses the 80-character cards of one header starting at offset; returns them and the data offset.</summary>
    static (Dictionary<string, string> Cards, long DataOffset) ReadHeader(byte[] b, long offset, string file)
    {
        var cards = new Dictionary<string, string>();
        for (var pos = offset; ; pos += 80)
        {
            if (pos + 80 > b.Length) throw new InputError($"{file}: header at byte {offset} has no END card (truncated file?)");
            var card = Encoding.ASCII.GetString(b, (int)pos, 80);
            if (card.Any(c => c < 32 || c > 126)) throw new InputError($"{file}: byte {pos}: header holds non-ASCII characters; not a FITS file");
            var key = card[..8].Trim();
            if (key == "END") return (cards, (pos + 80 + Block - 1) / Block * Block);
            if (card[8] == '=') cards.TryAdd(key, Value(card[10..]));
        }
    }

    static long Number(Dictionary<string, string> h, string key, string file)
    {
        if (!h.TryGetValue(key, out var v)) throw new InputError($"{file}: the header has no {key} keyword");
        if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            throw new InputError($"{file}: {key} = '{v}' is not an integer");
        return n;
    }

    /// <summary>Element size and count of a binary-table column format such as 'D', '1024D', 'E', '1024E'.</summary>
    static (int Size, int Count, char Type) Form(string tform, string file)
    {
        var t = tform.Trim();
        var digits = new string(t.TakeWhile(char.IsDigit).ToArray());
        var count = 1;
        if (digits.Length > 0 && !(int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1))
            throw new InputError($"{file}: column format '{tform}' has an impossible repeat count");
        var type = t.Length > digits.Length ? t[digits.Length] : '?';
        var size = type switch { 'D' => 8, 'E' => 4, 'K' => 8, 'J' => 4, 'I' => 2, 'B' => 1, 'L' => 1, 'A' => 1, _ => -1 };
        if (size < 0) throw new InputError($"{file}: column format '{tform}' is not supported");
        return (size, count, type);
    }

    /// <summary>Whether a file is meant as FITS (plain or gzipped) rather than CSV: by its name (.fits, .fit,
    /// .fits.gz) or else by its first bytes.</summary>
    public static bool Looks(string file)
    {
        if (new[] { ".fits", ".fit", ".fits.gz" }.Any(e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase))) return true;
        if (!File.Exists(file)) return false;
        try
        {
            using var f = File.OpenRead(file);
            var head = new byte[9];
            var n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) || (n == 9 && Encoding.ASCII.GetString(head) == "SIMPLE  =");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputError($"{file}: cannot read ({e.Message})"); }
    }

    /// <summary>Reads a HEALPix FITS map (first column) into RING order; an <see cref="InputError"/> names what is wrong.</summary>
    public static double[] Read(string file)
    {
        if (Directory.Exists(file)) throw new InputError($"{file} is a folder, not a map file");
        if (!File.Exists(file)) throw new InputError($"{file}: no such file");
        byte[] b;
        try
        {
            b = File.ReadAllBytes(file);
            if (b.Length > 2 && b[0] == 0x1f && b[1] == 0x8b)
            {
                // .fits.gz, as healpy also writes
                using var gz = new System.IO.Compression.GZipStream(new MemoryStream(b), System.IO.Compression.CompressionMode.Decompress);
                using var plain = new MemoryStream();
                gz.CopyTo(plain);
                b = plain.ToArray();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        { throw new InputError($"{file}: cannot read ({e.Message})"); }
        if (b.Length < Block || Encoding.ASCII.GetString(b, 0, 9) != "SIMPLE  =") throw new InputError($"{file}: not a FITS file (no SIMPLE card)");
        var (primary, offset) = ReadHeader(b, 0, file);
        var naxis = Number(primary, "NAXIS", file);
        if (naxis is < 0 or > 999) throw new InputError($"{file}: NAXIS = {naxis}; the standard allows 0 … 999");
        // the primary array (healpy writes none) is skipped; every size is bounded by the file's length
        long skip = naxis == 0 ? 0 : Math.Abs(Number(primary, "BITPIX", file)) / 8;
        for (var i = 1; i <= naxis && skip > 0; i++)
        {
            var n = Number(primary, $"NAXIS{i}", file);
            if (n < 0 || n > b.Length) throw new InputError($"{file}: NAXIS{i} = {n} does not fit a file of {b.Length} bytes");
            skip *= n;
            if (skip > b.Length) throw new InputError($"{file}: truncated: the primary array needs {skip} bytes, the file has {b.Length}");
        }
        offset += (skip + Block - 1) / Block * Block;
        if (offset >= b.Length) throw new InputError($"{file}: no extension after the primary header; healpy maps live in a BINTABLE extension");
        var (h, data) = ReadHeader(b, offset, file);
        if (!h.TryGetValue("XTENSION", out var x) || x != "BINTABLE") throw new InputError($"{file}: the first extension is not a BINTABLE");
        if (h.TryGetValue("PIXTYPE", out var pt) && pt != "HEALPIX") throw new InputError($"{file}: PIXTYPE = '{pt}', not HEALPIX");
        if (h.TryGetValue("INDXSCHM", out var ix) && ix != "IMPLICIT") throw new InputError($"{file}: INDXSCHM = '{ix}'; only full-sky IMPLICIT maps are read");
        var rowBytes = Number(h, "NAXIS1", file);
        var rows = Number(h, "NAXIS2", file);
        if (!h.TryGetValue("TFORM1", out var tform)) throw new InputError($"{file}: the table has no TFORM1");
        var (size, count, type) = Form(tform, file);
        if (type is not ('D' or 'E')) throw new InputError($"{file}: column 1 has format '{tform}'; only float32 (E) and float64 (D) maps are read");
        if (rowBytes < (long)size * count || rowBytes > b.Length || rows < 1 || rows > int.MaxValue / count)
            throw new InputError($"{file}: NAXIS1 = {rowBytes}, NAXIS2 = {rows} do not fit column format '{tform}'");
        if (data + rowBytes * rows > b.Length) throw new InputError($"{file}: truncated: the table needs {rowBytes * rows} data bytes, the file has {Math.Max(0, b.Length - data)}");
        var npix = rows * count;
        var nside = (Healpix.nsideOfNpix(npix) ?? throw new InputError($"{file}: {npix} pixels; a full-sky HEALPix map has 12·Nside² pixels")).Value;
        if (h.TryGetValue("NSIDE", out var ns) && ns != nside.ToString(CultureInfo.InvariantCulture))
            throw new InputError($"{file}: NSIDE = {ns} but the table holds {npix} pixels (Nside {nside})");
        var values = new double[npix];
        for (long r = 0; r < rows; r++)
            for (var k = 0; k < count; k++)
            {
                var at = (int)(data + r * rowBytes + (long)k * size);
                var v = size == 8 ? BinaryPrimitives.ReadDoubleBigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadSingleBigEndian(b.AsSpan(at));
                var masked = IsUnseen(v);
                if (!double.IsFinite(v) || masked)
                    throw new InputError($"{file}: pixel {r * count + k} is {(masked ? "UNSEEN (masked)" : v)}; only finite values of full-sky maps are read (masked maps are not supported)");
                values[r * count + k] = v;
            }
        var ordering = h.TryGetValue("ORDERING", out var o) ? o : "RING";
        if (ordering == "RING") return values;
        if (ordering != "NESTED") throw new InputError($"{file}: ORDERING = '{ordering}'; use RING or NESTED");
        var ring = new double[npix];
        for (long p = 0; p < npix; p++) ring[Healpix.nest2ring(nside, p)] = values[p];
        return ring;
    }
}
