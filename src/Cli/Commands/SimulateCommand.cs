using System.Globalization;
using Microsoft.FSharp.Core;
using SkyMix.CliArgs;
using SkyMix.Gpu;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix simulate</c>: backtracking through slab turbulence into a run folder (resumable), then a short
/// summary: K_zz(T) and C_ℓ^sub/C_1^sub at the last time next to the mixing-matrix prediction for the same ρ.
/// </summary>
public static class SimulateCommand
{
    public static int Run(Parse.SimulateOptions o)
    {
        var recorded = o.From is null ? null : RunJson.Read(o.From);
        var study = recorded?.Study ?? Study.Of(Settings(o));
        var settings = study.Settings;
        var device = Accelerators.Parse(o.Device ?? recorded?.Execution.LastDevice ?? Defaults.Simulate.device);
        // --from a shard's run.json repeats that shard, unless --shard names another
        var shard = o.ShardCount == 1 && recorded is not null ? recorded.Execution.Shard : new Shard(o.ShardIndex, o.ShardCount);
        if (o.Threads > Environment.ProcessorCount)
            Console.Error.WriteLine($"skymix: warning: --threads {o.Threads} is more than the {Environment.ProcessorCount} cores of this machine: " +
                                    "the threads share them (no faster; the results do not depend on it)");
        var dir = o.Out ?? DefaultOut(settings);
        if (o.Plot is not null)
        {
            if (!shard.IsWhole) throw new InputError("--plot: a shard is not fitted alone; merge the shards, then skymix fit DIR --plot FILE");
            if (settings.Realizations < 2) throw new InputError("--plot fits the run, which needs at least 2 realisations (jackknife errors)");
            Plots.CheckName(o.Plot, "--plot");
            Files.CheckWritable(o.Plot, "--plot");
        }
        try
        {
            foreach (var warning in Api.warnings(Theory(settings, 2))) Console.Error.WriteLine($"skymix: warning: {warning}");
        }
        catch (InputError) { } // a study the theory cannot describe is still simulated; the summary says so
        using var cancel = new CancellationTokenSource();
        var stopped = new Program.Signal("interrupted", 130);
        var report = new ProgressReport(shard.IsWhole ? "simulate" : $"simulate shard {shard}");
        EnsembleStats? ensemble;
        try
        {
            using var stop = Program.OnStop(signal => { stopped = signal; cancel.Cancel(); });
            ensemble = StudyRun.Run(study, dir, device, o.Threads, shard, Program.VersionText, report.Show, cancel.Token);
        }
        catch (OperationCanceledException)
        {
            report.Done();
            Console.Error.WriteLine($"skymix: {stopped.What}; finished realisations are saved in {dir}; run the same command again to resume");
            return stopped.ExitCode;
        }
        report.Done();
        if (ensemble is null)
        {
            var mine = RunFolder.Finished(dir).Where(shard.Owns);
            Console.WriteLine($"shard {shard} of the study finished in {dir}: realisations {string.Join(",", mine)} of {settings.Realizations}; " +
                              "when every shard is done, combine them with skymix merge SHARD_DIRS... --out DIR");
        }
        // a PNG on standard output keeps the summary off it
        else Summary(o.Plot == Files.StandardOutput ? Console.Error : Console.Out, study, ensemble, dir);
        if (ensemble is not null && o.Plot is not null)
        {
            var fits = FitCommand.FitAll(new[] { dir }, Fitting.Request(null, 0, 0));
            Plots.SpectraFits(o.Plot, fits);
        }
        return 0;
    }

    /// <summary>runs/simulate-LABEL, LABEL the rigidity (e.g. 10PV) or ρ.</summary>
    public static string DefaultOut(StudySettings s) =>
        Path.Combine("runs", "simulate-" + (s.RigidityVolts is null ? $"rho{F(s.Rho, "G4")}" : FitFiles.Label(s).Replace(" ", "")));

    /// <summary>The study settings from the options (the parser supplies the defaults).</summary>
    public static StudySettings Settings(Parse.SimulateOptions o)
    {
        var physical = double.IsNaN(o.Rho);
        // ρ is derived here; everything else is checked once, by Study.Of
        var rho = physical ? Units.rhoOfInputs(o.RigidityVolts, o.BrmsMicroGauss, o.LcParsec) : o.Rho;
        if (!(o.LambdaMinOverRg > 0)) throw new InputError($"--lambda-min must be positive, got {o.LambdaMinOverRg}");
        if (o.MemoryMegabytes < 1) throw new InputError($"--memory must be at least 1 MB, got {o.MemoryMegabytes}");
        var kmax = o.KMax ?? Units.kMaxOfLambdaMin(o.LambdaMinOverRg, o.Eta);
        return new StudySettings
        {
            Rho = rho,
            RigidityVolts = physical ? o.RigidityVolts : null,
            BrmsMicroGauss = o.BrmsMicroGauss,
            LcParsec = o.LcParsec,
            Eta = o.Eta,
            Q = o.Q,
            KMax = kmax,
            Nside = o.Nside,
            Realizations = o.Realizations,
            Seed = o.Seed,
            Times = o.Times,
            StepGyro = o.StepGyro,
            StepLambda = o.StepLambda,
            Gradient = o.Gradient,
            MemoryBytes = (long)o.MemoryMegabytes << 20,
            Maps = o.Maps,
            MixingL0 = o.MixingL0,
        };
    }

