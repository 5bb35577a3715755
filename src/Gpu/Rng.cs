namespace SkyMix.Gpu;

/// <summary>
/// Reproducible random numbers, the same on every machine and .NET version: SplitMix64 to derive
/// independent seeds from (base seed, stream index…) and xoshiro256** for the stream itself
/// (Blackman &amp; Vigna 2018); Gaussian deviates by the Box–Muller transform.
/// </summary>
public struct Rng
{
    ulong s0, s1, s2, s3;

    /// <summary>SplitMix64 step: a well-mixed 64-bit value from x.</summary>
    static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A seed for stream (a, b, c) of base seed s, e.g. (realisation, grid, component).</summary>
    public static ulong Derive(ulong seed, params ulong[] path)
    {
        var x = Mix(seed);
        foreach (var p in path) x = Mix(x ^ Mix(p + 0x632BE59BD9B4E019UL));
        return x;
    }

    public Rng(ulong seed)
    {
        s0 = Mix(seed);
        s1 = Mix(s0);
        s2 = Mix(s1);
        s3 = Mix(s2);
    }

    static ulong Rotl(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong Next()
    {
        var result = Rotl(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Rotl(s3, 45);
        return result;
    }

    /// <summary>Uniform in (0, 1): 53 random bits, never exactly 0.</summary>
    public double Uniform() => ((Next() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>A pair of independent standard normal deviates (Box–Muller).</summary>
    public (double, double) GaussianPair()
    {
        var r = Math.Sqrt(-2.0 * Math.Log(Uniform()));
        var phi = 2.0 * Math.PI * Uniform();
        return (r * Math.Cos(phi), r * Math.Sin(phi));
    }
}
