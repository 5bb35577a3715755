using System.Globalization;
using SkyMix.CliArgs;
using SkyMix.Gpu;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix reproduce</c>: the paper's study end to end — a simulation per rigidity (resumable), the fits,
/// and DIR/report.md with the tables and Figs. 2–7.
/// </summary>
public static class ReproduceCommand
{
    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    public static int Run(Parse.ReproduceOptions o)
    {
        var preset = o.Full ? Defaults.Reproduce.full : Defaults.Reproduce.quick;
        var rigidities = o.RigidityVolts.Length > 0 ? o.RigidityVolts : Defaults.Study.rigiditiesVolts;
        var nside = o.Nside ?? preset.Nside;
        var realizations = o.Realizations ?? preset.Realizations;
        var device = Accelerators.Parse(o.Device);
        if (rigidities.Length < 2) throw new InputError("reproduce needs at least two rigidities (the law is fitted across them)");
        if (rigidities.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InputError($"--rigidity gives {FitFiles.Rigidity(twice.Key)} twice; give each rigidity once");
        if (realizations < 2) throw new InputError($"--realizations {realizations}: the fits need at least 2 realisations per rigidity (jackknife errors)");
        var request = FitCommand.Request(o.Lmax, 0, 0);
        FitRun.checkResolution(nside, request.Lmax);
        var rhoMin = rigidities.Min(r => Units.rho(r, Defaults.Study.bRmsMicroGauss, Defaults.Study.lcParsec));
        // the paper's η alone keeps the folders named by rigidity; several η add it to the name
        var named = o.Eta.Length > 1 || o.Eta[0] != Defaults.Study.eta;
        var studies = o.Eta.SelectMany(eta => rigidities.OrderBy(r => r).Select(r =>
        {
            var rho = Units.rho(r, Defaults.Study.bRmsMicroGauss, Defaults.Study.lcParsec);
            var kmax = preset.LambdaMinOverRg is { } n ? Units.kMaxOfLambdaMin(n.Value, eta) : Units.kMaxDefault(rho, rhoMin, eta);
            // the times depend on τ_s of QLT: the study with one provisional time gives it (its spectrum is the study's)
            var settings = StudySettings.WithDefaults(rho, r, eta, kmax, new[] { 1.0 }) with { Nside = nside, Realizations = realizations, Seed = o.Seed };
            var tauQlt = Qlt.tauOfKzz(Study.Of(settings).KzzQlt);
            var tmax = Math.Max(Defaults.Reproduce.minLastTime, Defaults.Reproduce.lastTimeOverTauQlt * tauQlt);
            var study = Study.Of(settings with { Times = Parse.times($"log:1:{F(tmax, "R")}:{preset.TimesCount}") });
            var label = FitFiles.Label(study.Settings).Replace(" ", "");
            return (Label: named ? $"{label}-eta{F(eta, "G4")}" : label, Study: study);
        })).ToList();
        if (studies.GroupBy(x => x.Label).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw new InputError($"--eta: two turbulence levels share the run folder {clash.Key}; give η values that differ in their first four digits");
        Files.CheckFolder(o.Out, "--out");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (label, study) in studies)
        {
            var report = new ProgressReport($"reproduce {label}");
            StudyRun.Run(study, Path.Combine(o.Out, "runs", label), device, 0, Shard.Whole, Program.VersionText, report.Show);
            report.Done();
        }
        var simSeconds = clock.Elapsed.TotalSeconds;
        var fits = FitCommand.FitAll(studies.Select(x => Path.Combine(o.Out, "runs", x.Label)), request);
        // the law across every η and rigidity; per η in the report
        var law = Fitting.Law(fits);
        FitFiles.Write(o.Out, fits, law, Program.VersionText);
        Figures(o.Out, studies, fits, law);
        Report.Write(o.Out, preset, o.Lmax, studies.Select(x => x.Study).ToList(), fits, law, simSeconds, clock.Elapsed.TotalSeconds, Program.VersionText);
        foreach (var line in FitFiles.Table(fits, law)) Console.WriteLine(line);
        Console.WriteLine();
        Console.WriteLine($"report: {Path.Combine(o.Out, "report.md")} ({clock.Elapsed.TotalMinutes:F1} min)");
        return 0;
    }

    /// <summary>The run closest to ρ = 9e-3 (the paper's Fig. 4) and to ρ = 9e-4 (Figs. 2–3).</summary>
    static (string Label, Study Study) Closest(IReadOnlyList<(string Label, Study Study)> runs, double rho) =>
        runs.OrderBy(r => Math.Abs(Math.Log(r.Study.Settings.Rho / rho))).First();

    /// <summary>What the colours of a backtracked map are.</summary>
    const string MapUnits = "colour: f(p̂)/⟨f⟩ − 1 in units of (c/Ω)|∇⟨f⟩/⟨f⟩| against the momentum direction p̂; particles arrive from −p̂";

    static void Figures(string dir, IReadOnlyList<(string Label, Study Study)> all, IReadOnlyList<FolderFit> fits, FitRun.Law? law)
    {
        // Figs. 2–4 show one turbulence level: the paper's if it was run, else the first
        var eta = all.Any(r => r.Study.Settings.Eta == Defaults.Study.eta) ? Defaults.Study.eta : all[0].Study.Settings.Eta;
        var runs = all.Where(r => r.Study.Settings.Eta == eta).ToList();
        // Figs. 2 and 3: maps at the time closest to ΩT = 2000 of the run closest to ρ = 8.9e-4
        var (mapLabel, mapStudy) = Closest(runs, 8.9e-4);
        var mapSettings = mapStudy.Settings;
        var runDir = Path.Combine(dir, "runs", mapLabel);
        var finished = RunFolder.Finished(runDir);
        var times = mapStudy.TimesReached;
        var t = Enumerable.Range(0, times.Count).OrderBy(k => Math.Abs(Math.Log(times[k] / 2000.0))).First();
        var maps = finished.Select(i => Fits.Read(Path.Combine(RunFolder.RealizationDir(runDir, i), RunFolder.MapFile(t)))).ToList();
        var panels = new List<(string, double[])>();
        foreach (var (m, i) in maps.Take(4).Select((m, i) => (m, i)))
        {
            panels.Add(($"realisation {finished[i]}", m));
            panels.Add(($"realisation {finished[i]}, monopole and dipole removed", Mollweide.WithoutMonopoleDipole(m)));
        }
        Mollweide.Grid(Path.Combine(dir, "fig2_maps.png"), panels, 2,
                       $"Fig. 2: sky maps, {FitFiles.Label(mapSettings)} (ρ = {F(mapSettings.Rho, "G3")}), ΩT = {F(times[t], "G4")}", MapUnits);
        var mean = Enumerable.Range(0, maps[0].Length).Select(p => maps.Average(m => m[p])).ToArray();
        Mollweide.Grid(Path.Combine(dir, "fig3_mean_map.png"),
                       new List<(string, double[])> { ("ensemble average", mean), ("ensemble average, monopole and dipole removed", Mollweide.WithoutMonopoleDipole(mean)) },
                       2, $"Fig. 3: mean of {maps.Count} realisations, {FitFiles.Label(mapSettings)}, ΩT = {F(times[t], "G4")}", MapUnits);
        // Fig. 4: C_ℓ(T) of the run closest to 1 PV
        var (clLabel, clStudy) = Closest(runs, 8.9e-3);
        var clDir = Path.Combine(dir, "runs", clLabel);
        var ensemble = Ensemble.ofRealizations(Fitting.Realizations(clDir, clStudy));
        Plots.ClVersusTime(Path.Combine(dir, "fig4_cl_vs_T.png"), ensemble, new[] { 1, 2, 3, 5, 10 }.Where(l => l < ensemble.ClNum[0].Length).ToArray(),
                           $"Fig. 4: ensemble Cℓ(T), {FitFiles.Label(clStudy.Settings)}");
        Plots.SpectraFits(Path.Combine(dir, "fig5_spectra.png"), fits);
        Plots.Law(Path.Combine(dir, "fig6_law.png"), fits, law);
        Plots.Dipoles(Path.Combine(dir, "fig7_dipoles.png"), fits);
    }
}
