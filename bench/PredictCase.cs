using System.Diagnostics;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>predict</c>: one full steady-state spectrum (ℓ_max = 100, κ for ℓ ≤ 200) for each of the paper's
/// four rigidities, and one at ℓ_max = 200, with the time per stage (Λ/W, κ, M^(1c) with its 3j families,
/// solve). Each timing is the median of 3 runs after a warm-up.
/// </summary>
public static class PredictCase
{
    public static void Run(string[] args)
    {
        Console.WriteLine("| R | ρ | ℓ_max | ΩΔT | Λ, W [s] | κ [s] | M^(1c) (3j) [s] | solve [s] | total [s] |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var rigidities = new[] { 1e13, 1e14, 1e15, 1e16 };
        var rhoMin = Units.rho(1e13, 4, 30);
        foreach (var (r, lmax) in rigidities.Select(r => (r, 100)).Append((1e15, 200)))
        {
            var rho = Units.rho(r, 4, 30);
            var s = SpectrumModule.create(5.0 / 3.0, Units.kMin(rho, 0.5), Units.kMaxDefault(rho, rhoMin, 0.5), 0.5);
            var dt = 4.0 * Math.Pow(3.0 * Qlt.kzz(s), 1.0 / 3.0);
            var acc = Accuracy.Default;
            double w = 0; double[,] kappa = new double[1, 1]; double[,] m1c = new double[1, 1];
            var tW = Timing.MedianSeconds(3, () => w = Mixing.w(s, acc, dt));
            var tK = Timing.MedianSeconds(3, () => kappa = Mixing.kappa(s, acc, dt, 2 * lmax));
            var tM = Timing.MedianSeconds(3, () => m1c = Mixing.m1c(kappa, lmax));
            var m1a = Mixing.m1aDiagonal(w, lmax);
            var tS = Timing.MedianSeconds(3, () => Mixing.steadyState(m1a, m1c, dt));
            var label = r >= 1e15 ? $"{r / 1e15:G3} PV" : $"{r / 1e12:G3} TV";
            Console.WriteLine(FormattableString.Invariant(
                $"| {label} | {rho.ToString("0.00e+00", System.Globalization.CultureInfo.InvariantCulture)} | {lmax} | {dt:F2} | {tW:F3} | {tK:F3} | {tM:F3} | {tS:F3} | {tW + tK + tM + tS:F3} |"));
        }
    }
}
