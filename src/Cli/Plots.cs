using ScottPlot;
using SkyMix.Io;

namespace SkyMix.Cli;

/// <summary>PNG figures (ScottPlot, headless). Labels are ASCII: a bare machine may have no font with ℓ.</summary>
public static class Plots
{
    const int Width = 900, Height = 650;

    /// <summary>Log-log C_ℓ/C_1 for each spectrum, with its power law over ℓ = 5…30 when fitted.</summary>
    public static void Spectra(string path, IReadOnlyList<(string Label, double[] ClOverC1, Microsoft.FSharp.Core.FSharpOption<double>? Index)> spectra, int lmax)
    {
        var plt = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < spectra.Count; i++)
        {
            var (label, ratio, index) = spectra[i];
            var ls = Enumerable.Range(1, ratio.Length - 1).ToArray();
            var color = palette.GetColor(i);
            var line = plt.Add.ScatterLine(ls.Select(l => Math.Log10(l)).ToArray(), ls.Select(l => Math.Log10(ratio[l])).ToArray());
            line.LegendText = label;
            line.Color = color;
            line.LineWidth = 2;
            if (index is not null && ratio.Length > 30)
            {
                // the power law through the fit range, anchored at the geometric mean of ℓ = 5…30
                var lo = 5; var hi = Math.Min(30, ratio.Length - 1);
                var mx = Enumerable.Range(lo, hi - lo + 1).Average(l => Math.Log10(l));
                var my = Enumerable.Range(lo, hi - lo + 1).Average(l => Math.Log10(ratio[l]));
                double Fit(double x) => my + index.Value * (x - mx);
                var fit = plt.Add.ScatterLine(new[] { Math.Log10(2), Math.Log10(lmax) }, new[] { Fit(Math.Log10(2)), Fit(Math.Log10(lmax)) });
                fit.Color = color;
                fit.LinePattern = LinePattern.Dashed;
                fit.LegendText = $"  power law, index {index.Value:F2}";
            }
        }
        LogAxis(plt.Axes.Bottom);
        LogAxis(plt.Axes.Left);
        plt.Axes.Bottom.Label.Text = "multipole l";
        plt.Axes.Left.Label.Text = "C_l / C_1";
        plt.Title("Steady-state angular power spectrum (mixing matrix)");
        plt.ShowLegend(Alignment.UpperRight);
        Save(plt, path);
    }

    /// <summary>Ticks at powers of ten for data plotted as log10.</summary>
    public static void LogAxis(ScottPlot.IAxis axis)
    {
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Math.Pow(10, v).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Saves a PNG atomically.</summary>
    public static void Save(Plot plt, string path) =>
        Files.Write(path, s => s.Write(plt.GetImageBytes(Width, Height, ImageFormat.Png)));
}
