using System.Diagnostics;
using SkyMix.Gpu;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>locality</c>: memory locality over a whole run (issue 14). The 10 TV field at the quick settings
/// (λ_min = r_g/10) with 2, 3 and 4 nested grids; an Nside 32 sky backtracked to ΩT = 2000 with the study's
/// step, as a study runs it (so the particles spread over the tables); the CPU path with vector lanes and
/// the scalar step — all in this run. Rates are per stretch of ΩT, so the cost of spreading shows. Then a whole 10 TV study at the quick settings (two
/// realisations, field generation and analysis included) for the overall rate.
/// </summary>
public static class LocalityCase
{
    public static void Run(string[] args)
    {
        var settings = StudySettings.WithDefaults(Units.rho(1e13, Defaults.Study.bRmsMicroGauss, Defaults.Study.lcParsec), 1e13,
                                                  Defaults.Study.eta, Units.kMaxOfLambdaMin(10, Defaults.Study.eta), new[] { 300.0, 2000.0 })
                       with { Nside = 32, Realizations = 2, Maps = false };
        var study = Study.Of(settings);
        var s = study.Spectrum;
        var sky = Backtrack.Sky(settings.Nside);
        var stretches = new[] { 0.0, 30.0, 300.0, 2000.0 };
        Console.WriteLine($"10 TV, λ_min = r_g/10: ρ = {settings.Rho:G3}, k ∈ [{s.KMin:G3}, {s.KMax:G3}] Ω/c, dt = {study.Dt:G3}/Ω, " +
                          $"{sky.Length} particles; the study's layout: {study.Layout.Count} grids");
        Console.WriteLine();
        Console.WriteLine("| grids | table [KB] | path | " + string.Join(" | ", stretches.Skip(1).Select((t, i) => $"ΩT {stretches[i]:G4}–{t:G4} [steps/s]")) + " | whole run [s] |");
        Console.WriteLine("|---|---|---|" + string.Concat(stretches.Skip(1).Select(_ => "---|")) + "---|");
        foreach (var grids in new[] { 2, 3, 4 })
        {
            var bands = SlabField.Split(s.KMin, s.KMax, grids);
            var field = SlabField.Generate(s, bands, study.SeedOf(0));
            var paths = new List<(string, Func<IPusher>)> { ("vector lanes", () => Accelerators.Create(DeviceKind.Cpu)) };
            if (grids == study.Layout.Count) paths.Add(("scalar step (baseline)", () => Accelerators.Create(DeviceKind.Cpu, path: CpuPath.Scalar)));
            foreach (var (name, make) in paths)
            {
                using var pusher = make();
                pusher.Load(field);
                pusher.Upload((Particle[])sky.Clone());
                pusher.Push(study.Dt, -1.0, 300); // compiles the path before the clock starts
                pusher.Upload((Particle[])sky.Clone());
                var rates = new List<double>();
                var total = Stopwatch.StartNew();
                for (var i = 1; i < stretches.Length; i++)
                {
                    var steps = (int)Math.Round((stretches[i] - stretches[i - 1]) / study.Dt);
                    var sw = Stopwatch.StartNew();
                    pusher.Push(study.Dt, -1.0, steps);
                    pusher.Download(new Particle[sky.Length]); // waits for the device (a GPU runs asynchronously)
                    rates.Add((double)steps * sky.Length / sw.Elapsed.TotalSeconds);
                }
                Console.WriteLine(FormattableString.Invariant(
                    $"| {grids} | {SlabField.Bytes(bands) / 1024.0:F0} | {name} | {string.Join(" | ", rates.Select(r => r.ToString("0.00e+00", System.Globalization.CultureInfo.InvariantCulture)))} | {total.Elapsed.TotalSeconds:F2} |"));
            }
        }
        Console.WriteLine();
        using (var pusher = Accelerators.Create(DeviceKind.Cpu))
        {
            var sw = Stopwatch.StartNew();
            long steps = 0;
            for (var r = 0; r < settings.Realizations; r++)
            {
                Backtrack.Realization(study, pusher, r);
                steps += study.StepCounts[^1] * (long)sky.Length;
            }
            Console.WriteLine(FormattableString.Invariant(
                $"whole study (Nside 32, 2 realisations, ΩT = 300, 2000; field generation and analysis included): {sw.Elapsed.TotalSeconds:F2} s, {steps / sw.Elapsed.TotalSeconds:0.00e+00} particle-steps/s overall"));
        }
    }
}
