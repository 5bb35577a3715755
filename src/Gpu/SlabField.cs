using SkyMix.Theory;

namespace SkyMix.Gpu;

/// <summary>One grid of the nested field: it carries the modes k ∈ [KLo, KHi) on N points at spacing
/// Spacing (period N·Spacing = 8 × the longest wavelength 2π/KLo).</summary>
public sealed record GridBand(double KLo, double KHi, int N, double Spacing)
{
    public double Period => N * Spacing;
}

/// <summary>
/// A realisation of Gaussian slab turbulence δB(z)/B0 = (bx, by, 0) on nested periodic 1-D grids
/// (Giacinti et al. 2012; docs/physics.md §7), with the spectrum g(k) of SkyMix.Theory.Spectrum.
///
/// Grid i carries k ∈ [K_i, K_{i+1}), K_i = k_min (k_max/k_min)^{i/G}; its period is 8 × its longest
/// wavelength and its spacing ≤ 1/10 of its shortest (N = the next power of two). Mode n of a grid,
/// k_n = 2πn/period, gets Gaussian amplitudes with variance 4π ∫ g dk over its own cell of the k axis
/// (clipped to the grid's band), per component; the field is built by one inverse FFT per grid and
/// component. The cells tile [k_min, k_max] exactly, so ⟨ω²⟩ = 8π ∫ g dk = η/(1−η) holds by
/// construction. One 64-bit seed fixes the realisation.
/// </summary>
public sealed class SlabField
{
    /// <summary>The grids, coarsest first.</summary>
    public GridBand[] Bands { get; }

    /// <summary>Interleaved (bx, by) of every grid, one grid after the other. Each grid of N points is stored
    /// periodically padded as N + 3 pairs, f_{N−1}, f_0 … f_{N−1}, f_0, f_1, so that the four pairs a cubic
    /// interpolation reads are contiguous (<see cref="Grids"/> gives where f_0 lies).</summary>
    public float[] Data { get; }

    /// <summary>Padding pairs per grid: one before f_0, two after f_{N−1}.</summary>
    public const int Pad = 3;

    SlabField(GridBand[] bands, float[] data)
    {
        Bands = bands;
        Data = data;
    }

    /// <summary>Bytes of field data for a layout.</summary>
    public static long Bytes(IEnumerable<GridBand> bands) => bands.Sum(b => 2L * (b.N + Pad) * sizeof(float));

    static int NextPowerOfTwo(double x)
    {
        var n = 64L;
        while (n < x) n *= 2;
        return n > (1L << 30) ? -1 : (int)n;
    }

    /// <summary>The layout with exactly <paramref name="count"/> grids (empty when a grid would need more than
    /// 2^30 points).</summary>
    public static GridBand[] Split(double kMin, double kMax, int count)
    {
        var ratio = Math.Pow(kMax / kMin, 1.0 / count);
        var n = NextPowerOfTwo(80.0 * ratio);
        if (n < 0) return Array.Empty<GridBand>();
        return Enumerable.Range(0, count).Select(i =>
        {
            var lo = kMin * Math.Pow(ratio, i);
            var hi = i == count - 1 ? kMax : kMin * Math.Pow(ratio, i + 1);
            return new GridBand(lo, hi, n, 8.0 * 2.0 * Math.PI / lo / n);
        }).ToArray();
    }

    /// <summary>The most field data (all grids) that stays in a core's cache (L2 is 0.5–2 MB on current x86 and
    /// AMD EPYC cores): a step reads each grid at a random-looking place, so a table beyond it costs a memory
    /// access per interpolation (bench case <c>layout</c>).</summary>
    public const long CacheBytes = 512 * 1024;

