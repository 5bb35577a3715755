using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>report.md of `skymix reproduce`: the settings actually used, the fits and the law, how ΩΔT moves with
/// the analysis choices, the dipoles, and Figs. 2–7.</summary>
public static class Report
{
    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>What the studies used, from their settings, next to the paper's (the full preset).</summary>
    static string SettingsText(Defaults.Preset preset, IReadOnlyList<Study> studies)
    {
        var s0 = studies[0].Settings;
        // λ_min = 2π/k_max in c/Ω and r_g = √(1 − η) c/Ω: λ_min = r_g/N with N = k_max√(1 − η)/(2π)
        var n = studies.Select(x => F(x.Settings.KMax * Math.Sqrt(1 - x.Settings.Eta) / (2 * Math.PI), "G3")).Distinct().ToList();
        var full = Defaults.Reproduce.full;
        return $"Preset `{preset.Name}` as run: Nside {s0.Nside}, {s0.Realizations} realisations per rigidity, smallest wavelength " +
               (n.Count == 1 ? $"r_g/{n[0]} at every rigidity" : $"r_g/N with N = {string.Join(", ", n)} (rigidities in the table's order)") +
               $". The paper: Nside {full.Nside}, {full.Realizations} realisations, r_g/{F(Units.lambdaMinOverRgPaper, "G3")} at the smallest rigidity.";
    }

    /// <summary>With several turbulence levels: the law fitted at each η alone and across all of them (Markdown;
    /// nothing with one η).</summary>
    static IEnumerable<string> LawPerEta(IReadOnlyList<FolderFit> fits)
    {
        var groups = fits.GroupBy(f => f.Study.Settings.Eta).OrderBy(g => g.Key).ToList();
        if (groups.Count < 2) yield break;
        yield return "## Turbulence levels";
        yield return "";
        yield return "The paper finds one law, ΩΔT ≈ 4(Ωτ_s)^{1/3}, across rigidities and turbulence levels. Fitted at each η alone and across all:";
        yield return "";
        yield return "| η | interior fits | a (τ_s from QLT) | a (τ_s = 3K_zz simulated) | free exponent b | a with b free | χ²/dof (QLT, b = 1/3) |";
        yield return "|---|---|---|---|---|---|---|";
        string Row(string what, IReadOnlyList<FolderFit> fs)
        {
            var n = fs.Count(f => !f.Fit.Fit.AtEdge);
            if (Fitting.Law(fs) is not { } law) return $"| {what} | {n} | – | – | – | – | – (needs 2 interior fits) |";
            return $"| {what} | {n} | {F(law.Qlt.A, "F2")} ± {F(law.Qlt.AErr, "F2")} | {F(law.Simulated.A, "F2")} ± {F(law.Simulated.AErr, "F2")} | " +
                   $"{(law.Free.Dof >= 0 && n > 2 ? $"{F(law.Free.Exponent, "F2")} ± {F(law.Free.ExponentErr, "F2")}" : "– (2 points)")} | {F(law.Free.A, "F2")} | " +
                   $"{F(law.Qlt.ChiSquare / Math.Max(1, law.Qlt.Dof), "F2")} |";
        }
        foreach (var g in groups) yield return Row(F(g.Key, "G3"), g.ToList());
        yield return Row("all", fits);
        yield return "";
    }

