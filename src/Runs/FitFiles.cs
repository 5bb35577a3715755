using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// What `skymix fit` (and the reproduction) writes: fit.csv (one row per run folder), fit.json (the same, the
/// variants, the spectra and the laws), and the Markdown tables of the fits and dipoles that the terminal and
/// report.md show.
/// </summary>
public static class FitFiles
{
    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>A rigidity in the unit that reads best: 10 TV, 1.5 PV, 300 GV.</summary>
    public static string Rigidity(double volts) => Units.rigidityText(" ", volts);

    public static string Label(StudySettings s) => s.RigidityVolts is double r
        ? Rigidity(r)
        : $"ρ = {F(s.Rho, "G3")}";

    /// <summary>The label of a fit among others: its rigidity (or ρ), and η when the fits have several.</summary>
    public static string LabelAmong(IReadOnlyList<FolderFit> fits, FolderFit f) =>
        fits.Select(x => x.Study.Settings.Eta).Distinct().Count() > 1 ? $"{Label(f.Study.Settings)}, η = {F(f.Study.Settings.Eta, "G3")}" : Label(f.Study.Settings);

    /// <summary>The theory a fit used, in words.</summary>
    public static string Theory(FitRun.RunFit r) => r.Boundary.IsZeroFlux
        ? $"the ℓ_max → ∞ limit (zero-flux boundary, converged at ℓ_max = {r.TheoryLmax})"
        : $"the paper's truncation at ℓ_max = {r.TheoryLmax} (absorbing boundary)";

    /// <summary>The boundary as fit.csv and fit.json write it.</summary>
    static string BoundaryName(FitRun.RunFit r) => r.Boundary.IsZeroFlux ? "zero-flux" : "absorbing";

    /// <summary>The jackknife error of ΩΔT as the table shows it: none for a fit on the edge (no refit is
    /// meaningful there).</summary>
    static string Jackknife(FitRun.RunFit r) => r.Fit.AtEdge ? "–" : $"± {F(r.JackknifeSigma, "F2")}";

