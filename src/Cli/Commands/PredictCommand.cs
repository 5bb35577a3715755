using System.Diagnostics;
using System.Globalization;
using Microsoft.FSharp.Core;
using SkyMix.CliArgs;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix predict</c>: the steady-state angular power spectrum of the mixing equation for one or more
/// rigidities (paper eqs. 17–51 with the corrections of docs/physics.md), as a table, CSV, JSON and a plot.
/// </summary>
public static class PredictCommand
{
    /// <summary>One rigidity before it is computed: its rigidity [V] when given physically, and the theory input.</summary>
    sealed record Case(double? RigidityVolts, Api.PredictInput Input);

    public static int Run(Parse.PredictOptions o)
    {
        var inputs = Cases(o);
        Plots.CheckName(o.Plot, "--plot");
        var outputs = Outputs(o);
        foreach (var (path, what) in outputs) Files.CheckWritable(path, what);
        Files.CheckDistinct(outputs, Array.Empty<string>());
        CheckSize(o, inputs);
        foreach (var warning in inputs.SelectMany(c => Api.warnings(c.Input)).Distinct())
            Console.Error.WriteLine($"skymix: warning: {warning}");
        // the tables go to stderr when a file goes to standard output
        var report = outputs.Any(x => x.Path == Files.StandardOutput) ? Console.Error : Console.Out;

        var cases = new List<PredictedCase>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var c = inputs[i];
            // one line per stage on stderr, its time written when it ends
            var who = $"predict ρ = {Sci(c.Input.Rho)} [{i + 1}/{inputs.Count}]";
            var total = Stopwatch.StartNew();
            var stage = Stopwatch.StartNew();
            var open = false;
            void Stage(string what)
            {
                if (open) Console.Error.WriteLine($"{stage.Elapsed.TotalSeconds:F2} s");
                Console.Error.Write($"{who} {what}: ");
                open = true;
                stage.Restart();
            }
            var result = Api.predictWith(FuncConvert.FromAction<string>(Stage), c.Input);
            double[][]? evolution = null;
            if (o.Times > 0)
            {
                Stage($"evolution, {o.Times} steps");
                evolution = Api.evolve(result, o.Times);
            }
            Api.ScanRow[]? scan = null;
            if (o.LmaxScan.Length > 0)
            {
                Stage($"scan ℓ_max = {string.Join(",", o.LmaxScan)}");
                scan = Api.scan(c.Input, o.LmaxScan);
            }
            if (open) Console.Error.WriteLine($"{stage.Elapsed.TotalSeconds:F2} s");
            cases.Add(new PredictedCase(c.RigidityVolts, c.Input, result, total.Elapsed.TotalSeconds, evolution, scan));
        }

