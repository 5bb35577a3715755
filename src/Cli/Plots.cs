using ScottPlot;
using SkyMix.Runs;
using SkyMix.Theory;

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
            if (index is not null && ratio.Length > 6)
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
        FinishLogLog(plt, path, "multipole l", "C_l / C_1", "Steady-state angular power spectrum (mixing matrix)", Alignment.UpperRight);
    }

    /// <summary>C_ℓ/C_1 at ℓ = 2, 10, 30 against ℓ_max, both boundaries (absorbing: solid, zero flux: dashed), one
    /// colour per ℓ; the first spectrum of the list (the others are in the CSV).</summary>
    public static void LmaxScan(string path, IReadOnlyList<(string Label, SkyMix.Theory.Api.ScanRow[] Rows)> scans)
    {
        var plt = new Plot();
        var (label, rows) = scans[0];
        var ells = new[] { 2, 10, 30 };
        for (var i = 0; i < ells.Length; i++)
        {
            var l = ells[i];
            foreach (var zeroFlux in new[] { false, true })
            {
                var pick = rows.Where(r => r.Boundary.IsZeroFlux == zeroFlux && r.Lmax >= l).ToArray();
                if (pick.Length == 0) continue;
                var line = plt.Add.ScatterLine(pick.Select(r => Math.Log10(r.Lmax)).ToArray(), pick.Select(r => Math.Log10(r.ClOverC1[l])).ToArray());
                line.Color = ColorOf(i);
                line.LineWidth = 2;
                line.MarkerSize = 6;
                line.LinePattern = zeroFlux ? LinePattern.Dashed : LinePattern.Solid;
                line.LegendText = $"C_{l}/C_1, {(zeroFlux ? "zero-flux boundary" : "absorbing (paper)")}";
            }
        }
        FinishLogLog(plt, path, "truncation l_max", "C_l / C_1", $"Steady state against the truncation l_max: {label}", null);
    }

    /// <summary>Points with vertical error bars on log10 axes (a bar reaching ≤ 0 is drawn to the bottom).</summary>
    static void ErrorPoints(Plot plt, double[] x, double[] y, double[] err, ScottPlot.Color color, string label, MarkerShape shape = MarkerShape.FilledCircle)
    {
        var keep = Enumerable.Range(0, x.Length).Where(i => y[i] > 0 && double.IsFinite(y[i])).ToArray();
        var lx = keep.Select(i => Math.Log10(x[i])).ToArray();
        var ly = keep.Select(i => Math.Log10(y[i])).ToArray();
        var bottom = ly.Length > 0 ? ly.Min() - 1 : 0;
        foreach (var i in keep)
        {
            var lo = y[i] - err[i] > 0 ? Math.Log10(y[i] - err[i]) : bottom;
            var bar = plt.Add.Line(Math.Log10(x[i]), lo, Math.Log10(x[i]), Math.Log10(y[i] + err[i]));
            bar.Color = color;
            bar.LineWidth = 1;
        }
        var pts = plt.Add.ScatterPoints(lx, ly);
        pts.Color = color;
        pts.MarkerShape = shape;
        pts.MarkerSize = 7;
        pts.LegendText = label;
    }

    static ScottPlot.Color ColorOf(int i) => new ScottPlot.Palettes.Category10().GetColor(i);

    /// <summary>Fig. 5: C_ℓ^sub/C_1^sub with jackknife errors and the fitted mixing-matrix curve, per rigidity.</summary>
    public static void SpectraFits(string path, IReadOnlyList<FolderFit> fits)
    {
        var plt = new Plot();
        for (var i = 0; i < fits.Count; i++)
        {
            var f = fits[i];
            var top = Math.Min(f.Fit.Observed.Ratio.Length - 1, Math.Max(f.Fit.Fit.LFit, 10));
            var ls = Enumerable.Range(2, top - 1).Select(l => (double)l).ToArray();
            ErrorPoints(plt, ls, ls.Select(l => f.Fit.Observed.Ratio[(int)l]).ToArray(), ls.Select(l => f.Fit.Observed.Err[(int)l]).ToArray(),
                        ColorOf(i), $"{FitFiles.Label(f.Study.Settings)}, OmegaT = {f.Fit.Time:G3}");
            var ml = Enumerable.Range(1, Math.Min(f.Fit.Model.Length - 1, 60)).ToArray();
            var line = plt.Add.ScatterLine(ml.Select(l => Math.Log10(l)).ToArray(), ml.Select(l => Math.Log10(f.Fit.Model[l])).ToArray());
            line.Color = ColorOf(i);
            line.LegendText = $"  mixing matrix, Omega dT = {f.Fit.Fit.OmegaDT:F1}";
        }
        FinishLogLog(plt, path, "multipole l", "C_l^sub / C_1^sub", "Fig. 5: simulated spectra and fitted mixing-matrix spectra", Alignment.LowerLeft);
    }

    /// <summary>Fig. 6: ΩΔT against Ωτ_s with the fitted laws.</summary>
    public static void Law(string path, IReadOnlyList<FolderFit> fits, FitRun.Law? law)
    {
        var plt = new Plot();
        var inside = fits.Where(f => !f.Fit.Fit.AtEdge).ToList();
        var edge = fits.Where(f => f.Fit.Fit.AtEdge).ToList();
        double[] E(List<FolderFit> fs) => fs.Select(f => Math.Max(f.Fit.Fit.Sigma, f.Fit.JackknifeSigma)).ToArray();
        ErrorPoints(plt, inside.Select(f => f.Fit.OmegaTauSQlt).ToArray(), inside.Select(f => f.Fit.Fit.OmegaDT).ToArray(), E(inside), ColorOf(0), "tau_s from QLT");
        ErrorPoints(plt, inside.Select(f => f.Fit.OmegaTauSSim).ToArray(), inside.Select(f => f.Fit.Fit.OmegaDT).ToArray(), E(inside), ColorOf(1),
                    "tau_s = 3 K_zz from the simulation", MarkerShape.OpenSquare);
        if (edge.Count > 0)
            ErrorPoints(plt, edge.Select(f => f.Fit.OmegaTauSQlt).ToArray(), edge.Select(f => f.Fit.Fit.OmegaDT).ToArray(), new double[edge.Count], ColorOf(3),
                        "no fit: chi^2 minimum on the edge of the range", MarkerShape.Cross);
        var all = fits.Select(f => f.Fit.OmegaTauSQlt).Concat(fits.Select(f => f.Fit.OmegaTauSSim)).ToArray();
        var xs = new[] { Math.Log10(all.Min() / 1.5), Math.Log10(all.Max() * 1.5) };
        void Curve(double a, double b, ScottPlot.Color c, string label, LinePattern pattern)
        {
            var l = plt.Add.ScatterLine(xs, xs.Select(x => Math.Log10(a) + b * x).ToArray());
            l.Color = c;
            l.LinePattern = pattern;
            l.LegendText = label;
        }
        if (law is not null)
        {
            Curve(law.Qlt.A, 1.0 / 3.0, ColorOf(0), $"a (tau_s^QLT)^(1/3), a = {law.Qlt.A:F2} +- {law.Qlt.AErr:F2}", LinePattern.Solid);
            Curve(law.Simulated.A, 1.0 / 3.0, ColorOf(1), $"a (tau_s^sim)^(1/3), a = {law.Simulated.A:F2} +- {law.Simulated.AErr:F2}", LinePattern.Dashed);
            Curve(law.Free.A, law.Free.Exponent, ColorOf(2), $"free exponent {law.Free.Exponent:F2} +- {law.Free.ExponentErr:F2}", LinePattern.Dotted);
        }
        Curve(4.0, 1.0 / 3.0, ScottPlot.Colors.Gray, "paper: 4 (tau_s)^(1/3)", LinePattern.DenselyDashed);
        FinishLogLog(plt, path, "Omega tau_s", "best-fit Omega Delta T", "Fig. 6: the free parameter against the scattering time", Alignment.UpperLeft);
    }

    /// <summary>Fig. 4: ⟨C_ℓ⟩^num(T) for several ℓ, the noise level, the total and the noise-subtracted power.</summary>
    public static void ClVersusTime(string path, EnsembleStats e, int[] ls, string title)
    {
        var plt = new Plot();
        var lt = e.Times.Select(Math.Log10).ToArray();
        for (var i = 0; i < ls.Length; i++)
        {
            var l = ls[i];
            var keep = Enumerable.Range(0, e.Times.Length).Where(t => e.ClNum[t][l] > 0).ToArray();
            var line = plt.Add.ScatterLine(keep.Select(t => lt[t]).ToArray(), keep.Select(t => Math.Log10(e.ClNum[t][l])).ToArray());
            line.Color = ColorOf(i);
            line.LineWidth = 2;
            line.LegendText = $"C_{l}";
        }
        var noise = plt.Add.ScatterLine(lt, e.Noise.Select(Math.Log10).ToArray());
        noise.Color = ScottPlot.Colors.Black;
        noise.LinePattern = LinePattern.Dashed;
        noise.LegendText = "noise N (self-consistent)";
        var nl = e.ClNum[0].Length;
        var total = e.Times.Select((_, t) => Enumerable.Range(0, nl).Sum(l => (2 * l + 1) * e.ClNum[t][l])).ToArray();
        var sub = e.Times.Select((_, t) => Enumerable.Range(1, nl * 2 / 3 - 1).Sum(l => (2 * l + 1) * e.ClSub[t][l])).ToArray();
        var tot = plt.Add.ScatterLine(lt, total.Select(Math.Log10).ToArray());
        tot.Color = ScottPlot.Colors.Black;
        tot.LineWidth = 2;
        tot.LegendText = "total power sum (2l+1) C_l^num";
        var keepSub = Enumerable.Range(0, sub.Length).Where(t => sub[t] > 0).ToArray();
        var s = plt.Add.ScatterLine(keepSub.Select(t => lt[t]).ToArray(), keepSub.Select(t => Math.Log10(sub[t])).ToArray());
        s.Color = ScottPlot.Colors.Green;
        s.LinePattern = LinePattern.Dotted;
        s.LineWidth = 2;
        s.LegendText = "noise-subtracted power, l < 2 Nside";
        FinishLogLog(plt, path, "backtracking time Omega T", "C_l  [(c/Omega)^2 |grad f/f|^2]", title, Alignment.UpperLeft);
    }

    /// <summary>Fig. 7: dipole strengths against rigidity (units (L_c ∇f̄/f̄)²).</summary>
    public static void Dipoles(string path, IReadOnlyList<FolderFit> fits)
    {
        var plt = new Plot();
        var x = fits.Select(f => f.Study.Settings.RigidityVolts ?? f.Study.Settings.Rho).ToArray();
        var u = fits.Select(f => FitFiles.DipoleUnit(f.Study)).ToArray();
        ErrorPoints(plt, x, fits.Select((f, i) => f.Fit.C1Sub * u[i]).ToArray(), fits.Select((f, i) => f.Fit.C1SubErr * u[i]).ToArray(), ColorOf(1), "<C_1>^sub");
        ErrorPoints(plt, x, fits.Select((f, i) => f.Fit.C1Qlt * u[i]).ToArray(), new double[fits.Count], ColorOf(2), "<C_1>^QLT = 4 pi |<Phi>|^2", MarkerShape.OpenCircle);
        void Curve(double[] y, ScottPlot.Color c, string label, LinePattern p)
        {
            var l = plt.Add.ScatterLine(x.Select(Math.Log10).ToArray(), y.Select(Math.Log10).ToArray());
            l.Color = c;
            l.LinePattern = p;
            l.LegendText = label;
        }
        Curve(fits.Select((f, i) => f.Fit.C1Mat * u[i]).ToArray(), ColorOf(0), "C_1^mat", LinePattern.Solid);
        Curve(fits.Select((f, i) => f.Fit.C1Mat * u[i] / (f.Fit.CosAlpha * f.Fit.CosAlpha)).ToArray(), ColorOf(0), "C_1^mat / <cos alpha>^2", LinePattern.Dashed);
        FinishLogLog(plt, path, fits[0].Study.Settings.RigidityVolts is null ? "rho" : "rigidity [V]", "C_1  [(L_c |grad f/f|)^2]", "Fig. 7: dipole strengths", Alignment.UpperLeft);
    }

    /// <summary>Ticks at powers of ten for data plotted as log10.</summary>
    /// <summary>Log-log axes with their labels, the title and the legend; saves the PNG.</summary>
    /// <summary>Log axes, labels, title and the legend: inside at <paramref name="legend"/>, or outside on the
    /// right when null (for curves that fill the whole frame).</summary>
    static void FinishLogLog(Plot plt, string path, string x, string y, string title, Alignment? legend)
    {
        LogAxis(plt.Axes.Bottom);
        LogAxis(plt.Axes.Left);
        plt.Axes.Bottom.Label.Text = x;
        plt.Axes.Left.Label.Text = y;
        plt.Title(title);
        if (legend is Alignment inside) plt.ShowLegend(inside);
        else plt.ShowLegend(Edge.Right);
        Save(plt, path);
    }

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
