using SkyMix.Gpu;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>equivalence --device D</c> (the GPU check): device D against the CPU path on the same fields —
/// (i) one Boris step of every particle of an Nside 16 sky through a nested field, agreeing to 1e-12;
/// (ii) an ensemble at 10 PV (Nside 16, 16 realisations, ΩT = 30, 100) with the same seeds on both: the
/// realisation-by-realisation differences of ⟨Δz²⟩ and C_ℓ (ℓ = 1 … 6) average to zero within 3 jackknife
/// errors of the difference (chaos lets single orbits drift apart over ΩT = 100 by the FMA contraction of a GPU,
/// the ensembles must not). Prints PASS or FAIL per item and exits 1 on a failure.
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
            var (a, b) = Accelerators.SideBySide(cpu, other, field, Backtrack.Sky(16), 0.02, -1.0, 1);
            var worst = a.Zip(b, (x, y) => new[] { x.X - y.X, x.Y - y.Y, x.Z - y.Z, x.Ux - y.Ux, x.Uy - y.Uy, x.Uz - y.Uz }.Max(Math.Abs)).Max();
            Report(worst < 1e-12, $"one step, {a.Length} particles, {other.Device} vs the CPU path: largest difference {worst:G3} (< 1e-12)");
        }
        // (ii) ensembles
        var settings = StudySettings.WithDefaults(0.09, null, 0.5, 2 * Math.PI * 10 / Math.Sqrt(0.5), new[] { 30.0, 100.0 })
                       with { Nside = 16, Realizations = 16, Maps = false };
        var study = Study.Of(settings);
        Realization[] Realizations(DeviceKind kind)
        {
            using var pusher = Accelerators.Create(kind);
            return Enumerable.Range(0, settings.Realizations).Select(r => Backtrack.Realization(study, pusher, r).Summary).ToArray();
        }
        var r1 = Realizations(DeviceKind.Cpu);
        var r2 = Realizations(device);
        void Paired(string what, Func<Realization, double> value)
        {
            var (mean, err) = Jackknife.mean(r1.Zip(r2, (a, b) => value(a) - value(b)).ToArray()).ToValueTuple();
            var scale = r1.Average(value);
            Report(mean == 0 || Math.Abs(mean) < 3 * err, $"{what}: mean {scale:G4}, paired difference {mean:G3} ± {err:G2}");
        }
        for (var t = 0; t < study.TimesReached.Count; t++)
        {
            var time = study.TimesReached[t];
            var k = t;
            Paired($"⟨Δz²⟩(ΩT = {time:G4})", r => r.Displacement2[k][2]);
            for (var l = 1; l <= 6; l++)
            {
                var ell = l;
                Paired($"C_{l}(ΩT = {time:G4})", r => r.Cl[k][ell]);
            }
        }
        Console.WriteLine(failed == 0 ? "equivalence: all passed" : $"equivalence: {failed} failed");
        if (failed > 0) Environment.Exit(1);
    }
}
