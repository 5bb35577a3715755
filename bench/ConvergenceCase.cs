using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>convergence</c>: the evidence of docs/physics.md §6 that the absorbing truncation tends to the
/// zero-flux limit. With g cut at k_max = 3 Ω/c (1 PV's ρ, η = 0.5, ΩΔT from the law) κ_AA vanishes above a
/// few k_max ΔT, so M^(1c) is banded and the absorbing steady state can be solved to ℓ_max = 409 600 by banded
/// elimination (Mixing.pair for each element within the band); the zero-flux limit comes from
/// <c>predict</c>'s own path at ℓ_max = 400. Prints a Markdown table; about 6 minutes on 2 cores.
/// </summary>
public static class ConvergenceCase
{
    public static void Run(string[] args)
    {
        var kmax = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3.0;
        var lmaxes = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : new[] { 3200, 25600, 51200, 102400, 204800, 409600 };
        var rho = Units.rho(1e15, 4, 30);
        var acc = Accuracy.Default;
        var s = SpectrumModule.create(5.0 / 3.0, Units.kMin(rho, 0.5), kmax, 0.5);
        var dt = Fit.paperLaw(Qlt.scatteringTime(s));
        var w = Mixing.w(s, acc, dt);
        var kappa = Kappa.band(s, acc, dt, 1000);
        // the band: κ_AA below 1e-18 of κ_00 counts as zero
        var amax = Array.FindLastIndex(kappa.Diagonal, v => Math.Abs(v) > 1e-18 * kappa.Diagonal[0]) + 2;
        var limit = Api.predict(new Api.PredictInput(rho, 0.5, 5.0 / 3.0, kmax, Api.Truncation.NewConverged(Api.ConvergenceGoal.Default),
                                                     Microsoft.FSharp.Core.FSharpOption<double>.None, 4.0, acc));
        Console.WriteLine(FormattableString.Invariant($"1 PV (ρ = {rho:G4}), k_max = {kmax} Ω/c, ΩΔT = {dt:F3}, band half-width {amax}; zero flux (ℓ_max = {limit.Lmax}): C_1 = {limit.Cl[1]:F4}, C_2/C_1 = {limit.ClOverC1[2]:F5}, C_10/C_1 = {limit.ClOverC1[10]:E4}"));
        Console.WriteLine("\n| ℓ_max (absorbing) | C_1 [S/Ω] | C_2/C_1 | C_10/C_1 | seconds |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var lmax in lmaxes)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var c = Absorbing(kappa, w, dt, lmax, amax);
            Console.WriteLine(FormattableString.Invariant($"| {lmax} | {c[0]:F4} | {c[1] / c[0]:F5} | {c[9] / c[0]:E4} | {sw.Elapsed.TotalSeconds:F1} |"));
        }
    }

    /// <summary>C_ℓ, ℓ = 1 … ℓ_max (index ℓ − 1), of −G C = ΩΔT e₁ with G banded (|ℓ − ℓ0| ≤ amax), by Gaussian
    /// elimination without pivoting (−G is diagonally dominant in its (2ℓ+1)-weighted columns).</summary>
    static double[] Absorbing(KappaBand kappa, double w, double dt, int lmax, int amax)
    {
        var n = lmax;
        var band = new double[n][];
        for (var i = 0; i < n; i++) band[i] = new double[2 * amax + 1];
        Parallel.For(0, amax + 1, d =>
        {
            var first = 1.0 / (2 * d + 1);
            for (var lo = 0; lo + d <= lmax; lo++)
            {
                if (lo > 0) first *= Mixing.firstRatio(d, lo - 1);
                if (lo == 0) continue; // ℓ = 0 is not part of the system
                var hi = lo + d;
                var (toHi, toLo) = Mixing.pair(kappa, lo, hi, first, amax);
                band[lo - 1][d + amax] = -toHi;                              // row lo, column hi
                if (d > 0) band[hi - 1][-d + amax] = -toLo;                  // row hi, column lo
            }
        });
        var m1a = Mixing.m1aDiagonal(w, lmax);
        for (var l = 1; l <= lmax; l++) band[l - 1][amax] -= 2.0 * m1a[l];
        var rhs = new double[n];
        rhs[0] = dt;
        for (var k = 0; k < n - 1; k++)
        {
            var pivot = band[k][amax];
            for (var i = k + 1; i <= Math.Min(n - 1, k + amax); i++)
            {
                var f = band[i][k - i + amax] / pivot;
                if (f == 0) continue;
                for (var j = k; j <= Math.Min(n - 1, k + amax); j++) band[i][j - i + amax] -= f * band[k][j - k + amax];
                rhs[i] -= f * rhs[k];
            }
        }
        var c = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = rhs[i];
            for (var j = i + 1; j <= Math.Min(n - 1, i + amax); j++) sum -= band[i][j - i + amax] * c[j];
            c[i] = sum / band[i][amax];
        }
        return c;
    }
}
