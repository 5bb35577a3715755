using System.Diagnostics;
using SkyMix.Independent;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>predict-lmax</c>: one steady-state spectrum of the mixing equation at growing ℓ_max (1 PV, B_rms = 4 µG,
/// L_c = 30 pc, η = 0.5, ΩΔT = 4(Ωτ_s)^{1/3}, k_max of the 10 TV rule), the time per stage (Λ/W, κ band,
/// M^(1c), solve), the process's peak memory, and the scaling exponents of time and memory; then each of the
/// paper's four rigidities at ℓ_max = 100, and the ℓ_max → ∞ limit as <c>predict</c> computes it. Baseline,
/// in the same run: the direct algorithm (κ by Legendre quadrature in μ, M^(1c) by explicit m sums over the 3j
/// families; SkyMix.Independent.SlowMixing) at ℓ_max = 50 and 100. Each timing is the median of 3 runs after a
/// warm-up (one run at ℓ_max ≥ 1000).
/// </summary>
public static class PredictCase
{
    static readonly double RhoMin = Units.rho(1e13, 4, 30);

    static Spectrum SpectrumOf(double rigidity)
    {
        var rho = Units.rho(rigidity, 4, 30);
        return SpectrumModule.create(5.0 / 3.0, Units.kMin(rho, 0.5), Units.kMaxDefault(rho, RhoMin, 0.5), 0.5);
    }

    static double Law(Spectrum s) => Fit.paperLaw(Qlt.scatteringTime(s));

    static string Label(double r) => Units.rigidityText(" ", r);

    public static void Run(string[] args)
    {
        var lmaxes = args.Length > 0 ? args[0].Split(',').Select(int.Parse).ToArray() : new[] { 100, 200, 400, 1000, 2000 };
        var acc = Accuracy.Default;
        Console.WriteLine("| R | ℓ_max | ΩΔT | Λ, W [s] | κ band [s] | M^(1c) [s] | solve [s] | total [s] | peak memory [GB] |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var s = SpectrumOf(1e15);
        var dt = Law(s);
        var points = new List<(int Lmax, double Seconds, double Gb)>();
        foreach (var lmax in lmaxes.OrderBy(l => l))
        {
            var runs = lmax >= 1000 ? 1 : 3;
            double w = 0; KappaBand? kappa = null; double[,] m1c = new double[1, 1];
            var tW = Timing.MedianSeconds(runs, () => w = Mixing.w(s, acc, dt));
            var tK = Timing.MedianSeconds(runs, () => kappa = Kappa.band(s, acc, dt, 2 * lmax));
            var tM = Timing.MedianSeconds(runs, () => m1c = Mixing.m1c(kappa!, lmax));
            var m1a = Mixing.m1aDiagonal(w, lmax);
            var tS = Timing.MedianSeconds(runs, () => SteadyState.solve(Boundary.Absorbing, m1a, m1c, dt));
            var total = tW + tK + tM + tS;
            var gb = Process.GetCurrentProcess().PeakWorkingSet64 / 1e9;
            points.Add((lmax, total, gb));
            Console.WriteLine(FormattableString.Invariant($"| 1 PV | {lmax} | {dt:F2} | {tW:F3} | {tK:F3} | {tM:F3} | {tS:F3} | {total:F3} | {gb:F2} |"));
        }
        if (points.Count >= 2)
        {
            var (a, b) = (points[^2], points[^1]);
            var k = Math.Log((double)b.Lmax / a.Lmax);
            Console.WriteLine(FormattableString.Invariant(
                $"\nScaling between ℓ_max = {a.Lmax} and {b.Lmax}: time ∝ ℓ_max^{Math.Log(b.Seconds / a.Seconds) / k:F2}, peak memory ∝ ℓ_max^{Math.Log(b.Gb / a.Gb) / k:F2} (the process's whole footprint)."));
        }

        Console.WriteLine("\n| R | ΩΔT | paper's truncation ℓ_max = 100 [s] | ℓ_max → ∞ (as `predict`) [s] | ℓ_max reached | baseline ℓ_max = 50 [s] | baseline ℓ_max = 100 [s] |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var r in new[] { 1e13, 1e14, 1e15, 1e16 })
        {
            var sr = SpectrumOf(r);
            var rho = Units.rho(r, 4, 30);
            Api.PredictInput Input(Api.Truncation t) =>
                new(rho, 0.5, 5.0 / 3.0, Units.kMaxDefault(rho, RhoMin, 0.5), t, Microsoft.FSharp.Core.FSharpOption<double>.None, 4.0, acc);
            var tPaper = Timing.MedianSeconds(3, () => Api.predict(Input(Api.Truncation.NewPaper(100))));
            Api.Prediction? p = null;
            var tLimit = Timing.MedianSeconds(3, () => p = Api.predict(Input(Api.Truncation.NewConverged(Api.ConvergenceGoal.Default))));
            double Baseline(int lmax) => Timing.MedianSeconds(1, () =>
            {
                var dtr = Law(sr);
                var m1c = SlowMixing.m1c(SlowMixing.band(sr, acc, dtr, 2 * lmax), lmax);
                SteadyState.solve(Boundary.Absorbing, Mixing.m1aDiagonal(Mixing.w(sr, acc, dtr), lmax), m1c, dtr);
            });
            Console.WriteLine(FormattableString.Invariant(
                $"| {Label(r)} | {Law(sr):F2} | {tPaper:F3} | {tLimit:F3} | {p!.Lmax} | {Baseline(50):F2} | {Baseline(100):F2} |"));
        }
    }
}