    static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);

    /// <summary>The time the summary's mixing-equation comparison may take before it is left out.</summary>
    const int ComparisonSeconds = 20;

    /// <summary>The mixing equation for a study (ΩΔT from the law, its ℓ_max → ∞ limit for ℓ ≤ lout).</summary>
    static Api.PredictInput Theory(StudySettings s, int lout) =>
        new(s.Rho, s.Eta, s.Q, s.KMax, Api.Truncation.NewConverged(Api.ConvergenceGoal.Default.WithLout(lout)),
            FSharpOption<double>.None, Defaults.Predict.lawA, Accuracy.Default);

    static void Summary(TextWriter report, Study study, EnsembleStats e, string dir)
    {
        var s = study.Settings;
        var last = e.Times.Length - 1;
        report.WriteLine($"Backtracking run in {dir}: ρ = {F(s.Rho, "0.000e+00")}, η = {F(s.Eta, "G3")}, Nside {s.Nside}, " +
                          $"{e.Count} realisations, dt = {F(study.Dt, "G3")}/Ω, k_max = {F(s.KMax, "G4")} Ω/c");
        report.WriteLine();
        report.WriteLine("K_zz in c²/Ω; C_1^sub and the shot noise N in (c/Ω)²|∇f̄/f̄|² (map units); the errors are jackknife errors:");
        report.WriteLine($"{"ΩT",9} {"K_zz(T)",10} {"± err",8} {"K_zz/QLT",9} {"C_1^sub",11} {"noise N",11}");
        var kzzQlt = study.KzzQlt;
        // a jackknife needs two realisations
        string Err(double v, string f) => e.Count >= 2 ? F(v, f) : "–";
        for (var t = 0; t < e.Times.Length; t++)
            report.WriteLine($"{F(e.Times[t], "F1"),9} {F(e.Kzz(t), "F3"),10} {Err(e.KzzErr(t), "F3"),8} " +
                              $"{F(e.Kzz(t) / kzzQlt, "F3"),9} {F(e.ClSub[t][1], "0.000e+00"),11} {F(e.Noise[t], "0.000e+00"),11}");
        var negative = Enumerable.Range(0, e.Times.Length).Where(t => e.Noise[t] < 0).ToList();
        if (negative.Count > 0)
            report.WriteLine($"warning: the self-consistent noise N is negative at ΩT = {string.Join(", ", negative.Select(t => F(e.Times[t], "G4")))}: " +
                              $"these maps have no white plateau at ℓ ≥ 2·Nside = {2 * s.Nside} to measure the shot noise from, so C_ℓ^sub " +
                              "there is not a noise-subtracted spectrum (compare noise_eq7 in cl.csv; a larger Nside or later times help).");
        report.WriteLine();
        // the mixing-equation prediction for the same ρ (ΩΔT from the law with a = 4): its ℓ_max → ∞ limit and the
        // paper's truncation at ℓ_max = 100
        var lmax = Math.Min(3 * s.Nside - 1, 30);
        var input = Theory(s, Math.Max(lmax, 2));
        Api.Prediction? p = null;
        // in weak turbulence or at tiny ρ (long τ_s, large ΩΔT) this comparison can take minutes: it gets a time
        // budget, and the summary says when it was left out
        Console.Error.WriteLine($"simulate: the mixing-equation prediction for the comparison below (at most {ComparisonSeconds} s) ...");
        var prediction = Task.Run(() => Api.predict(input));
        try
        {
            if (prediction.Wait(TimeSpan.FromSeconds(ComparisonSeconds))) p = prediction.Result;
            else report.WriteLine($"(no mixing-matrix comparison: the prediction for this study takes longer than {ComparisonSeconds} s; " +
                                  $"run skymix predict --rho {F(s.Rho, "R")} --eta {F(s.Eta, "R")} --q {F(s.Q, "R")} --kmax {F(s.KMax, "R")} for it)");
        }
        catch (AggregateException failed) when (failed.InnerException is InputError outside)
        { report.WriteLine($"(no mixing-matrix prediction for this study: {outside.Message})"); }
        report.WriteLine($"C_ℓ^sub/C_1^sub at ΩT = {F(e.Times[last], "F1")} " +
                          (e.Count >= 2 ? $"({e.Count} realisations, jackknife errors)" : "(1 realisation: no errors; a jackknife needs at least 2)") +
                          (p is null ? "" : $" next to the mixing equation at ΩΔT = 4(Ωτ_s)^1/3 = {F(p.OmegaDT, "F2")}: its ℓ_max → ∞ limit and the paper's truncation at ℓ_max = {p.Paper.Lmax}") +
                          $"; ⟨cos α⟩ = {F(e.CosAlpha, "F3")}:");
        report.WriteLine($"{"ℓ",4} {"simulated",11} {"± err",10} {"ℓ_max → ∞",11} {"ℓ_max = " + (p?.Paper.Lmax ?? 100),12}");
        for (var l = 1; l <= Math.Min(lmax, 12); l++)
            report.WriteLine($"{l,4} {F(e.Ratio[last][l], "0.000e+00"),11} {Err(e.RatioErr[last][l], "0.0e+00"),10} " +
                              $"{(p is null ? "–" : F(p.Limit.Value.ClOverC1[l], "0.000e+00")),11} {(p is null ? "–" : F(p.Paper.ClOverC1[l], "0.000e+00")),12}");
    }
}