    /// <summary>The table of fits and the law, as Markdown (also the report's).</summary>
    public static IEnumerable<string> Table(IReadOnlyList<FolderFit> fits, FitRun.Law? law)
    {
        string Row(FolderFit f) => LabelAmong(fits, f);
        yield return "| rigidity | ρ | Ωτ_s (QLT) | Ωτ_s (sim) | ΩT used | ℓ_fit | ΩΔT | Δχ²=1 | jackknife | χ²/dof | ⟨cos α⟩ |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|";
        foreach (var f in fits)
            yield return $"| {Row(f)} | {F(f.Study.Settings.Rho, "0.00e+00")} | {F(f.Fit.OmegaTauSQlt, "G4")} | {F(f.Fit.OmegaTauSSim, "G4")} ± {F(f.Fit.OmegaTauSSimErr, "G2")} | " +
                         $"{F(f.Fit.Time, "G4")} | {f.Fit.Fit.LFit} | {F(f.Fit.Fit.OmegaDT, "F2")}{(f.Fit.Fit.AtEdge ? " (edge: no fit)" : "")} | " +
                         $"[{(f.Fit.Fit.LowerOpen ? "< " : "")}{F(f.Fit.Fit.Lower, "F2")}, {(f.Fit.Fit.UpperOpen ? "> " : "")}{F(f.Fit.Fit.Upper, "F2")}] | {Jackknife(f.Fit)} | " +
                         $"{F(f.Fit.Fit.ReducedChiSquare, "F2")} | {F(f.Fit.CosAlpha, "F3")} ± {F(f.Fit.CosAlphaErr, "F3")} |";
        yield return "";
        var edge = fits.Where(f => f.Fit.Fit.AtEdge).Select(Row).ToList();
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

    /// <summary>The dipole analysis of Sec. 3.3 as Markdown; C_1 in units of (L_c ∇f̄/f̄)²; C_1^mat from the
    /// theory each run was fitted with (named in the last column: it changes C_1^mat).</summary>
    public static IEnumerable<string> Dipoles(IReadOnlyList<FolderFit> fits)
    {
        yield return "| rigidity | ⟨C_1⟩^sub | ⟨C_1⟩^QLT = 4π⟨Φ⟩² | C_1^mat | C_1^mat/⟨cos α⟩² | ⟨C_1⟩^sub / C_1^mat | C_1^mat from |";
        yield return "|---|---|---|---|---|---|---|";
        foreach (var f in fits)
        {
            var u = DipoleUnit(f.Study);
            yield return $"| {LabelAmong(fits, f)} | {F(f.Fit.C1Sub * u, "0.000e+00")} ± {F(f.Fit.C1SubErr * u, "0.0e+00")} | {F(f.Fit.C1Qlt * u, "0.000e+00")} | " +
                         $"{F(f.Fit.C1Mat * u, "0.000e+00")} | {F(f.Fit.C1Mat * u / (f.Fit.CosAlpha * f.Fit.CosAlpha), "0.000e+00")} | {F(f.Fit.C1Sub / f.Fit.C1Mat, "F2")} | " +
                         $"{(f.Fit.Boundary.IsZeroFlux ? "ℓ_max → ∞" : $"ℓ_max = {f.Fit.TheoryLmax}")} at ΩΔT = {F(f.Fit.Fit.OmegaDT, "F2")} |";
        }
    }

    /// <summary>(c/Ω)²/L_c² = ρ²/(1−η): converts C_1 from (c/Ω)²|∇f̄/f̄|² to (L_c ∇f̄/f̄)², common to all rigidities.</summary>
    public static double DipoleUnit(Study s) => 1.0 / (s.LcTheory * s.LcTheory);

    /// <summary>Booleans as pandas reads them (True/False).</summary>
    static string Bool(bool b) => b ? "True" : "False";

    static string N(double v) => Csv.Num(double.IsFinite(v) ? v : throw new InvalidOperationException($"non-finite fit result {v}"));

    public static void Write(string dir, IReadOnlyList<FolderFit> fits, FitRun.Law? law, string version)
    {
        Files.WriteText(Path.Combine(dir, "fit.csv"), w =>
        {
            w.WriteLine("rho,rigidity_V,eta,theory_boundary,theory_lmax,omega_tau_s_qlt,omega_tau_s_sim,omega_tau_s_sim_err,T,l_fit,omega_dt,omega_dt_lower,omega_dt_upper," +
                        "omega_dt_lower_open,omega_dt_upper_open,omega_dt_jackknife,chi2,dof,at_edge,c1_sub,c1_sub_err,c1_qlt,c1_mat,cos_alpha,cos_alpha_err,realizations");
            foreach (var f in fits)
                w.WriteLine(string.Join(",", N(f.Study.Settings.Rho), f.Study.Settings.RigidityVolts is double r ? N(r) : "", N(f.Study.Settings.Eta), BoundaryName(f.Fit), f.Fit.TheoryLmax, N(f.Fit.OmegaTauSQlt), N(f.Fit.OmegaTauSSim),
                    N(f.Fit.OmegaTauSSimErr), N(f.Fit.Time), f.Fit.Fit.LFit, N(f.Fit.Fit.OmegaDT), N(f.Fit.Fit.Lower), N(f.Fit.Fit.Upper),
                    Bool(f.Fit.Fit.LowerOpen), Bool(f.Fit.Fit.UpperOpen), f.Fit.Fit.AtEdge ? "" : N(f.Fit.JackknifeSigma),
                    N(f.Fit.Fit.ChiSquare), f.Fit.Fit.Dof, Bool(f.Fit.Fit.AtEdge), N(f.Fit.C1Sub), N(f.Fit.C1SubErr), N(f.Fit.C1Qlt), N(f.Fit.C1Mat), N(f.Fit.CosAlpha), N(f.Fit.CosAlphaErr), f.Fit.Realizations));
        });
        Json.Write(Path.Combine(dir, "fit.json"), w =>
        {
            w.WriteStartObject();
            w.WriteString("program", "skymix fit");
            w.WriteString("version", version);
            w.WriteString("units", "dipoles C_1 in (c/Omega)^2 |grad f/f|^2; multiply by rho^2/(1-eta) for (L_c grad f/f)^2");
            w.WriteStartArray("rigidities");
            foreach (var f in fits)
            {
                w.WriteStartObject();
                w.WriteString("run", f.Dir);
                w.WriteString("theory_boundary", BoundaryName(f.Fit));
                w.WriteNumber("theory_lmax", f.Fit.TheoryLmax);
                w.Number("rho", f.Study.Settings.Rho);
                if (f.Study.Settings.RigidityVolts is double rv) w.Number("rigidity_V", rv); else w.WriteNull("rigidity_V");
                w.Number("eta", f.Study.Settings.Eta);
                w.Number("omega_tau_s_qlt", f.Fit.OmegaTauSQlt);
                w.Number("omega_tau_s_sim", f.Fit.OmegaTauSSim);
                w.Number("omega_tau_s_sim_err", f.Fit.OmegaTauSSimErr);
                w.Number("T", f.Fit.Time);
                w.WriteNumber("l_fit", f.Fit.Fit.LFit);
                w.Number("omega_dt", f.Fit.Fit.OmegaDT);
                w.Number("omega_dt_lower", f.Fit.Fit.Lower);
                w.Number("omega_dt_upper", f.Fit.Fit.Upper);
                w.WriteBoolean("omega_dt_lower_open", f.Fit.Fit.LowerOpen);
                w.WriteBoolean("omega_dt_upper_open", f.Fit.Fit.UpperOpen);
                if (f.Fit.Fit.AtEdge) w.WriteNull("omega_dt_jackknife"); else w.Number("omega_dt_jackknife", f.Fit.JackknifeSigma);
                w.Number("chi2", f.Fit.Fit.ChiSquare);
                w.WriteNumber("dof", f.Fit.Fit.Dof);
                w.WriteBoolean("at_edge", f.Fit.Fit.AtEdge);
                w.Number("c1_sub", f.Fit.C1Sub);
                w.Number("c1_sub_err", f.Fit.C1SubErr);
                w.Number("c1_qlt", f.Fit.C1Qlt);
                w.Number("c1_mat", f.Fit.C1Mat);
                w.Number("cos_alpha", f.Fit.CosAlpha);
                w.Number("cos_alpha_err", f.Fit.CosAlphaErr);
                w.Number("one_over_cos_alpha_squared", 1.0 / (f.Fit.CosAlpha * f.Fit.CosAlpha));
                w.WriteNumber("realizations", f.Fit.Realizations);
                w.Numbers("observed_ratio", f.Fit.Observed.Ratio.Take(f.Fit.Fit.LFit + 1));
                w.Numbers("observed_ratio_err", f.Fit.Observed.Err.Take(f.Fit.Fit.LFit + 1));
                w.Numbers("model_ratio", f.Fit.Model);
                w.WriteStartArray("variants");
                foreach (var v in f.Fit.Variants)
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