    /// <summary>
    /// The grid layout of a field: the fewest grids (at most four) whose field values together (padding aside)
    /// are cache-resident (≤ <see cref="CacheBytes"/>) and fit into budgetBytes — fewer grids mean fewer interpolations per step,
    /// smaller tables fewer cache misses and a faster generation; where no count is cache-resident, the most grids
    /// (the smallest tables) that fit the budget. An <see cref="InputError"/> says how much is needed when none fits.
    /// </summary>
    public static GridBand[] Layout(Spectrum s, long budgetBytes)
    {
        var fitting = Enumerable.Range(1, NestedField<ArrayTable>.MaxGrids)
            .Select(g => Split(s.KMin, s.KMax, g))
            .Where(bands => bands.Length > 0 && Bytes(bands) <= budgetBytes)
            .ToList();
        if (fitting.Count > 0)
            return fitting.FirstOrDefault(bands => bands.Sum(b => 2L * b.N * sizeof(float)) <= CacheBytes) ?? fitting[^1];
        var best = Split(s.KMin, s.KMax, NestedField<ArrayTable>.MaxGrids);
        var need = best.Length > 0 ? $"{Bytes(best) / 1048576.0:F0} MB" : "more than 2^30 points per grid";
        throw new InputError(
            $"the turbulent field (k_max/k_min = {s.KMax / s.KMin:G3}) needs {need} with {NestedField<ArrayTable>.MaxGrids} nested grids, " +
            $"more than the memory budget of {budgetBytes / 1048576.0:F0} MB; raise --memory or lower --kmax");
    }

    /// <summary>Draws the realisation of the given seed on the given grids.</summary>
    public static SlabField Generate(Spectrum s, GridBand[] bands, ulong seed)
    {
        var data = new float[Bytes(bands) / sizeof(float)];
        var offset = 0;
        for (var gi = 0; gi < bands.Length; gi++)
        {
            var b = bands[gi];
            var dk = 2.0 * Math.PI / b.Period;
            var plan = Fft.realPlan(b.N);
            var half = b.N / 2;
            for (var component = 0; component < 2; component++)
            {
                var rng = new Rng(Rng.Derive(seed, (ulong)gi, (ulong)component));
                var re = new double[half + 1];
                var im = new double[half + 1];
                var nLo = Math.Max(1, (int)Math.Ceiling(b.KLo / dk - 0.5));
                var nHi = Math.Min(half - 1, (int)Math.Floor(b.KHi / dk + 0.5));
                for (var n = nLo; n <= nHi; n++)
                {
                    var lo = Math.Max(b.KLo, (n - 0.5) * dk);
                    var hi = Math.Min(b.KHi, (n + 0.5) * dk);
                    // per component: 4π ∫ g dk = ½ · 8π ∫ g dk over the mode's cell
                    var sigma = Math.Sqrt(0.5 * SpectrumModule.bandVariance(s, lo, hi));
                    var (alpha, beta) = rng.GaussianPair();
                    // f_j = Re Σ c_n e^{ik_n z_j}, c_n = σ(α − iβ): half-spectrum G_n = c_n / 2
                    re[n] = 0.5 * sigma * alpha;
                    im[n] = -0.5 * sigma * beta;
                }
                var f = new double[b.N];
                Fft.realBackward(plan, re, im, f, 0);
                // pair offset + 1 + j holds f_j, for j = −1 … N + 1 (periodically)
                for (var j = -1; j <= b.N + 1; j++) data[2 * (offset + 1 + j) + component] = (float)f[(j + b.N) % b.N];
            }
            offset += b.N + Pad;
        }
        return new SlabField(bands, data);
    }

    /// <summary>The grid descriptors of the kernels (offsets of f_0 in pairs, masks, inverse spacings).</summary>
    public Grid[] Grids()
    {
        var grids = new Grid[NestedField<ArrayTable>.MaxGrids];
        var offset = 0;
        for (var i = 0; i < Bands.Length; i++)
        {
            grids[i] = new Grid { Offset = offset + 1, Mask = Bands[i].N - 1, InvH = 1.0 / Bands[i].Spacing };
            offset += Bands[i].N + Pad;
        }
        return grids;
    }

    /// <summary>The field as the CPU path samples it.</summary>
    public NestedField<ArrayTable> Cpu()
    {
        var g = Grids();
        return new NestedField<ArrayTable> { Table = new ArrayTable(Data), Count = Bands.Length, G0 = g[0], G1 = g[1], G2 = g[2], G3 = g[3] };
    }

    /// <summary>Each grid as a field of its own (the same table), with its period and spacing: the parts whose
    /// sum is <see cref="Cpu"/> (what a line average integrates one by one).</summary>
    public FieldPart[] Parts()
    {
        var g = Grids();
        return Bands.Select((b, i) =>
        {
            var one = new NestedField<ArrayTable> { Table = new ArrayTable(Data), Count = 1, G0 = g[i] };
            return new FieldPart(new Func<double, (double, double)>(z => { one.At(z, out var x, out var y); return (x, y); }), b.Period, b.Spacing);
        }).ToArray();
    }
}
