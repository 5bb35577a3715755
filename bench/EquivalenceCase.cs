using SkyMix.Gpu;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>equivalence --device D</c> (the GPU check): device D against the CPU path on the same fields —
/// (i) one Boris step of every particle of an Nside 16 sky through a nested field, agreeing to 1e-12;
/// (ii) an ensemble at 10 PV (Nside 16, 16 realisations, ΩT = 30, 100): K_zz(T) and C_ℓ/C_1 (ℓ = 2 … 6)
/// equal within 3 jackknife errors. Prints PASS or FAIL per item and exits 1 on a failure.
/// </summary>
public static class EquivalenceCase
{
    public static void Run(string[] args)
    {
        var device = Accelerators.Parse(Options.Of(args, "--device") ?? "auto");
        var failed = 0;
        void Report(bool ok, string what)
        {
            Console.WriteLine($"{(ok ? "PASS" : "FAIL")}  {what}");
            if (!ok) failed++;
        }
        // (i) single steps
        var s = SpectrumModule.create(5.0 / 3.0, 0.01, 100.0, 0.5);
        var field = SlabField.Generate(s, SlabField.Layout(s, 1L << 20), 3);
        using (var cpu = Accelerators.Create(DeviceKind.Cpu))
        using (var other = Accelerators.Create(device))
        {
            cpu.Load(field);
            other.Load(field);
            var a = Backtrack.Sky(16);
            var b = Backtrack.Sky(16);
            foreach (var (p, ps) in new[] { (cpu, a), (other, b) })
            {
                p.Upload(ps);
                p.Push(0.02, -1.0, 1);
                p.Download(ps);
            }
            var worst = a.Zip(b, (x, y) => new[] { x.X - y.X, x.Y - y.Y, x.Z - y.Z, x.Ux - y.Ux, x.Uy - y.Uy, x.Uz - y.Uz }.Max(Math.Abs)).Max();
            Report(worst < 1e-12, $"one step, {a.Length} particles, {other.Device} vs the CPU path: largest difference {worst:G3} (< 1e-12)");
        }
        // (ii) ensembles
        var settings = StudySettings.WithDefaults(0.09, null, 0.5, 2 * Math.PI * 10 / Math.Sqrt(0.5), new[] { 30.0, 100.0 })
                       with { Nside = 16, Realizations = 16, Maps = false };
        var study = Study.Of(settings);
        EnsembleStats Ensemble(DeviceKind kind)
        {
            using var pusher = Accelerators.Create(kind);
            return SkyMix.Theory.Ensemble.ofRealizations(Enumerable.Range(0, settings.Realizations)
                .Select(r => Backtrack.Realization(study, pusher, r).Summary).ToArray());
        }
        var e1 = Ensemble(DeviceKind.Cpu);
        var e2 = Ensemble(device);
        for (var t = 0; t < e1.Times.Length; t++)
        {
            var err = Math.Max(e1.KzzErr(t), e2.KzzErr(t));
            Report(Math.Abs(e1.Kzz(t) - e2.Kzz(t)) < 3 * err, $"K_zz(ΩT = {e1.Times[t]:G4}): {e1.Kzz(t):F3} vs {e2.Kzz(t):F3} ± {err:F3}");
            for (var l = 2; l <= 6; l++)
            {
                var e = Math.Max(e1.RatioErr[t][l], e2.RatioErr[t][l]);
                Report(Math.Abs(e1.Ratio[t][l] - e2.Ratio[t][l]) < 3 * e,
                       $"C_{l}/C_1(ΩT = {e1.Times[t]:G4}): {e1.Ratio[t][l]:G4} vs {e2.Ratio[t][l]:G4} ± {e:G2}");
            }
        }
        Console.WriteLine(failed == 0 ? "equivalence: all passed" : $"equivalence: {failed} failed");
        if (failed > 0) Environment.Exit(1);
    }
}
