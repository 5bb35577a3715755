using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace SkyMix.Bench;

/// <summary>
/// Benchmark driver. Each case times SkyMix and, in the same run, the baseline it is compared with,
/// and prints a Markdown table for bench/RESULTS.md.
/// </summary>
public static class Program
{
    static readonly Dictionary<string, Action<string[]>> Cases = new()
    {
        ["sky"] = SkyCase.Run,
        ["predict-lmax"] = PredictCase.Run,
        ["boris"] = BorisCase.Run,
        ["convergence"] = ConvergenceCase.Run,
        ["layout"] = LayoutCase.Run,
        ["equivalence"] = EquivalenceCase.Run,
        ["locality"] = LocalityCase.Run,
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Cases.TryGetValue(args[0], out var run))
        {
            Console.Error.WriteLine($"usage: dotnet run -c Release --project bench -- {string.Join('|', Cases.Keys)} [options]");
            return 2;
        }
        Console.WriteLine($"machine: {Machine.Describe()}");
        run(args[1..]);
        return 0;
    }
}

/// <summary>Options of a case: the value after --name, or null.</summary>
public static class Options
{
    public static string? Of(string[] args, string name) =>
        Enumerable.Range(0, Math.Max(0, args.Length - 1)).Where(i => args[i] == name).Select(i => args[i + 1]).FirstOrDefault();
}

/// <summary>What the benchmark ran on, for the results table.</summary>
public static class Machine
{
    public static string Describe()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";
        return $"{cpu}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, AVX2 {Vector256.IsHardwareAccelerated}";
    }
}

/// <summary>Timing helpers: median of repeated runs after a warm-up.</summary>
public static class Timing
{
    public static double MedianSeconds(int runs, Action body)
    {
        body();
        var t = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            body();
            t[i] = sw.Elapsed.TotalSeconds;
        }
        Array.Sort(t);
        return t[runs / 2];
    }

    /// <summary>Runs a Python snippet with Debian's python3 and returns its last stdout line, or null.</summary>
    public static string? Python(string code)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python)) return null;
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(code);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output.Trim().Split('\n').Last() : null;
    }
}