    /// <summary>Writes DIR/report.md: the settings actually used, the fits, the law, the dipoles and the figures.</summary>
    public static void Write(string dir, Defaults.Preset preset, int? lmax, IReadOnlyList<Study> studies, IReadOnlyList<FolderFit> fits,
                             FitRun.Law? law, double simSeconds, double totalSeconds, string version) =>
        Files.WriteText(Path.Combine(dir, "report.md"), w =>
        {
            var s0 = studies[0].Settings;
            w.WriteLine($"# SkyMix reproduction of Kuhlen, Phan & Mertsch — `{preset.Name}` preset");
            w.WriteLine();
            w.WriteLine($"skymix {version}; {DateTime.UtcNow:yyyy-MM-dd} UTC; simulations {simSeconds / 60:F1} min, total {totalSeconds / 60:F1} min.");
            w.WriteLine();
            w.WriteLine("## Settings");
            w.WriteLine();
            w.WriteLine($"- {SettingsText(preset, studies)}");
            w.WriteLine($"- B_rms = {F(s0.BrmsMicroGauss, "G6")} µG, L_c = {F(s0.LcParsec, "G6")} pc (L_max = 5 L_c), η = {string.Join(", ", studies.Select(x => F(x.Settings.Eta, "G6")).Distinct())}, slab spectrum q = {F(s0.Q, "G4")}; seed {s0.Seed}; " +
                        $"step dt = min({F(s0.StepGyro, "G3")}·2π/Ω, {F(s0.StepLambda, "G3")}·λ_min).");
            w.WriteLine((lmax is int n ? $"- Mixing equation truncated as in the paper at ℓ_max = {n} (absorbing boundary)" : $"- Mixing equation in its ℓ_max → ∞ limit (zero-flux boundary, ℓ_max raised until C_ℓ/C_1 for ℓ ≤ ℓ_fit converges to {F(Api.ConvergenceGoal.Default.Tol, "G2")})") + "; ΩΔT fitted on C_ℓ^sub/C_1^sub over ℓ = 2 … ℓ_fit (signal-to-noise ≥ 1) " +
                        $"at the first output time ≥ {F(FitRun.Protocol.Default.FitTimeOverTauSim, "G3")}τ_s^sim, errors from a jackknife over realisations.");
            w.WriteLine();
            w.WriteLine("| rigidity | ρ | k_max [Ω/c] | dt [1/Ω] | times ΩT |");
            w.WriteLine("|---|---|---|---|---|");
            foreach (var study in studies)
            {
                var s = study.Settings;
                w.WriteLine($"| {FitFiles.Label(s)}{(studies.Select(x => x.Settings.Eta).Distinct().Count() > 1 ? $", η = {F(s.Eta, "G3")}" : "")} | {F(s.Rho, "0.00e+00")} | {F(s.KMax, "G4")} | {F(study.Dt, "G3")} | {F(s.Times[0], "G3")} … {F(s.Times[^1], "G4")} ({s.Times.Count}) |");
            }
            w.WriteLine();
            w.WriteLine("## ΩΔT per rigidity and the law ΩΔT = a(Ωτ_s)^{1/3}");
            w.WriteLine();
            foreach (var line in FitFiles.Table(fits, law)) w.WriteLine(line);
            w.WriteLine();
            var index = fits.Where(f => f.Fit.ModelIndex is not null).Select(f => f.Fit.ModelIndex!.Value).ToArray();
            var lawText = law is null
                ? "No law could be fitted: fewer than two rigidities have an interior ΩΔT fit."
                : $"Here a = {F(law.Qlt.A, "F2")} ± {F(law.Qlt.AErr, "F2")} with τ_s from QLT and {F(law.Simulated.A, "F2")} ± {F(law.Simulated.AErr, "F2")} " +
                  $"with τ_s = 3K_zz from the simulations; with the exponent free, b = {F(law.Free.Exponent, "F2")} ± {F(law.Free.ExponentErr, "F2")} (1/3 expected).";
            w.WriteLine("**Comparison with the paper.** The paper finds a ≈ 4 and a spectral index close to −2.7. " + lawText +
                        $" The index over ℓ = 5 … 30 of the fitted mixing-matrix spectra is " +
                        $"{string.Join(", ", index.Select(v => F(v, "F2")))}. " +
                        "χ²/dof shows how well one ΩΔT describes each simulated spectrum; values well above 1 mean it does not.");
            w.WriteLine();
            foreach (var line in LawPerEta(fits)) w.WriteLine(line);
            w.WriteLine("How ΩΔT moves with the choices (docs/physics.md §8):");
            w.WriteLine();
            w.WriteLine("| rigidity | variant | ΩT | ΩΔT | χ²/dof |");
            w.WriteLine("|---|---|---|---|---|");
            foreach (var f in fits)
            {
                w.WriteLine($"| {FitFiles.LabelAmong(fits, f)} | baseline | {F(f.Fit.Time, "G4")} | {F(f.Fit.Fit.OmegaDT, "F2")} | {F(f.Fit.Fit.ReducedChiSquare, "F2")} |");
                foreach (var v in f.Fit.Variants)
                    w.WriteLine($"| {FitFiles.LabelAmong(fits, f)} | {v.What} | {F(v.Time, "G4")} | {F(v.Fit.OmegaDT, "F2")} | {F(v.Fit.ReducedChiSquare, "F2")} |");
            }
            w.WriteLine();
            w.WriteLine("## Dipoles (Sec. 3.3), in units of (L_c ∇f̄/f̄)²");
            w.WriteLine();
            foreach (var line in FitFiles.Dipoles(fits)) w.WriteLine(line);
            w.WriteLine();
            var predicted = fits.Select(f => LocalField.meanCosAlpha(f.Study.Spectrum, LocalField.averagingLength(f.Study.LcTheory))).ToArray();
            w.WriteLine("The paper rescales C_1^mat by 1/⟨cos α⟩² ≈ 2.2. For Gaussian slab turbulence ⟨cos α⟩ follows from the variance of the field " +
                        $"averaged over L_c/30 (docs/physics.md §7): {string.Join(", ", predicted.Select(v => F(v, "F3")))} " +
                        $"(1/⟨cos α⟩² = {string.Join(", ", predicted.Select(v => F(1 / (v * v), "F2")))}); measured here: " +
                        $"{string.Join(", ", fits.Select(f => $"{F(f.Fit.CosAlpha, "F3")} ± {F(f.Fit.CosAlphaErr, "F3")}"))}.");
            w.WriteLine();
            w.WriteLine("## Figures");
            w.WriteLine();
            foreach (var (file, caption) in new[]
            {
                ("fig2_maps.png", "Fig. 2 — sky maps of four realisations before and after removing monopole and dipole (Mollweide; not smoothed)."),
                ("fig3_mean_map.png", "Fig. 3 — the ensemble-averaged map, and with monopole and dipole removed."),
                ("fig4_cl_vs_T.png", "Fig. 4 — ⟨C_ℓ⟩^num against the backtracking time, with the noise level and the total power."),
                ("fig5_spectra.png", "Fig. 5 — C_ℓ^sub/C_1^sub with jackknife errors and the fitted mixing-matrix spectra."),
                ("fig6_law.png", "Fig. 6 — best-fit ΩΔT against Ωτ_s with the fitted laws (and the paper's 4(Ωτ_s)^{1/3})."),
                ("fig7_dipoles.png", "Fig. 7 — dipole strengths: ⟨C_1⟩^sub, ⟨C_1⟩^QLT, C_1^mat and C_1^mat/⟨cos α⟩²."),
            })
            {
                w.WriteLine($"![{caption}]({file})");
                w.WriteLine();
                w.WriteLine(caption);
                w.WriteLine();
            }
            w.WriteLine("Data: `runs/*/` (run folders of `skymix simulate`), `fit.csv`, `fit.json`.");
        });
}
