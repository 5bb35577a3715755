using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>One rigidity of `skymix predict`: its rigidity [V] when given physically, the theory input, the
/// prediction, its wall time, and (when asked) the time evolution and the ℓ_max scan.</summary>
public sealed record PredictedCase(double? RigidityVolts, Api.PredictInput Input, Api.Prediction Result, double Seconds,
                                   double[][]? Evolution, Api.ScanRow[]? Scan);

/// <summary>What the predict files record besides the cases: B_rms [µG] and L_c [pc] of physical rigidities,
/// whether ΩΔT was given, the law's a, and the program version.</summary>
public sealed record PredictContext(double BrmsMicroGauss, double LcParsec, bool OmegaDTGiven, double LawA, string Version)
{
    /// <summary>Ω [1/s] of a rigidity in these B_rms and η.</summary>
    public double OmegaPerSecond(double rigidityVolts, double eta) =>
        Units.omegaPerSecond(Units.gyroradiusPc(rigidityVolts, BrmsMicroGauss), eta);
}

/// <summary>
/// The files of `skymix predict` (README "File formats"): FILE.csv (the spectra, with the converged columns in
/// auto mode), FILE.time.csv (--times), FILE.scan.csv (--lmax-scan) and the JSON record.
/// </summary>
public static class PredictFiles
{
    /// <summary>rho,omega_dt,boundary,lmax,escaped_share,l,cl_over_c1 for ℓ = 1 … min(ℓ_max, 100).</summary>
    public static void WriteScanCsv(string path, IReadOnlyList<PredictedCase> cases) =>
        Files.WriteText(path, w =>
        {
            w.WriteLine("rho,omega_dt,boundary,lmax,escaped_share,l,cl_over_c1");
            foreach (var c in cases)
                foreach (var r in c.Scan!)
                    for (var l = 1; l <= Math.Min(r.Lmax, 100); l++)
                        w.WriteLine($"{Csv.Num(c.Input.Rho)},{Csv.Num(c.Result!.OmegaDT)},{(r.Boundary.IsZeroFlux ? "zero-flux" : "absorbing")},{r.Lmax}," +
                                    $"{Csv.Num(Finite(r.EscapedShare))},{l},{Csv.Num(Finite(r.ClOverC1[l]))}");
        });

    /// <summary>One row per ρ and ℓ = 1 … ℓ_max of the last spectrum computed; with --lmax auto the converged
    /// C_ℓ/C_1 and its error follow for ℓ ≤ ℓ_out (empty above, and empty where it did not converge).</summary>
    public static void WriteCsv(string path, IReadOnlyList<PredictedCase> cases, bool auto) =>
        Files.WriteText(path, w =>
        {
            w.WriteLine("rho,l,cl_over_c1,cl_over_s" + (auto ? ",cl_over_c1_converged,cl_over_c1_converged_err" : ""));
            foreach (var c in cases)
            {
                var p = c.Result!;
                for (var l = 1; l < p.Cl.Length; l++)
                {
                    var row = $"{Csv.Num(p.Input.Rho)},{l},{Csv.Num(Finite(p.ClOverC1[l]))},{Csv.Num(Finite(p.Cl[l]))}";
                    if (auto)
                    {
                        var lim = p.Limit!.Value;
                        row += l < lim.ClOverC1.Length && double.IsFinite(lim.Err[l]) && lim.Converged
                            ? $",{Csv.Num(Finite(lim.ClOverC1[l]))},{Csv.Num(Finite(lim.Err[l]))}"
                            : ",,";
                    }
                    w.WriteLine(row);
                }
            }
        });

    public static void WriteTimeCsv(string path, IReadOnlyList<PredictedCase> cases) =>
        Files.WriteText(path, w =>
        {
            w.WriteLine("rho,n,omega_t,l,cl_over_s");
            foreach (var c in cases)
                for (var n = 0; n < c.Evolution!.Length; n++)
                    for (var l = 1; l < c.Evolution[n].Length; l++)
                        w.WriteLine($"{Csv.Num(c.Input.Rho)},{n},{Csv.Num(n * c.Result!.OmegaDT)},{l},{Csv.Num(Finite(c.Evolution[n][l]))}");
        });

    /// <summary>Where the injected dipole power goes, in units of S (docs/physics.md, "Convergence in ℓ_max").</summary>
    static void WriteBudget(System.Text.Json.Utf8JsonWriter w, string name, PowerBudget b)
    {
        w.WriteStartObject(name);
        w.Number("injected", b.Injected);
        w.Number("monopole_drain", b.Drain);
        w.Number("escaped_through_lmax", b.Escaped);
        w.WriteEndObject();
    }

    /// <summary>An array over ℓ = 0 … with null at ℓ = 0.</summary>
    static void WithNullMonopole(System.Text.Json.Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        w.WriteNullValue();
        foreach (var v in values.Skip(1)) w.WriteNumberValue(Finite(v));
        w.WriteEndArray();
    }

    public static double Finite(double v) =>
        double.IsFinite(v) ? v : throw new InvalidOperationException($"non-finite value {v} in a result; nothing written");

