using System.Diagnostics;
using System.Runtime.Intrinsics;
using SkyMix.Gpu;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>boris</c>: particle-steps per second of the Boris push (i) through one periodic table of 2^20
/// points (spacing r_g/100, step r_g/50, 4096 particles × 2000 steps at 10 PV) and (ii) through the real
/// nested-grid field at ρ = 8.9e-3 with k_max from the 10 TV rule (Nside 64 sky, 200 steps); on the
/// CPU path as it chooses itself (8 lanes with AVX-512), with 4 lanes and with the scalar step (the baseline),
/// ILGPU's CPU accelerator and one thread — all in this run — and on CUDA when present.
/// Options: --nside N for (ii) (default 64), --device D to time one device only (the GPU check).
/// </summary>
public static class BorisCase
{
    public static void Run(string[] args)
    {
        const double eta = 0.5;
        var rg = Math.Sqrt(1 - eta); // r_g in units of c/Ω
        // (i) one table of 2^20 points
        var h = rg / 100;
        var n = 1 << 20;
        var kLo = 8 * 2 * Math.PI / (n * h);
        var kHi = 2 * Math.PI / (10 * h);
        var s1 = SpectrumModule.create(5.0 / 3.0, kLo, kHi, eta);
        var table = SlabField.Generate(s1, new[] { new GridBand(kLo, kHi, n, h) }, 1);
        var sky1 = Enumerable.Range(0, 4096).Select(i =>
        {
            var mu = -1 + (2.0 * i + 1) / 4096;
            var ph = 2.399963 * i;
            var up = Math.Sqrt(1 - mu * mu);
            return new Particle(0, 0, 0, up * Math.Cos(ph), up * Math.Sin(ph), mu);
        }).ToArray();
        // (ii) the nested field at 1 PV in a 10 TV study
        var rho = 8.9e-3;
        var s2 = SpectrumModule.create(5.0 / 3.0, Units.kMin(rho, eta), Units.kMaxDefault(rho, 8.9e-5, eta), eta);
        var nested = SlabField.Generate(s2, SlabField.Layout(s2, 2L << 30), 1);
        var nside = int.Parse(Options.Of(args, "--nside") ?? "64");
        var only = Options.Of(args, "--device");
        var sky2 = SkyMix.Runs.Backtrack.Sky(nside);
        Console.WriteLine($"(i) one table: {n} points × 2 components, float32 ({n * 8 / 1048576} MB), dt = r_g/50 = {rg / 50:G3}/Ω");
        Console.WriteLine($"(ii) nested field: {nested.Bands.Length} grids of {nested.Bands[0].N} points, k ∈ [{s2.KMin:G3}, {s2.KMax:G3}] Ω/c, dt = 0.01/Ω");
        Console.WriteLine();
        Console.WriteLine($"| path | (i) one table [steps/s] | (ii) nested grids, Nside {nside} [steps/s] |");
        Console.WriteLine("|---|---|---|");
        var paths = new List<(string, Func<IPusher>)>
        {
            ($"CPU path as chosen here: {Accelerators.Create(DeviceKind.Cpu).Device}", () => Accelerators.Create(DeviceKind.Cpu)),
            ($"CPU path, scalar step ({Environment.ProcessorCount} threads; the baseline)", () => Accelerators.Create(DeviceKind.Cpu, path: CpuPath.Scalar)),
            ($"CPU path, 4 lanes ({Environment.ProcessorCount} threads{(Vector256.IsHardwareAccelerated ? "" : ", emulated")})", () => Accelerators.Create(DeviceKind.Cpu, path: CpuPath.Lanes4)),
            ("ILGPU CPU accelerator", () => Accelerators.Create(DeviceKind.IlgpuCpu)),
            ("one thread, the CPU path as chosen here", () => Accelerators.Create(DeviceKind.Cpu, threads: 1)),
            ("scalar step, one thread", () => Accelerators.Create(DeviceKind.Cpu, threads: 1, path: CpuPath.Scalar)),
        };
        if (Accelerators.HasCuda()) paths.Add(("CUDA (ILGPU)", () => Accelerators.Create(DeviceKind.Cuda)));
        if (only is not null)
        {
            var kind = Accelerators.Parse(only);
            paths = kind == DeviceKind.Cuda ? paths.Where(p => p.Item1.StartsWith("CUDA")).ToList()
                  : kind == DeviceKind.IlgpuCpu ? paths.Where(p => p.Item1.StartsWith("ILGPU")).ToList()
                  : paths.Where(p => p.Item1.StartsWith("CPU path")).ToList();
        }
        foreach (var (name, make) in paths)
        {
            using var pusher = make();
            var slow = name.StartsWith("ILGPU");
            var a = Rate(pusher, table, sky1, rg / 50, slow ? 300 : 2000);
            var b = Rate(pusher, nested, sky2, 0.01, slow ? 30 : 200);
            Console.WriteLine(FormattableString.Invariant($"| {name} | {a:0.00e+00} | {b:0.00e+00} |"));
        }
    }

    static double Rate(IPusher pusher, SlabField field, Particle[] start, double dt, int steps)
    {
        pusher.Load(field);
        var warm = (Particle[])start.Clone();
        pusher.Upload(warm);
        pusher.Push(dt, -1.0, Math.Max(1, steps / 10));
        pusher.Download(warm);
        var best = 0.0;
        for (var rep = 0; rep < 3; rep++)
        {
            var ps = (Particle[])start.Clone();
            var sw = Stopwatch.StartNew();
            pusher.Upload(ps);
            pusher.Push(dt, -1.0, steps);
            pusher.Download(ps);
            best = Math.Max(best, (double)ps.Length * steps / sw.Elapsed.TotalSeconds);
        }
        return best;
    }
}
