using System.Globalization;
using SkyMix.CliArgs;
using SkyMix.Gpu;
using SkyMix.Io;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix fit RUN_DIR...</c>: ΩΔT per rigidity against the mixing matrix, the law ΩΔT = a(Ωτ_s)^{1/3}
/// across rigidities, and the dipole analysis; a table, fit.csv, fit.json and fig6_law.png.
/// </summary>
public static class Fit
{
    public static int Run(Parse.FitOptions o)
    {
        foreach (var d in o.Runs)
            if (!Directory.Exists(d)) throw new InputError(File.Exists(d) ? $"{d} is a file, not a run folder" : $"{d}: no such run folder");
        if (o.Runs.GroupBy(d => Path.GetFullPath(d).TrimEnd(Path.DirectorySeparatorChar)).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InputError($"{twice.First()} is given twice; name each run folder once");
        var options = Options(o.Lmax, o.LFit, o.Time);
        // every folder is checked before --out is made and the first (long) fit starts
        foreach (var dir in o.Runs) Analysis.Fittable(dir, options);
        Files.CheckFolder(o.Out, "--out");
        var fits = FitAll(o.Runs, options);
        var law = Analysis.Law(fits);
        Print(fits, law);
        Write(o.Out, fits, law);
        if (fits.Count >= 2) Plots.Law(Path.Combine(o.Out, "fig6_law.png"), fits, law);
        return 0;
    }

    public static FitOptions Options(int? lmax, int lfit, double time)
    {
        if (lmax is int n && (n < 4 || n > Api.MaxLmax)) throw new InputError($"--lmax must be auto or lie in 4 … {Api.MaxLmax}, got {n}");
        return new FitOptions { Lmax = lmax, LFit = lfit, Time = time };
    }


    /// <summary>Fits every run folder, ordered by ρ, reporting progress on stderr.</summary>
    public static List<RigidityFit> FitAll(IEnumerable<string> runs, FitOptions options)
    {
        var fits = new List<RigidityFit>();
        foreach (var dir in runs)
        {
            Console.Error.Write($"fit: {dir} ... ");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            fits.Add(Analysis.FitRun(dir, options));
            Console.Error.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s");
        }
        fits.Sort((a, b) => a.Settings.Rho.CompareTo(b.Settings.Rho));
        return fits;
    }

    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>A rigidity in the unit that reads best: 10 TV, 1.5 PV, 300 GV.</summary>
    public static string Rigidity(double volts) => volts switch
    {
        >= 1e15 => $"{F(volts / 1e15, "G4")} PV",
        >= 1e12 => $"{F(volts / 1e12, "G4")} TV",
        _ => $"{F(volts / 1e9, "G4")} GV",
    };

    public static string Label(RunSettings s) => s.RigidityVolts is double r
        ? Rigidity(r)
        : $"ρ = {F(s.Rho, "G3")}";

    /// <summary>The theory a fit used, in words.</summary>
    public static string Theory(RigidityFit f) => f.Boundary.IsZeroFlux
        ? $"ℓ_max → ∞ (zero-flux boundary, converged at ℓ_max = {f.TheoryLmax})"
        : $"the paper's truncation ℓ_max = {f.TheoryLmax}";

    /// <summary>The table of fits and the law, as Markdown (also the report's).</summary>
    public static IEnumerable<string> Table(IReadOnlyList<RigidityFit> fits, LawResult? law)
    {
        yield return "| rigidity | ρ | Ωτ_s (QLT) | Ωτ_s (sim) | ΩT used | ℓ_fit | ΩΔT | Δχ²=1 | jackknife | χ²/dof | ⟨cos α⟩ |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|";
        foreach (var f in fits)
            yield return $"| {Label(f.Settings)} | {F(f.Settings.Rho, "0.00e+00")} | {F(f.OmegaTauSQlt, "G4")} | {F(f.OmegaTauSSim, "G4")} ± {F(f.OmegaTauSSimErr, "G2")} | " +
                         $"{F(f.Time, "G4")} | {f.Fit.LFit} | {F(f.Fit.OmegaDT, "F2")}{(f.Fit.AtEdge ? " (edge: no fit)" : "")} | " +
                         $"[{(f.Fit.LowerOpen ? "< " : "")}{F(f.Fit.Lower, "F2")}, {(f.Fit.UpperOpen ? "> " : "")}{F(f.Fit.Upper, "F2")}] | ± {F(f.JackknifeSigma, "F2")} | " +
                         $"{F(f.Fit.ReducedChiSquare, "F2")} | {F(f.CosAlpha, "F3")} ± {F(f.CosAlphaErr, "F3")} |";
        yield return "";
        var edge = fits.Where(f => f.Fit.AtEdge).Select(f => Label(f.Settings)).ToList();
        if (edge.Count > 0)
            yield return $"No ΩΔT inside the search range fits at {string.Join(", ", edge)} (the χ² minimum lies on its edge); " +
                         "these are left out of the law.";
        if (law is null)
        {
            yield return "";
            yield return "No law: fewer than two rigidities have an interior ΩΔT fit.";
            yield break;
        }
        yield return "";
        yield return "| law | a | exponent | χ²/dof |";
        yield return "|---|---|---|---|";
        yield return $"| ΩΔT = a(Ωτ_s^QLT)^1/3 | {F(law.Qlt.A, "F2")} ± {F(law.Qlt.AErr, "F2")} | 1/3 (fixed) | {F(law.Qlt.ChiSquare / Math.Max(1, law.Qlt.Dof), "F2")} |";
        yield return $"| ΩΔT = a(Ωτ_s^sim)^1/3 | {F(law.Simulated.A, "F2")} ± {F(law.Simulated.AErr, "F2")} | 1/3 (fixed) | {F(law.Simulated.ChiSquare / Math.Max(1, law.Simulated.Dof), "F2")} |";
        yield return $"| ΩΔT = a(Ωτ_s^QLT)^b | {F(law.Free.A, "F2")} ± {F(law.Free.AErr, "F2")} | {F(law.Free.Exponent, "F3")} ± {F(law.Free.ExponentErr, "F3")} | " +
                     $"{(law.Free.Dof > 0 ? F(law.Free.ChiSquare / law.Free.Dof, "F2") : "– (2 points)")} |";
    }

    /// <summary>The dipole analysis of Sec. 3.3 as Markdown; C_1 in units of (L_c ∇f̄/f̄)².</summary>
    public static IEnumerable<string> Dipoles(IReadOnlyList<RigidityFit> fits)
    {
        yield return "| rigidity | ⟨C_1⟩^sub | ⟨C_1⟩^QLT = 4π⟨Φ⟩² | C_1^mat | C_1^mat/⟨cos α⟩² | ⟨C_1⟩^sub / C_1^mat |";
        yield return "|---|---|---|---|---|---|";
        foreach (var f in fits)
        {
            var u = DipoleUnit(f.Settings);
            yield return $"| {Label(f.Settings)} | {F(f.C1Sub * u, "0.000e+00")} ± {F(f.C1SubErr * u, "0.0e+00")} | {F(f.C1Qlt * u, "0.000e+00")} | " +
                         $"{F(f.C1Mat * u, "0.000e+00")} | {F(f.C1Mat * u / (f.CosAlpha * f.CosAlpha), "0.000e+00")} | {F(f.C1Sub / f.C1Mat, "F2")} |";
        }
    }

    /// <summary>(c/Ω)²/L_c² = ρ²/(1−η): converts C_1 from (c/Ω)²|∇f̄/f̄|² to (L_c ∇f̄/f̄)², common to all rigidities.</summary>
    public static double DipoleUnit(RunSettings s) => 1.0 / (s.LcTheory * s.LcTheory);

    static void Print(IReadOnlyList<RigidityFit> fits, LawResult? law)
    {
        Console.WriteLine("ΩΔT per rigidity (χ² of C_ℓ^sub/C_1^sub against the mixing equation over ℓ = 2 … ℓ_fit) and the law (eq. 51); theory: " +
                          string.Join(", ", fits.Select(f => $"{Label(f.Settings)} {Theory(f)}")) + ":");
        Console.WriteLine();
        foreach (var line in Table(fits, law)) Console.WriteLine(line);
        Console.WriteLine();
        Console.WriteLine("Dipoles (Sec. 3.3) in units of (L_c ∇f̄/f̄)²:");
        Console.WriteLine();
        foreach (var line in Dipoles(fits)) Console.WriteLine(line);
        Console.WriteLine();
        Console.WriteLine("How ΩΔT moves (variants):");
        foreach (var f in fits)
            Console.WriteLine($"  {Label(f.Settings)}: " + string.Join("; ", f.Variants.Select(v =>
                $"{v.What}{(v.What == "time" ? $" {F(v.Time, "G4")}" : "")}: {F(v.Fit.OmegaDT, "F2")} (χ²/dof {F(v.Fit.ReducedChiSquare, "F2")})")));
    }

    /// <summary>Booleans as pandas reads them (True/False).</summary>
    static string Bool(bool b) => b ? "True" : "False";

    static string N(double v) => Csv.Num(double.IsFinite(v) ? v : throw new InvalidOperationException($"non-finite fit result {v}"));

    public static void Write(string dir, IReadOnlyList<RigidityFit> fits, LawResult? law)
    {
        Files.WriteText(Path.Combine(dir, "fit.csv"), w =>
        {
            w.WriteLine("rho,rigidity_V,omega_tau_s_qlt,omega_tau_s_sim,omega_tau_s_sim_err,T,l_fit,omega_dt,omega_dt_lower,omega_dt_upper," +
                        "omega_dt_lower_open,omega_dt_upper_open,omega_dt_jackknife,chi2,dof,at_edge,c1_sub,c1_sub_err,c1_qlt,c1_mat,cos_alpha,cos_alpha_err,realizations");
            foreach (var f in fits)
                w.WriteLine(string.Join(",", N(f.Settings.Rho), f.Settings.RigidityVolts is double r ? N(r) : "", N(f.OmegaTauSQlt), N(f.OmegaTauSSim),
                    N(f.OmegaTauSSimErr), N(f.Time), f.Fit.LFit, N(f.Fit.OmegaDT), N(f.Fit.Lower), N(f.Fit.Upper),
                    Bool(f.Fit.LowerOpen), Bool(f.Fit.UpperOpen), N(f.JackknifeSigma),
                    N(f.Fit.ChiSquare), f.Fit.Dof, Bool(f.Fit.AtEdge), N(f.C1Sub), N(f.C1SubErr), N(f.C1Qlt), N(f.C1Mat), N(f.CosAlpha), N(f.CosAlphaErr), f.Realizations));
        });
        Json.Write(Path.Combine(dir, "fit.json"), w =>
        {
            w.WriteStartObject();
            w.WriteString("program", "skymix fit");
            w.WriteString("version", Program.VersionText);
            w.WriteString("units", "dipoles C_1 in (c/Omega)^2 |grad f/f|^2; multiply by rho^2/(1-eta) for (L_c grad f/f)^2");
            w.WriteStartArray("rigidities");
            foreach (var f in fits)
            {
                w.WriteStartObject();
                w.WriteString("run", f.Dir);
                w.WriteString("theory_boundary", f.Boundary.IsZeroFlux ? "zero-flux" : "absorbing");
                w.WriteNumber("theory_lmax", f.TheoryLmax);
                w.Number("rho", f.Settings.Rho);
                w.Number("omega_tau_s_qlt", f.OmegaTauSQlt);
                w.Number("omega_tau_s_sim", f.OmegaTauSSim);
                w.Number("T", f.Time);
                w.WriteNumber("l_fit", f.Fit.LFit);
                w.Number("omega_dt", f.Fit.OmegaDT);
                w.Number("omega_dt_lower", f.Fit.Lower);
                w.Number("omega_dt_upper", f.Fit.Upper);
                w.WriteBoolean("omega_dt_lower_open", f.Fit.LowerOpen);
                w.WriteBoolean("omega_dt_upper_open", f.Fit.UpperOpen);
                w.Number("omega_dt_jackknife", f.JackknifeSigma);
                w.Number("chi2", f.Fit.ChiSquare);
                w.WriteNumber("dof", f.Fit.Dof);
                w.Number("c1_sub", f.C1Sub);
                w.Number("c1_sub_err", f.C1SubErr);
                w.Number("c1_qlt", f.C1Qlt);
                w.Number("c1_mat", f.C1Mat);
                w.Number("cos_alpha", f.CosAlpha);
                w.Number("one_over_cos_alpha_squared", 1.0 / (f.CosAlpha * f.CosAlpha));
                w.Numbers("observed_ratio", f.Observed.Ratio.Take(f.Fit.LFit + 1));
                w.Numbers("observed_ratio_err", f.Observed.Err.Take(f.Fit.LFit + 1));
                w.Numbers("model_ratio", f.Model);
                w.WriteStartArray("variants");
                foreach (var v in f.Variants)
                {
                    w.WriteStartObject();
                    w.WriteString("what", v.What);
                    w.Number("T", v.Time);
                    w.Number("omega_dt", v.Fit.OmegaDT);
                    w.Number("omega_dt_lower", v.Fit.Lower);
                    w.Number("omega_dt_upper", v.Fit.Upper);
                    w.Number("chi2", v.Fit.ChiSquare);
                    w.WriteNumber("dof", v.Fit.Dof);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (law is not null)
            {
                void Law(string name, LawFit l)
                {
                    w.WriteStartObject(name);
                    w.Number("a", l.A);
                    w.Number("a_err", l.AErr);
                    w.Number("exponent", l.Exponent);
                    w.Number("exponent_err", l.ExponentErr);
                    w.Number("chi2", l.ChiSquare);
                    w.WriteNumber("dof", l.Dof);
                    w.WriteEndObject();
                }
                Law("law_tau_qlt", law.Qlt);
                Law("law_tau_sim", law.Simulated);
                Law("law_free_exponent", law.Free);
            }
            w.WriteEndObject();
        });
    }
}