        PrintTable(report, cases, o);
        if (o.Debug) PrintSumRule(report, cases);
        if (o.Times > 0) PrintEvolution(report, cases);
        if (o.LmaxScan.Length > 0) PrintScan(report, cases);
        // every output or none: a failure on the last leaves the files as they were
        Files.AllOrNone(() =>
        {
            if (o.Out is not null) PredictFiles.WriteCsv(o.Out, cases, o.Lmax is null);
            if (o.Out is not null && o.Times > 0) PredictFiles.WriteTimeCsv(TimeFile(o.Out), cases);
            if (o.Out is not null && o.LmaxScan.Length > 0) PredictFiles.WriteScanCsv(SideFile(o.Out, "scan", ".csv"), cases);
            if (o.Plot is not null && o.LmaxScan.Length > 0) Plots.LmaxScan(SideFile(o.Plot, "scan", ".png"), cases.Select(c => (Label(c), c.Scan!)).ToList());
            if (o.Json is not null)
                PredictFiles.WriteJson(o.Json, new PredictContext(o.BrmsMicroGauss, o.LcParsec, o.OmegaDT is not null, o.LawA, Program.VersionText), cases);
            if (o.Plot is not null) Plots.Spectra(o.Plot, cases, o.Lmax is null ? $"ℓmax → ∞ (zero-flux boundary, ℓ ≤ {o.Lout})" : $"ℓmax = {o.Lmax} (absorbing boundary, the paper's)");
        });
        return 0;
    }

    /// <summary>Every file predict will write, with the option that names it; the files beside --out and --plot
    /// (time series, ℓ_max scan) cannot be derived from "-" (standard output).</summary>
    static List<(string? Path, string What)> Outputs(Parse.PredictOptions o)
    {
        foreach (var (path, what) in new[] { (o.Out, "--out"), (o.Plot, "--plot") })
            if (path == Files.StandardOutput && (o.Times > 0 || o.LmaxScan.Length > 0) && (what == "--out" || o.LmaxScan.Length > 0))
                throw new InputError($"{what} - (standard output) takes one file, but {(o.Times > 0 && what == "--out" ? "--times" : "--lmax-scan")} writes another beside it: give {what} a file name");
        return new List<(string? Path, string What)>
        {
            (o.Out, "--out"),
            (o.Out is null || o.Times == 0 ? null : TimeFile(o.Out), "--out (time series)"),
            (o.Out is null || o.LmaxScan.Length == 0 ? null : SideFile(o.Out, "scan", ".csv"), "--out (ℓ_max scan)"),
            (o.Plot is null || o.LmaxScan.Length == 0 ? null : SideFile(o.Plot, "scan", ".png"), "--plot (ℓ_max scan)"),
            (o.Json, "--json"),
            (o.Plot, "--plot"),
        };
    }

    /// <summary>Refuses, before any work, a computation whose memory exceeds what this machine has, and an
    /// evolution too large to hold (checked at the smallest ℓ_max it can run at; again at the real one).</summary>
    static void CheckSize(Parse.PredictOptions o, List<Case> inputs)
    {
        if (o.Times > 0)
            Api.checkEvolution(o.Times, o.Lmax ?? Api.lmaxSequence(Api.ConvergenceGoal.Default.WithLout(o.Lout))[0]);
        var available = (double)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var scanTop = o.LmaxScan.Length > 0 ? o.LmaxScan[^1] : 0;
        foreach (var c in inputs)
        {
            var need = Api.memoryBytes(c.Input, o.Times, scanTop);
            if (need > 0.8 * available)
                throw new InputError($"this prediction needs about {need / 1e9:F1} GB (dense matrices at ℓ_max = {Api.lmaxBound(c.Input)}), " +
                                     $"more than the {available / 1e9:F1} GB available; lower --lmax{(o.Times > 0 ? " or --times" : "")}");
        }
    }

    /// <summary>The theory inputs of every rigidity, all validated before anything is computed.</summary>
    static List<Case> Cases(Parse.PredictOptions o)
    {
        var physical = o.Rho.Length == 0;
        var rhos = physical
            ? o.RigidityVolts.Select(r => Units.rhoOfInputs(r, o.BrmsMicroGauss, o.LcParsec)).ToArray()
            : o.Rho;
        if (o.Times < 0) throw new InputError($"--times must be ≥ 0 steps, got {o.Times}");
        foreach (var rho in rhos)
            if (!(rho > 0 && double.IsFinite(rho))) throw new InputError($"ρ must be positive, got {rho}");
        if (rhos.Distinct().Count() < rhos.Length)
            throw new InputError(physical ? "--rigidity gives a rigidity twice; give each once" : "--rho gives a value twice; give each once");
        var rhoMin = rhos.Min();
        var cases = new List<Case>();
        for (var i = 0; i < rhos.Length; i++)
        {
            var input = new Api.PredictInput(
                rhos[i], o.Eta, o.Q,
                o.KMax ?? Units.kMaxDefault(rhos[i], rhoMin, o.Eta),
                Truncation(o),
                o.OmegaDT is double dt ? FSharpOption<double>.Some(dt) : FSharpOption<double>.None,
                o.LawA, Accuracy.Default);
            Api.validate(input);
            Cost.Check(input, $"ρ = {Sci(rhos[i])}");
            cases.Add(new Case(physical ? o.RigidityVolts[i] : null, input));
        }
        return cases;
    }


    /// <summary>The truncation asked for: the paper's at --lmax N, else the converged limit.</summary>
    static Api.Truncation Truncation(Parse.PredictOptions o) =>
        o.Lmax is int n
            ? Api.Truncation.NewPaper(n)
            : Api.Truncation.NewConverged(Api.ConvergenceGoal.Default.WithLout(o.Lout).WithTol(o.Tol));

    static string TimeFile(string csv) => SideFile(csv, "time", ".csv");

    /// <summary>FILE.csv → FILE.what.ext beside it.</summary>
    static string SideFile(string file, string what, string ext) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, Path.GetFileNameWithoutExtension(file) + "." + what + ext);

    static string Fmt(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    static string Sci(double v) => v.ToString("0.000e+00", CultureInfo.InvariantCulture);

    /// <summary>About four significant digits: fixed point from 0.01 to 1e5, else scientific (never "0.000").</summary>
    static string Short(double v) => Math.Abs(v) switch
    {
        >= 1000 and < 1e5 => v.ToString("F0", CultureInfo.InvariantCulture),
        >= 0.01 and < 1000 => v.ToString("G4", CultureInfo.InvariantCulture),
        _ => v.ToString("0.00e+00", CultureInfo.InvariantCulture),
    };


    static string Label(PredictedCase c) =>
        c.RigidityVolts is double r ? $"{FitFiles.Rigidity(r)} (ρ = {Sci(c.Input.Rho)})" : $"ρ = {Sci(c.Input.Rho)}";

    static void PrintTable(TextWriter report, List<PredictedCase> cases, Parse.PredictOptions o)
    {
        var auto = o.Lmax is null;
        var first = cases[0].Result!;
        report.WriteLine($"Steady-state C_ℓ of the mixing equation (eq. 20), " +
                          (auto ? $"ℓ_max → ∞ (zero-flux boundary; C_ℓ/C_1 for ℓ ≤ {o.Lout} converged to {Fmt(o.Tol, "G4")})"
                                : $"the paper's truncation at ℓ_max = {o.Lmax} (absorbing boundary)") +
                          $": η = {Fmt(o.Eta, "G6")}, q = {Fmt(o.Q, "G6")}, ΩΔT {(o.OmegaDT is null ? $"= {Fmt(o.LawA, "G6")}·(Ωτ_s)^(1/3)" : "given")}" +
                          (cases[0].RigidityVolts is null ? "" : $", B_rms = {Fmt(o.BrmsMicroGauss, "G6")} µG, L_c = {Fmt(o.LcParsec, "G6")} pc"));
        report.WriteLine();
        var top = first.MainClOverC1.Length - 1;
        var indexHeader = top >= 6 ? $"index ℓ=5–{Math.Min(30, top)}" : "index";
        var extra = auto ? $" {"ℓ_max",6} {"rel. err",9}" : "";
        report.WriteLine($"{"rigidity",-10} {"ρ = r_g/L_c",12} {"Ωτ_s",9} {"ΩΔT",8} {"C_2/C_1",11} {"C_10/C_1",11} {indexHeader,13}{extra} {"τ_s [yr]",10} {"time [s]",9}");
        foreach (var c in cases)
        {
            var p = c.Result;
            var r = p.MainClOverC1;
            var index = p.Index is { } ix ? Fmt(ix.Value, "F3") : "–";
            var c10 = r.Length > 10 ? Sci(r[10]) : "–";
            var tau = c.RigidityVolts is double rv0 ? Fmt(Units.years(p.OmegaTauS, Units.omegaPerSecond(Units.gyroradiusPc(rv0, o.BrmsMicroGauss), p.Input.Eta)), "G4") : "–";
            var limitCols = "";
            if (p.Limit is { } lim)
            {
                var l = lim.Value;
                var err = l.Converged ? Fmt(Enumerable.Range(2, l.ClOverC1.Length - 2).Max(k => l.Err[k] / Math.Abs(l.ClOverC1[k])), "0.0e+00") : "not conv.";
                limitCols = $" {p.Lmax,6} {err,9}";
            }
            report.WriteLine($"{(c.RigidityVolts is double rv ? FitFiles.Rigidity(rv) : "–"),-10} {Sci(p.Input.Rho),12} {Short(p.OmegaTauS),9} " +
                              $"{Short(p.OmegaDT),8} {Sci(r[2]),11} {c10,11} {index,13}{limitCols} {tau,10} {Fmt(c.Seconds, "F2"),9}");
        }
        report.WriteLine();
        report.WriteLine($"Ωτ_s: the scattering time of QLT; ΩΔT: the mixing time step; index: the slope of C_ℓ ∝ ℓ^index fitted over " +
                          $"ℓ = 5–{Math.Min(30, top)}{(auto ? "; ℓ_max, rel. err: where the limit was reached and its largest relative error" : "")}; " +
                          "τ_s in years (with --rigidity); time: seconds this prediction took.");
        static string Percent(FSharpOption<double>? v, string format) => v is { } x ? Fmt(100 * x.Value, format) + "%" : "–";
        if (auto)
        {
            var unconverged = cases.Where(c => !c.Result.Limit!.Value.Converged).ToList();
            if (unconverged.Count > 0)
                report.WriteLine($"NOT CONVERGED within ℓ_max ≤ {Api.ConvergenceGoal.Default.LmaxLimit}: {string.Join(", ", unconverged.Select(c => $"ρ = {Sci(c.Input.Rho)} (ℓ = {string.Join(",", c.Result.Limit!.Value.Unconverged.Take(5))}{(c.Result.Limit.Value.Unconverged.Length > 5 ? ", …" : "")})"))}; " +
                                  "their rows show the values at the last ℓ_max, not a limit.");
            var pl = first.Paper.Lmax;
            report.WriteLine($"The paper's truncation (ℓ_max = {pl}, absorbing boundary) for comparison: C_2/C_1 = {string.Join(", ", cases.Select(c => Sci(c.Result.Paper.ClOverC1[2])))}, " +
                              $"index {string.Join(", ", cases.Select(c => c.Result.Paper.Index is { } ix ? Fmt(ix.Value, "F3") : "–"))}; " +
                              $"it loses {string.Join(", ", cases.Select(c => Fmt(100 * c.Result.Paper.Budget.Escaped / c.Result.Paper.Budget.Injected, "F0") + "%"))} of the injected power through ℓ_max " +
                              "and grows without visible end as ℓ_max rises (README, \"Convergence in ℓ_max\").");
        }
        var paper = first.Paper;
        var half = Math.Max(2, paper.Lmax / 2);
        report.WriteLine(paper.Lmax > half
            ? $"Truncation check{(auto ? " (paper's truncation)" : "")}: C_ℓ/C_1 at ℓ ≤ {Math.Min(30, half)} changes by up to {string.Join(", ", cases.Select(c => Percent(c.Result.Paper.TruncationChange, "F1")))} " +
              $"between ℓ_max = {half} and {paper.Lmax}."
            : "Truncation check: needs ℓ_max ≥ 3 (it compares ℓ_max with ℓ_max/2).");
        report.WriteLine(paper.Lmax >= 16
            ? $"Extension check (paper, Sec. 2.2.3): the ℓ_max = {half} spectrum continued by its tail's power law differs from the " +
              $"ℓ_max = {paper.Lmax} one by up to {string.Join(", ", cases.Select(c => Percent(c.Result.Paper.ExtensionChange, "F0")))} above ℓ = {half}."
            : "Extension check (paper, Sec. 2.2.3): needs ℓ_max ≥ 16 (the ℓ_max/2 spectrum must have a tail from ℓ = 8 on to continue).");
    }

    static void PrintSumRule(TextWriter report, List<PredictedCase> cases)
    {
        report.WriteLine($"Sum rule Σ_ℓ≤ℓmax (2ℓ+1)(2M1a+M1c)_ℓℓ0 / Σ|…| at the paper's ℓ_max = {cases[0].Result!.Paper.Lmax} (nonzero = power leaving through ℓ > ℓ_max):");
        foreach (var c in cases)
        {
            var r = c.Result.Paper.SumRuleResidual;
            report.WriteLine($"  ρ = {Sci(c.Input.Rho)}: ℓ0 = 1: {Sci(r[0])}, ℓ0 = {r.Length}: {Sci(r[^1])}, max |…| = {Sci(r.Max(Math.Abs))}");
        }
    }

    static void PrintEvolution(TextWriter report, List<PredictedCase> cases)
    {
        report.WriteLine($"Time dependence from a dipole-only start, C_ℓ(t) in units of S/Ω: eq. 19 integrated as dC/dt = (G/ΔT)·C + S e₁ with the boundary and ℓ_max of the main result ({(cases[0].Result.Boundary.IsZeroFlux ? "zero flux" : "absorbing")}, ℓ_max = {cases[0].Result.Lmax}):");
        foreach (var c in cases)
        {
            var ev = c.Evolution!;
            report.WriteLine($"  ρ = {Sci(c.Input.Rho)}:   {"ΩT",8} {"C_1",11} {"C_2",11} {"C_10",11}");
            var stride = Math.Max(1, ev.Length / 10);
            for (var n = 0; n < ev.Length; n += stride)
                report.WriteLine($"  {"",16} {Fmt(n * c.Result.OmegaDT, "F1"),8} {Sci(ev[n][1]),11} {Sci(ev[n][2]),11} {(ev[n].Length > 10 ? Sci(ev[n][10]) : "–"),11}");
        }
    }

    /// <summary>Per ρ, one row per ℓ_max of the scan: C_ℓ/C_1 at ℓ = 2, 10, 30 with both boundaries, the local
    /// slope d ln(C_ℓ/C_1)/d ln ℓ_max and the share of the injected power lost through ℓ_max.</summary>
    static void PrintScan(TextWriter report, List<PredictedCase> cases)
    {
        foreach (var c in cases)
        {
            report.WriteLine();
            report.WriteLine($"How C_ℓ/C_1 moves with ℓ_max, {Label(c)}, ΩΔT = {Fmt(c.Result.OmegaDT, "F3")} (slope: d ln(C_ℓ/C_1)/d ln ℓ_max from the previous ℓ_max; escaped: share of the injected power lost through ℓ_max):");
            report.WriteLine($"{"ℓ_max",6} | {"absorbing: C_2/C_1",18} {"C_10/C_1",10} {"C_30/C_1",10} {"slope ℓ=2",9} {"slope ℓ=30",10} {"escaped",8} | {"zero flux: C_2/C_1",18} {"C_10/C_1",10} {"C_30/C_1",10}");
            var rows = c.Scan!;
            Api.ScanRow? previous = null;
            foreach (var a in rows.Where(r => r.Boundary.IsAbsorbing))
            {
                var z = rows.First(r => r.Boundary.IsZeroFlux && r.Lmax == a.Lmax);
                string At(double[] v, int l) => l < v.Length ? Sci(v[l]) : "–";
                string Slope(int l) => previous is { } p && l <= p.Lmax
                    ? Fmt(Math.Log(a.ClOverC1[l] / p.ClOverC1[l]) / Math.Log((double)a.Lmax / p.Lmax), "F3") : "–";
                report.WriteLine($"{a.Lmax,6} | {At(a.ClOverC1, 2),18} {At(a.ClOverC1, 10),10} {At(a.ClOverC1, 30),10} {Slope(2),9} {Slope(30),10} {Fmt(100 * a.EscapedShare, "F1") + "%",8} | " +
                                  $"{At(z.ClOverC1, 2),18} {At(z.ClOverC1, 10),10} {At(z.ClOverC1, 30),10}");
                previous = a;
            }
        }
    }
}
