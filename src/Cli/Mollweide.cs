using SkiaSharp;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli;

/// <summary>
/// HEALPix maps in the Mollweide projection (as healpy.mollview: φ = 0 at the centre, φ increasing to the
/// left), drawn with SkiaSharp in a grid of titled panels with a diverging blue–white–red colour scale
/// symmetric about zero (each panel scaled to its own 99th percentile of |value|, shown by a colour bar under it).
/// </summary>
public static class Mollweide
{
    const int PanelWidth = 480, PanelHeight = 240, Title = 26, Margin = 10, Bar = 36, Heading = 62;

    /// <summary>Colour of v ∈ [−1, 1]: blue (−1) – white (0) – red (+1).</summary>
    static SKColor Diverging(double v)
    {
        v = Math.Clamp(v, -1.0, 1.0);
        byte C(double x) => (byte)Math.Round(255 * Math.Clamp(x, 0, 1));
        return v < 0 ? new SKColor(C(1 + v * 0.85), C(1 + v * 0.75), C(1 + v * 0.1)) : new SKColor(C(1 - v * 0.1), C(1 - v * 0.75), C(1 - v * 0.85));
    }

    /// <summary>The colour scale of a map: its 99th percentile of |value| (1 for a map of zeros).</summary>
    static double Scale(double[] map)
    {
        var scale = Percentile(map.Select(Math.Abs).ToArray(), 0.99);
        return scale > 0 ? scale : 1;
    }

    /// <summary>A horizontal colour bar from −scale to +scale under a panel, labelled at both ends and at 0.</summary>
    static void ColourBar(SKCanvas canvas, double scale, int x0, int y0, SKFont font, SKPaint ink)
    {
        const int width = 300, height = 10;
        var left = x0 + (PanelWidth - width) / 2;
        using var paint = new SKPaint();
        for (var i = 0; i < width; i++)
        {
            paint.Color = Diverging(2.0 * (i + 0.5) / width - 1.0);
            canvas.DrawRect(left + i, y0 + 4, 1, height, paint);
        }
        string T(double v) => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
        canvas.DrawText($"−{T(scale)}", left - 4, y0 + 14, SKTextAlign.Right, font, ink);
        canvas.DrawText($"+{T(scale)}", left + width + 4, y0 + 14, SKTextAlign.Left, font, ink);
        canvas.DrawText("0", left + width / 2, y0 + 30, SKTextAlign.Center, font, ink);
    }

    /// <summary>Draws one map into the rectangle (x0, y0, PanelWidth, PanelHeight) on the scale ±scale.</summary>
    static void Panel(SKCanvas canvas, double[] map, double scale, int x0, int y0)
    {
        var nside = Healpix.nsideOfNpix(map.Length)!.Value;
        using var bitmap = new SKBitmap(PanelWidth, PanelHeight);
        var sqrt2 = Math.Sqrt(2);
        for (var j = 0; j < PanelHeight; j++)
            for (var i = 0; i < PanelWidth; i++)
            {
                var x = (2.0 * (i + 0.5) / PanelWidth - 1.0) * 2 * sqrt2;
                var y = (1.0 - 2.0 * (j + 0.5) / PanelHeight) * sqrt2;
                if (x * x / 8 + y * y / 2 > 1) { bitmap.SetPixel(i, j, SKColors.White); continue; }
                var aux = Math.Asin(y / sqrt2);
                var lat = Math.Asin(Math.Clamp((2 * aux + Math.Sin(2 * aux)) / Math.PI, -1, 1));
                var lon = Math.PI * x / (2 * sqrt2 * Math.Cos(aux));
                var phi = -lon;
                if (phi < 0) phi += 2 * Math.PI;
                var p = Healpix.ang2pixRing(nside, Math.PI / 2 - lat, Math.Min(phi, 2 * Math.PI - 1e-12));
                bitmap.SetPixel(i, j, Diverging(map[p] / scale));
            }
        canvas.DrawBitmap(bitmap, x0, y0);
    }

    static double Percentile(double[] v, double q)
    {
        var s = v.OrderBy(x => x).ToArray();
        return s[(int)Math.Min(s.Length - 1, Math.Round(q * (s.Length - 1)))];
    }

    /// <summary>A PNG of titled maps, `columns` per row, each with its colour bar; the heading's second line says
    /// what the colours are (<paramref name="units"/>).</summary>
    public static void Grid(string path, IReadOnlyList<(string Title, double[] Map)> panels, int columns, string heading, string units)
    {
        var rows = (panels.Count + columns - 1) / columns;
        var width = columns * (PanelWidth + Margin) + Margin;
        var height = Heading + rows * (PanelHeight + Title + Bar + Margin) + Margin;
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = Plots.Font is string family ? SKTypeface.FromFamilyName(family) : SKTypeface.Default;
        using var font = new SKFont(typeface, 16);
        using var bold = new SKFont(typeface, 20);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.DrawText(heading, Margin, 28, bold, ink);
        canvas.DrawText(units, Margin, 52, font, ink);
        for (var k = 0; k < panels.Count; k++)
        {
            var x0 = Margin + (k % columns) * (PanelWidth + Margin);
            var y0 = Heading + (k / columns) * (PanelHeight + Title + Bar + Margin);
            var scale = Scale(panels[k].Map);
            canvas.DrawText(panels[k].Title, x0, y0 + 18, font, ink);
            Panel(canvas, panels[k].Map, scale, x0, y0 + Title);
            ColourBar(canvas, scale, x0, y0 + Title + PanelHeight, font, ink);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        Files.Write(path, s => data.SaveTo(s));
    }

    /// <summary>The map with its monopole and dipole (a_ℓm, ℓ ≤ 1, pixel-sum estimate) removed.</summary>
    public static double[] WithoutMonopoleDipole(double[] map)
    {
        var nside = Healpix.nsideOfNpix(map.Length)!.Value;
        var low = Sky.alm2map(Healpix.rings(nside), Sky.map2alm(map, 1, 0));
        return map.Select((v, i) => v - low[i]).ToArray();
    }
}