    public static void WriteJson(string path, PredictContext o, IReadOnlyList<PredictedCase> cases) =>
        Json.Write(path, w =>
        {
            w.WriteStartObject();
            w.WriteString("program", "skymix predict");
            w.WriteString("version", o.Version);
            w.WriteString("units", "theory units c = 1, time 1/Ω, length c/Ω, Ω = gyrofrequency in B0 = B_rms√(1−η); C_ℓ in units of S/Ω with S = (8π/3)K_zz(∂_z f̄/f̄)²");
            w.WriteStartObject("accuracy");
            var a = Accuracy.Default;
            w.WriteNumber("nodes_per_panel", a.NodesPerPanel);
            w.Number("panels_per_period", a.PanelsPerPeriod);
            w.Number("tail_factor", a.TailFactor);
            w.WriteEndObject();
            w.WriteStartArray("rigidities");
            foreach (var c in cases)
            {
                var p = c.Result!;
                w.WriteStartObject();
                if (c.RigidityVolts is double r)
                {
                    var rg = Units.gyroradiusPc(r, o.BrmsMicroGauss);
                    var omega = o.OmegaPerSecond(r, p.Input.Eta);
                    w.Number("rigidity_V", r);
                    w.Number("B_rms_uG", o.BrmsMicroGauss);
                    w.Number("L_c_pc", o.LcParsec);
                    w.Number("r_g_pc", rg);
                    w.Number("Omega_per_s", omega);
                    w.Number("tau_s_yr", Units.years(p.OmegaTauS, omega));
                    w.Number("Delta_T_yr", Units.years(p.OmegaDT, omega));
                    w.Number("lambda_parallel_pc", Qlt.tauOfKzz(p.Kzz) * Units.lengthUnitPc(rg, p.Input.Eta));
                    w.Number("K_zz_cm2_per_s", Units.diffusionCm2PerSecond(p.Kzz, omega));
                }
                w.Number("rho", p.Input.Rho);
                w.Number("eta", p.Input.Eta);
                w.Number("q", p.Input.Q);
                w.Number("k_min_Omega", p.Spectrum.KMin);
                w.Number("k_max_Omega", p.Spectrum.KMax);
                w.Number("A", p.Spectrum.A);
                w.Number("K_zz_c2_per_Omega", p.Kzz);
                w.Number("Omega_tau_s", p.OmegaTauS);
                w.Number("Omega_Delta_T", p.OmegaDT);
                w.WriteString("Omega_Delta_T_from", o.OmegaDTGiven ? "--omega-dt" : $"a (Omega tau_s)^(1/3), a = {o.LawA.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
                w.Number("Lambda_0", p.Lambda0);
                w.Number("Lambda_2", p.Lambda2);
                w.Number("W", p.W);
                w.WriteString("truncation", p.Limit is null ? "paper" : "converged");
                w.WriteString("boundary", p.Boundary.IsZeroFlux ? "zero-flux" : "absorbing");
                w.WriteNumber("lmax", p.Lmax);
                var lim = p.Limit is { } l0 ? l0.Value : null;
                // null with a fixed --lmax: no limit was sought
                if (lim is null) w.WriteNull("converged"); else w.WriteBoolean("converged", lim.Converged);
                w.Numbers("lmax_used", (lim?.LmaxUsed ?? new[] { p.Lmax }).Select(v => (double)v));
                if (lim is { Converged: true })
                {
                    // ℓ = 0 (the monopole has no steady state) is null, like ℓ = 0 … 1 of the error
                    WithNullMonopole(w, "cl_over_c1_converged", lim.ClOverC1);
                    WithNullMonopole(w, "cl_over_c1_converged_err", lim.Err);
                }
                else
                {
                    w.WriteNull("cl_over_c1_converged");
                    w.WriteNull("cl_over_c1_converged_err");
                }
                // checks that cannot be made at this ℓ_max are left out
                if (p.Index is { } ix)
                {
                    w.Number("index", ix.Value);
                    w.Numbers("index_l_range", new double[] { 5, Math.Min(30, p.MainClOverC1.Length - 1) });
                }
                WriteBudget(w, "power_budget", p.Budget);
                w.Number("seconds", c.Seconds);
                w.Numbers("cl_over_c1", p.ClOverC1);
                w.Numbers("cl_over_S", p.Cl);
                w.WriteStartObject("paper_truncation");
                var pt = p.Paper;
                w.WriteNumber("lmax", pt.Lmax);
                if (pt.Index is { } pix)
                {
                    w.Number("index", pix.Value);
                    w.Numbers("index_l_range", new double[] { 5, Math.Min(30, pt.Lmax) });
                }
                if (pt.TruncationChange is { } tc) w.Number("truncation_change_lmax_half", tc.Value);
                if (pt.ExtensionChange is { } ec) w.Number("extension_change_lmax_half", ec.Value);
                w.Number("sum_rule_residual_max", pt.SumRuleResidual.Max(Math.Abs));
                WriteBudget(w, "power_budget", pt.Budget);
                w.Numbers("cl_over_c1", pt.ClOverC1);
                w.Numbers("cl_over_c1_at_half_lmax", pt.HalfLmaxClOverC1);
                if (pt.ExtendedClOverC1 is { } ext) w.Numbers("cl_over_c1_extended_to_2lmax", ext.Value);
                w.WriteEndObject();
                if (c.Evolution is { } ev)
                {
                    w.WriteStartArray("evolution_cl_over_S");
                    foreach (var state in ev) { w.WriteStartArray(); foreach (var v in state) w.WriteNumberValue(Finite(v)); w.WriteEndArray(); }
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
}
