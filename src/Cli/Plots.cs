using ScottPlot;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli;

/// <summary>
/// PNG figures (ScottPlot, headless) on log–log axes. Labels use the symbols of the paper (ℓ, Ω, Δ, τ, ±, subscripts)
/// in the first installed font that has ℓ (<see cref="Font"/>).
/// </summary>
public static class Plots
{
    const int Width = 900, Height = 650;

    /// <summary>The predicted C_ℓ/C_1 of each case, with its power law drawn over the ℓ range it was fitted on, and
    /// the inputs (η, q, ΩΔT, ℓ_max) written on the figure.</summary>
    public static void Spectra(string path, IReadOnlyList<PredictedCase> cases, string truncation)
    {
        var plt = new Plot();
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var ratio = c.Result.MainClOverC1;
            var ls = Enumerable.Range(1, ratio.Length - 1).Where(l => ratio[l] > 0).ToArray();
            var line = plt.Add.ScatterLine(ls.Select(l => Math.Log10(l)).ToArray(), ls.Select(l => Math.Log10(ratio[l])).ToArray());
            line.LegendText = $"{CaseLabel(c)}, ΩΔT = {c.Result.OmegaDT:F1}";
            line.Color = ColorOf(i);
            line.LineWidth = 2;
            if (c.Result.Index is { } index)
            {
                // the power law of Prediction.Index (SteadyState.powerLaw over ℓ = 5 … min(30, top)), drawn where it was fitted
                var hi = Math.Min(30, ratio.Length - 1);
                var (slope, amplitude) = SteadyState.powerLaw(ratio, 5, hi).ToValueTuple();
                var x = new[] { Math.Log10(5), Math.Log10(hi) };
                var law = plt.Add.ScatterLine(x, x.Select(v => Math.Log10(amplitude) + slope * v).ToArray());
                law.Color = ColorOf(i);
                law.LinePattern = LinePattern.Dashed;
                law.LineWidth = 3;
                law.LegendText = $"   power law ℓ^{index.Value:F2}, fitted on ℓ = 5–{hi}";
            }
        }
        var first = cases[0].Input;
        Note(plt, $"η = {first.Eta:G6}, q = {first.Q:G4}, {truncation}", Alignment.LowerLeft);
        Finish(plt, path, "multipole ℓ", "Cℓ / C₁", "Steady-state spectrum of the mixing equation (eq. 20)", Alignment.UpperRight);
    }

    static string CaseLabel(PredictedCase c) =>
        c.RigidityVolts is double r ? $"{Units.rigidityText(" ", r)} (ρ = {Number(c.Input.Rho)})" : $"ρ = {Number(c.Input.Rho)}";

    /// <summary>A text box in a corner of the frame, in the figure's font on white.</summary>
    static void Note(Plot plt, string text, Alignment corner)
    {
        var note = plt.Add.Annotation(text, corner);
        if (Font is string family) note.LabelFontName = family;
        note.LabelBackgroundColor = ScottPlot.Colors.White;
        note.LabelFontSize = 13;
    }

    /// <summary>C_ℓ/C_1 at ℓ = 2, 10, 30 against ℓ_max, both boundaries (absorbing: solid, zero flux: dashed), one
    /// colour per ℓ; the first spectrum of the list (the others are in the CSV).</summary>
    public static void LmaxScan(string path, IReadOnlyList<(string Label, Api.ScanRow[] Rows)> scans)
    {
        var plt = new Plot();
        // one colour per rigidity; ℓ by the marker; the boundary by the line
        var ells = scans.Count == 1 ? new[] { (2, MarkerShape.FilledCircle), (10, MarkerShape.FilledSquare), (30, MarkerShape.FilledTriangleUp) }
                                    : new[] { (2, MarkerShape.FilledCircle), (10, MarkerShape.FilledSquare) };
        for (var k = 0; k < scans.Count; k++)
        {
            var (label, rows) = scans[k];
            foreach (var (l, marker) in ells)
                foreach (var zeroFlux in new[] { false, true })
                {
                    var pick = rows.Where(r => r.Boundary.IsZeroFlux == zeroFlux && r.Lmax >= l).ToArray();
                    if (pick.Length == 0) continue;
                    var line = plt.Add.ScatterLine(pick.Select(r => Math.Log10(r.Lmax)).ToArray(), pick.Select(r => Math.Log10(r.ClOverC1[l])).ToArray());
                    line.Color = ColorOf(scans.Count == 1 ? Array.FindIndex(ells, e => e.Item1 == l) : k);
                    line.LineWidth = 2;
                    line.MarkerSize = 7;
                    line.MarkerShape = marker;
                    line.LinePattern = zeroFlux ? LinePattern.Dashed : LinePattern.Solid;
                    line.LegendText = $"{(scans.Count > 1 ? label + ": " : "")}C{Sub(l)}/C₁, {(zeroFlux ? "zero-flux boundary (dashed)" : "absorbing, the paper's (solid)")}";
                }
        }
        // several rigidities are named in the legend: a title listing them all runs off the figure
        var title = scans.Count == 1 ? $"Steady state against the truncation ℓmax: {scans[0].Label}" : "Steady state against the truncation ℓmax";
        Finish(plt, path, "truncation ℓmax", "Cℓ / C₁", title, null);
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

    /// <summary>Fig. 5: C_ℓ^sub/C_1^sub with jackknife errors and the fitted mixing-matrix curve, per run.</summary>
    public static void SpectraFits(string path, IReadOnlyList<FolderFit> fits)
    {
        var plt = new Plot();
        for (var i = 0; i < fits.Count; i++)
        {
            var f = fits[i];
            var top = Math.Min(f.Fit.Observed.Ratio.Length - 1, Math.Max(f.Fit.Fit.LFit, 10));
            var ls = Enumerable.Range(2, top - 1).Select(l => (double)l).ToArray();
            // a log axis cannot show C_ℓ^sub ≤ 0 (noise subtraction can give it): the legend says how many are left out
            var hidden = ls.Count(l => !(f.Fit.Observed.Ratio[(int)l] > 0));
            ErrorPoints(plt, ls, ls.Select(l => f.Fit.Observed.Ratio[(int)l]).ToArray(), ls.Select(l => f.Fit.Observed.Err[(int)l]).ToArray(),
                        ColorOf(i), $"{FitFiles.LabelAmong(fits, f)}, ΩT = {f.Fit.Time:G3} (± jackknife)" +
                                    (hidden > 0 ? $"; {hidden} point{(hidden > 1 ? "s" : "")} ≤ 0 not shown" : ""));
            var ml = Enumerable.Range(1, Math.Min(f.Fit.Model.Length - 1, Math.Max(60, top))).ToArray();
            var line = plt.Add.ScatterLine(ml.Select(l => Math.Log10(l)).ToArray(), ml.Select(l => Math.Log10(f.Fit.Model[l])).ToArray());
            line.Color = ColorOf(i);
            line.LegendText = f.Fit.Fit.AtEdge
                ? $"   mixing equation at the edge ΩΔT = {f.Fit.Fit.OmegaDT:F1} (no fit)"
                : $"   mixing equation, best ΩΔT = {f.Fit.Fit.OmegaDT:F1}, χ²/dof = {f.Fit.Fit.ReducedChiSquare:F1}";
        }
        Finish(plt, path, "multipole ℓ", "Cℓ / C₁, noise-subtracted", "Fig. 5: simulated spectra and the fitted mixing-equation spectra", Alignment.LowerLeft);
    }

    /// <summary>Fig. 6: ΩΔT against Ωτ_s with the fitted laws; with one run (or fewer than two interior fits) the
    /// points and the paper's law alone, and a note that says so.</summary>
    public static void Law(string path, IReadOnlyList<FolderFit> fits, FitRun.Law? law)
    {
        var plt = new Plot();
        var inside = fits.Where(f => !f.Fit.Fit.AtEdge).ToList();
        var edge = fits.Where(f => f.Fit.Fit.AtEdge).ToList();
        double[] E(List<FolderFit> fs) => fs.Select(f => Math.Max(f.Fit.Fit.Sigma, f.Fit.JackknifeSigma)).ToArray();
        // one colour per turbulence level when there are several (filled: τs from QLT, open: from the simulation)
        var etas = fits.Select(f => f.Study.Settings.Eta).Distinct().Order().ToList();
        foreach (var (eta, k) in etas.Select((e, k) => (e, k)))
        {
            var these = inside.Where(f => f.Study.Settings.Eta == eta).ToList();
            var tag = etas.Count > 1 ? $"η = {eta:G3}: " : "";
            var (cQlt, cSim) = etas.Count > 1 ? (ColorOf(3 + k), ColorOf(3 + k)) : (ColorOf(0), ColorOf(1));
            ErrorPoints(plt, these.Select(f => f.Fit.OmegaTauSQlt).ToArray(), these.Select(f => f.Fit.Fit.OmegaDT).ToArray(), E(these), cQlt, tag + "τs from QLT");
            ErrorPoints(plt, these.Select(f => f.Fit.OmegaTauSSim).ToArray(), these.Select(f => f.Fit.Fit.OmegaDT).ToArray(), E(these), cSim,
                        tag + "τs = 3Kzz from the simulation", MarkerShape.OpenSquare);
        }
        if (edge.Count > 0)
            ErrorPoints(plt, edge.Select(f => f.Fit.OmegaTauSQlt).ToArray(), edge.Select(f => f.Fit.Fit.OmegaDT).ToArray(), new double[edge.Count], ScottPlot.Colors.Black,
                        "no fit: χ² minimum at the edge of the range", MarkerShape.Cross);
        var across = etas.Count > 1 ? $" (all {etas.Count} η)" : "";
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
            Curve(law.Qlt.A, 1.0 / 3.0, ColorOf(0), $"a(Ωτs)^1/3 with QLT τs{across}: a = {law.Qlt.A:F2} ± {law.Qlt.AErr:F2}", LinePattern.Solid);
            Curve(law.Simulated.A, 1.0 / 3.0, ColorOf(1), $"a(Ωτs)^1/3 with simulated τs{across}: a = {law.Simulated.A:F2} ± {law.Simulated.AErr:F2}", LinePattern.Dashed);
            Curve(law.Free.A, law.Free.Exponent, ColorOf(2), $"free exponent{across} {law.Free.Exponent:F2} ± {law.Free.ExponentErr:F2}", LinePattern.Dotted);
        }
        Curve(Defaults.Predict.lawA, 1.0 / 3.0, ScottPlot.Colors.Gray, $"paper: {Defaults.Predict.lawA:G3}(Ωτs)^1/3", LinePattern.DenselyDashed);
        Note(plt, "error bars: the larger of the Δχ² = 1 interval and the jackknife error" +
                           (law is null ? "\nno law fitted: it needs interior fits at two or more rigidities" : ""), Alignment.LowerRight);
        // the note sits in the lower right, under the data: no-fit markers lie on the lower edge of the ΩΔT range
        Finish(plt, path, "Ωτs", "best-fit ΩΔT", "Fig. 6: the free parameter ΩΔT against the scattering time", Alignment.UpperLeft, roomBelow: 0.3);
    }

    /// <summary>Fig. 4: ⟨C_ℓ⟩^num(T) for several ℓ, the noise level, the total and the noise-subtracted power; the
    /// legend sits outside the frame.</summary>
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
            line.LegendText = $"C{Sub(l)}";
        }
        var positiveNoise = Enumerable.Range(0, e.Times.Length).Where(t => e.Noise[t] > 0).ToArray();
        var noise = plt.Add.ScatterLine(positiveNoise.Select(t => lt[t]).ToArray(), positiveNoise.Select(t => Math.Log10(e.Noise[t])).ToArray());
        noise.Color = ScottPlot.Colors.Black;
        noise.LinePattern = LinePattern.Dashed;
        noise.LegendText = "shot noise N";
        var nl = e.ClNum[0].Length;
        var total = e.Times.Select((_, t) => Enumerable.Range(0, nl).Sum(l => (2 * l + 1) * e.ClNum[t][l])).ToArray();
        var sub = e.Times.Select((_, t) => Enumerable.Range(1, nl * 2 / 3 - 1).Sum(l => (2 * l + 1) * e.ClSub[t][l])).ToArray();
        var tot = plt.Add.ScatterLine(lt, total.Select(Math.Log10).ToArray());
        tot.Color = ScottPlot.Colors.Black;
        tot.LineWidth = 2;
        tot.LegendText = "total power Σ(2ℓ+1)Cℓ";
        var keepSub = Enumerable.Range(0, sub.Length).Where(t => sub[t] > 0).ToArray();
        var s = plt.Add.ScatterLine(keepSub.Select(t => lt[t]).ToArray(), keepSub.Select(t => Math.Log10(sub[t])).ToArray());
        s.Color = ScottPlot.Colors.Green;
        s.LinePattern = LinePattern.Dotted;
        s.LineWidth = 2;
        s.LegendText = "noise-subtracted power, ℓ < 2Nside";
        Finish(plt, path, "backtracking time ΩT", "Cℓ  [(c/Ω)² |∇⟨f⟩/⟨f⟩|²]", title, null);
    }

    /// <summary>Fig. 7: dipole strengths against rigidity (units (L_c ∇f̄/f̄)²), the axis in TV/PV.</summary>
    public static void Dipoles(string path, IReadOnlyList<FolderFit> all)
    {
        var plt = new Plot();
        var physical = all.All(f => f.Study.Settings.RigidityVolts is not null);
        // one set of points and curves per turbulence level, each ordered along the axis
        var levels = all.GroupBy(f => f.Study.Settings.Eta).OrderBy(g => g.Key).ToList();
        foreach (var (level, k) in levels.Select((g, k) => (g, k)))
        {
            var fits = level.OrderBy(f => physical ? f.Study.Settings.RigidityVolts!.Value : f.Study.Settings.Rho).ToList();
            var tag = levels.Count > 1 ? $"η = {level.Key:G3}: " : "";
            DipoleSet(plt, fits, physical, tag, levels.Count > 1 ? 3 * k : 0);
        }
        Finish(plt, path, physical ? "rigidity" : "ρ = rg/Lc", "C₁  [(Lc |∇⟨f⟩/⟨f⟩|)²]", "Fig. 7: dipole strengths", Alignment.UpperLeft,
               physical ? v => Units.rigidityText(" ", v) : null);
    }

    /// <summary>The dipole points and mixing-matrix curves of one turbulence level (colours from <paramref name="colour"/> on).</summary>
    static void DipoleSet(Plot plt, IReadOnlyList<FolderFit> fits, bool physical, string tag, int colour)
    {
        var x = fits.Select(f => physical ? f.Study.Settings.RigidityVolts!.Value : f.Study.Settings.Rho).ToArray();
        var u = fits.Select(f => FitFiles.DipoleUnit(f.Study)).ToArray();
        ErrorPoints(plt, x, fits.Select((f, i) => f.Fit.C1Sub * u[i]).ToArray(), fits.Select((f, i) => f.Fit.C1SubErr * u[i]).ToArray(), ColorOf(colour + 1), tag + "⟨C₁⟩ noise-subtracted (± jackknife)");
        ErrorPoints(plt, x, fits.Select((f, i) => f.Fit.C1Qlt * u[i]).ToArray(), new double[fits.Count], ColorOf(colour + 2), tag + "⟨C₁⟩ of QLT = 4π|⟨Φ⟩|²", MarkerShape.OpenCircle);
        void Curve(double[] y, ScottPlot.Color c, string label, LinePattern p)
        {
            var l = plt.Add.ScatterLine(x.Select(Math.Log10).ToArray(), y.Select(Math.Log10).ToArray());
            l.Color = c;
            l.LinePattern = p;
            l.LegendText = label;
        }
        Curve(fits.Select((f, i) => f.Fit.C1Mat * u[i]).ToArray(), ColorOf(colour), tag + "C₁ of the mixing matrix", LinePattern.Solid);
        Curve(fits.Select((f, i) => f.Fit.C1Mat * u[i] / (f.Fit.CosAlpha * f.Fit.CosAlpha)).ToArray(), ColorOf(colour), tag + "C₁ of the mixing matrix / ⟨cos α⟩²", LinePattern.Dashed);
    }

    /// <summary>Log–log axes with readable ticks, the labels, title and legend (inside at <paramref name="legend"/>,
    /// or outside on the right when null, for curves that fill the frame); saves the PNG.</summary>
    static void Finish(Plot plt, string path, string x, string y, string title, Alignment? legend, Func<double, string>? xLabel = null,
                       double roomBelow = 0)
    {
        if (Font is string family) plt.Font.Set(family);
        plt.Axes.AutoScale();
        // roomBelow: a free band under the data (a fraction of its height) for a note in a lower corner
        var data = plt.Axes.GetLimits();
        plt.Axes.SetLimitsY(data.Bottom - roomBelow * (data.Top - data.Bottom), data.Top);
        var limits = plt.Axes.GetLimits();
        LogTicks(plt.Axes.Bottom, limits.Left, limits.Right, xLabel ?? LogTickLabel);
        LogTicks(plt.Axes.Left, limits.Bottom, limits.Top, LogTickLabel);
        plt.Axes.Bottom.Label.Text = x;
        plt.Axes.Left.Label.Text = y;
        plt.Title(title);
        if (legend is Alignment inside) plt.ShowLegend(inside);
        else plt.ShowLegend(Edge.Right);
        Save(plt, path);
    }

    /// <summary>Ticks for data plotted as log10 between lo and hi: every power of ten labelled (every other one
    /// when there are more than eight), with 2 and 5 labelled too when the range is under two decades, and minor
    /// ticks at 2 … 9.</summary>
    static void LogTicks(IAxis axis, double lo, double hi, Func<double, string> label)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var decades = hi - lo;
        var stride = decades > 8 ? 2 : 1;
        for (var e = (int)Math.Floor(lo); e <= (int)Math.Ceiling(hi); e++)
            for (var m = 1; m <= 9; m++)
            {
                var v = Math.Log10(m) + e;
                if (v < lo || v > hi) continue;
                var major = m == 1 ? e % stride == 0 : decades < 2 && (m == 2 || m == 5);
                if (major) ticks.AddMajor(v, label(Math.Pow(10, v)));
                else ticks.AddMinor(v);
            }
        axis.TickGenerator = ticks;
    }

    /// <summary>A tick value (1, 2 or 5 times a power of ten): plain between 0.001 and 10⁴ (1000, 0.02), else as
    /// a power of ten (10⁻⁵, 2·10⁶).</summary>
    static string LogTickLabel(double v) => Number(v, 1);

    /// <summary>A number to <paramref name="digits"/> significant digits: plain between 0.001 and 10⁴, else with a
    /// power of ten in superscript (9.01·10⁻⁵).</summary>
    static string Number(double v, int digits = 3)
    {
        var e = (int)Math.Floor(Math.Log10(Math.Abs(v)) + 1e-9);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (e >= -3 && e <= 4) return Math.Round(v, Math.Max(0, digits - 1 - e)).ToString(invariant);
        var m = Math.Round(v / Math.Pow(10, e), digits - 1);
        var power = "10" + Superscript(e);
        return m == 1 ? power : $"{m.ToString(invariant)}·{power}";
    }

    /// <summary>The first installed font family with every symbol the labels use (ℓ, subscript digits, Ω, ⟨⟩),
    /// sans-serif families first; null when none has them all (the defaults are kept).</summary>
    public static readonly string? Font = FindFont();

    static string? FindFont()
    {
        var families = SkiaSharp.SKFontManager.Default.GetFontFamilies();
        foreach (var family in families.OrderBy(f => f.Contains("Sans") ? 0 : 1))
        {
            using var typeface = SkiaSharp.SKTypeface.FromFamilyName(family);
            if ("ℓ₁Ω⟨⟩τ∇".All(c => typeface.ContainsGlyph(c))) return family;
        }
        return null;
    }

    /// <summary>A whole number in subscript digits: C₁₀.</summary>
    static string Sub(int n) => new(n.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => "₀₁₂₃₄₅₆₇₈₉"[c - '0']).ToArray());

    static string Superscript(int e) =>
        new(e.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => c == '-' ? '⁻' : "⁰¹²³⁴⁵⁶⁷⁸⁹"[c - '0']).ToArray());

    /// <summary>Refuses a figure name whose extension says another format (SkyMix writes PNG only).</summary>
    public static void CheckName(string? path, string what)
    {
        if (path is null || path == Files.StandardOutput) return;
        var extension = Path.GetExtension(path);
        if (extension.Length > 0 && !extension.Equals(".png", StringComparison.OrdinalIgnoreCase))
            throw new InputError($"{what} {path}: SkyMix draws PNG figures; give a name ending in .png");
    }

    /// <summary>Saves a PNG (atomically, or into a FIFO, or to standard output for "-").</summary>
    public static void Save(Plot plt, string path) =>
        Files.Write(path, s => s.Write(plt.GetImageBytes(Width, Height, ImageFormat.Png)));
}
