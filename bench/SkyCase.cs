using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Bench;

/// <summary>
/// Case <c>sky</c>: C_ℓ of a random map at Nside 256 and 512 with ℓmax = 3·Nside − 1 and iter = 0, median
/// of 25 runs (this machine is noisy: single runs spread by ±30%), next to healpy's anafast(iter=0) timed in the same run (python3-healpy) when installed.
/// </summary>
public static class SkyCase
{
    const int Runs = 25;

    public static void Run(string[] args)
    {
        Console.WriteLine("| Nside | ℓmax | SkyMix [s] | healpy anafast [s] | healpy / SkyMix |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var nside in new[] { 256, 512 })
        {
            var rng = new Random(nside);
            var map = new double[12 * nside * nside];
            for (var i = 0; i < map.Length; i++) map[i] = rng.NextDouble();
            var lmax = 3 * nside - 1;
            var ours = Timing.MedianSeconds(Runs, () => Api.angularSpectrum(map, lmax, 0));
            var healpy = Timing.Python(
                "import healpy as hp, numpy as np, time\n" +
                $"m = np.random.default_rng(1).random(12*{nside}**2)\n" +
                $"hp.anafast(m, lmax={lmax}, iter=0)\n" +
                "t = []\n" +
                $"for _ in range({Runs}):\n" +
                "    s = time.perf_counter(); hp.anafast(m, lmax=" + lmax + ", iter=0); t.append(time.perf_counter() - s)\n" +
                "print(sorted(t)[len(t)//2])");
            var h = healpy is null ? double.NaN : double.Parse(healpy, CultureInfo.InvariantCulture);
            var ratio = double.IsNaN(h) ? "healpy not installed" : (h / ours).ToString("F2", CultureInfo.InvariantCulture);
            Console.WriteLine(FormattableString.Invariant($"| {nside} | {lmax} | {ours:F4} | {(double.IsNaN(h) ? "–" : h.ToString("F4", CultureInfo.InvariantCulture))} | {ratio} |"));
        }
    }
}
