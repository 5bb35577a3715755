using ILGPU;
using ILGPU.Runtime;
using System.Runtime.CompilerServices;

namespace SkyMix.Gpu;

/// <summary>
/// The turbulent field seen by the particles: δB(z)/B0 = (bx, by, 0) of slab turbulence (theory units,
/// so that ω = qδB/p = δB/B0 with Ω = 1). Implemented by value types so that kernels can be specialised.
/// </summary>
public interface IField
{
    /// <summary>δB_x/B0 and δB_y/B0 at height z (in c/Ω).</summary>
    void At(double z, out double bx, out double by);
}

/// <summary>Read access to a flat float table (a managed array on the CPU, an ArrayView on a GPU).</summary>
public interface ITable
{
    float this[int i] { get; }
}

/// <summary>One periodic grid of the nested field: N = Mask + 1 points (a power of two) at spacing 1/InvH,
/// stored interleaved (bx, by) from index 2·Offset on, with one padding pair before and two after
/// (<see cref="SlabField.Data"/>).</summary>
public struct Grid
{
    public int Offset;
    public int Mask;
    public double InvH;
}

/// <summary>
/// The nested-grid slab field (Giacinti et al. 2012): the sum of up to four periodic grids, each
/// interpolated with the cubic Catmull–Rom kernel (exact at the nodes; the 10-points-per-wavelength
/// resolution keeps the power error of the finest modes of a grid below 2%; tests).
/// </summary>
public struct NestedField<TTable> : IField where TTable : struct, ITable
{
    public TTable Table;
    public int Count;
    public Grid G0, G1, G2, G3;

    /// <summary>The maximum number of grids a field may have.</summary>
    public const int MaxGrids = 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Add(in TTable table, in Grid g, double z, ref double bx, ref double by)
    {
        var u = z * g.InvH;
        var fl = Math.Floor(u);
        var t = u - fl;
        var i = (int)(long)fl;
        var t2 = t * t;
        var t3 = t2 * t;
        var wm = 0.5 * (-t3 + 2.0 * t2 - t);
        var w0 = 0.5 * (3.0 * t3 - 5.0 * t2 + 2.0);
        var w1 = 0.5 * (-3.0 * t3 + 4.0 * t2 + t);
        var w2 = 0.5 * (t3 - t2);
        var im = 2 * (g.Offset + ((i - 1) & g.Mask));
        var i0 = 2 * (g.Offset + (i & g.Mask));
        var i1 = 2 * (g.Offset + ((i + 1) & g.Mask));
        var i2 = 2 * (g.Offset + ((i + 2) & g.Mask));
        bx += wm * table[im] + w0 * table[i0] + w1 * table[i1] + w2 * table[i2];
        by += wm * table[im + 1] + w0 * table[i0 + 1] + w1 * table[i1 + 1] + w2 * table[i2 + 1];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void At(double z, out double bx, out double by)
    {
        bx = 0.0;
        by = 0.0;
        if (Count > 0) Add(Table, G0, z, ref bx, ref by);
        if (Count > 1) Add(Table, G1, z, ref bx, ref by);
        if (Count > 2) Add(Table, G2, z, ref bx, ref by);
        if (Count > 3) Add(Table, G3, z, ref bx, ref by);
    }
}

/// <summary>A float[] as a table (the CPU path).</summary>
public readonly struct ArrayTable : ITable
{
    readonly float[] data;
    public ArrayTable(float[] data) => this.data = data;
    public float this[int i] => data[i];
}

/// <summary>A float table on an accelerator.</summary>
public readonly struct ViewTable : ITable
{
    readonly ArrayView<float> data;
    public ViewTable(ArrayView<float> data) => this.data = data;
    public float this[int i] => data[i];
}
