using System.Diagnostics;
using SkyMix.Gpu;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>layout</c>: the nested-grid layout against speed (issue 14). For the field of a 10 TV study at the
/// quick settings (λ_min = r_g/10) and of 1 PV at the paper's k_max, every grid count 1 … 4 side by side:
/// the table size, the time and memory to generate one realisation, and particle-steps per second of the CPU
/// path (Nside 32, dt = 0.01/Ω, 300 steps), and which count <see cref="SlabField.Layout"/> picks.
/// </summary>
public static class LayoutCase
{
    public static void Run(string[] args)
    {
        const double eta = 0.5;
        var cases = new[]
        {
            ("10 TV, λ_min = r_g/10", Units.rho(1e13, 4, 30), Units.kMaxOfLambdaMin(10, eta)),
            ("1 PV, λ_min = r_g/150 at 10 TV", Units.rho(1e15, 4, 30), Units.kMaxDefault(Units.rho(1e15, 4, 30), Units.rho(1e13, 4, 30), eta)),
        };
        var sky = SkyMix.Runs.Backtrack.Sky(32);
        Console.WriteLine("| field | grids | points per grid | table [MB] | generate [s] | steps/s (Nside 32) | picked |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        using var pusher = Accelerators.Create(DeviceKind.Cpu);
        foreach (var (name, rho, kmax) in cases)
        {
            var s = SpectrumModule.create(5.0 / 3.0, Units.kMin(rho, eta), kmax, eta);
            var picked = SlabField.Layout(s, 2048L << 20).Length;
            for (var g = 1; g <= NestedField<ArrayTable>.MaxGrids; g++)
            {
                var bands = SlabField.Split(s.KMin, s.KMax, g);
                if (bands.Length == 0 || SlabField.Bytes(bands) > 2048L << 20) continue;
                GC.Collect();
                var sw = Stopwatch.StartNew();
                var field = SlabField.Generate(s, bands, 1);
                var generate = sw.Elapsed.TotalSeconds;
                pusher.Load(field);
                var rate = Rate(pusher, sky, 300);
                Console.WriteLine(FormattableString.Invariant(
                    $"| {name} | {g} | {bands[0].N} | {SlabField.Bytes(bands) / 1048576.0:G3} | {generate:F3} | {rate:0.00e+00} | {(g == picked ? "◀" : "")} |"));
            }
        }
    }

    static double Rate(IPusher pusher, Particle[] start, int steps)
    {
        var best = 0.0;
        for (var rep = 0; rep < 3; rep++)
        {
            var ps = (Particle[])start.Clone();
            var sw = Stopwatch.StartNew();
            pusher.Upload(ps);
            pusher.Push(0.01, -1.0, steps);
            pusher.Download(ps);
            best = Math.Max(best, (double)ps.Length * steps / sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
