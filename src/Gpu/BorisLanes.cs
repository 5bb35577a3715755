using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SkyMix.Gpu;

/// <summary>Four particles side by side, one vector lane each (the CPU path's unit of work).</summary>
public struct Lanes
{
    public Vector256<double> X, Y, Z, Ux, Uy, Uz;

    /// <summary>Particles ps[at + j], j = 0 … 3; lanes past the end of ps repeat its last particle.</summary>
    public static Lanes Load(Particle[] ps, int at)
    {
        var last = ps.Length - 1;
        ref readonly var a = ref ps[Math.Min(at, last)];
        ref readonly var b = ref ps[Math.Min(at + 1, last)];
        ref readonly var c = ref ps[Math.Min(at + 2, last)];
        ref readonly var d = ref ps[Math.Min(at + 3, last)];
        return new Lanes
        {
            X = Vector256.Create(a.X, b.X, c.X, d.X),
            Y = Vector256.Create(a.Y, b.Y, c.Y, d.Y),
            Z = Vector256.Create(a.Z, b.Z, c.Z, d.Z),
            Ux = Vector256.Create(a.Ux, b.Ux, c.Ux, d.Ux),
            Uy = Vector256.Create(a.Uy, b.Uy, c.Uy, d.Uy),
            Uz = Vector256.Create(a.Uz, b.Uz, c.Uz, d.Uz),
        };
    }

    /// <summary>Writes the lanes back to ps[at + j] (lanes past the end of ps are dropped).</summary>
    public readonly void Store(Particle[] ps, int at)
    {
        var n = Math.Min(BorisLanes.Width, ps.Length - at);
        for (var j = 0; j < n; j++)
            ps[at + j] = new Particle(X.GetElement(j), Y.GetElement(j), Z.GetElement(j),
                                             Ux.GetElement(j), Uy.GetElement(j), Uz.GetElement(j));
    }
}

/// <summary>
/// The nested field of <see cref="NestedField{TTable}"/> read for four heights at once: the same Catmull–Rom
/// sum. Each particle's four (bx, by) pairs are one contiguous 32-byte load (the grids are padded, see
/// <see cref="SlabField.Data"/>), transposed into lanes. The table must stay pinned while it is used.
/// </summary>
public readonly unsafe struct LaneField
{
    /// <summary>The table as 64-bit (bx, by) float pairs; f_j of grid g is pairs[g.Offset + j].</summary>
    readonly double* pairs;
    readonly int count;
    readonly Grid g0, g1, g2, g3;

    public LaneField(float* table, int count, Grid[] grids)
    {
        pairs = (double*)table;
        this.count = count;
        g0 = grids[0]; g1 = grids[1]; g2 = grids[2]; g3 = grids[3];
    }

    /// <summary>1.5·2^52: adding it to an integer-valued double |n| &lt; 2^51 leaves n in the low bits of the sum
    /// (two's complement modulo 2^51), so that n &amp; Mask is the grid index without a conversion. The lanes
    /// match the scalar step while |z|/spacing &lt; 2^51 (≈ 2e15; a study reaches ~1e10); beyond, the index is
    /// still masked into the table.</summary>
    const double IndexShift = 6755399441055744.0;

    /// <summary>The pairs f_{i−1} … f_{i+2} of one particle, widened: (bx, by) of f_{i−1}, f_i in lo and of
    /// f_{i+1}, f_{i+2} in hi.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Stencil(long first, out Vector256<double> lo, out Vector256<double> hi)
    {
        var raw = Vector256.Load((float*)(pairs + first));
        lo = Vector256.WidenLower(raw);
        hi = Vector256.WidenUpper(raw);
    }

    /// <summary>Rows a, b, c, d of (x, y, x', y') → (a.x … d.x), (a.y …), (a.x' …), (a.y' …).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose(Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> d,
                          out Vector256<double> x, out Vector256<double> y, out Vector256<double> x1, out Vector256<double> y1)
    {
        if (Avx.IsSupported)
        {
            var ab0 = Avx.UnpackLow(a, b);   // a.x b.x a.x' b.x'
            var ab1 = Avx.UnpackHigh(a, b);  // a.y b.y a.y' b.y'
            var cd0 = Avx.UnpackLow(c, d);
            var cd1 = Avx.UnpackHigh(c, d);
            x = Avx.Permute2x128(ab0, cd0, 0x20);
            x1 = Avx.Permute2x128(ab0, cd0, 0x31);
            y = Avx.Permute2x128(ab1, cd1, 0x20);
            y1 = Avx.Permute2x128(ab1, cd1, 0x31);
        }
        else
        {
            x = Vector256.Create(a[0], b[0], c[0], d[0]);
            y = Vector256.Create(a[1], b[1], c[1], d[1]);
            x1 = Vector256.Create(a[2], b[2], c[2], d[2]);
            y1 = Vector256.Create(a[3], b[3], c[3], d[3]);
        }
    }

    /// <summary>Grid g's Catmull–Rom term, in the operation order of NestedField.Add (bit-identical lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Add(in Grid g, Vector256<double> z, ref Vector256<double> bx, ref Vector256<double> by)
    {
        var u = z * g.InvH;
        var fl = Vector256.Floor(u);
        var t = u - fl;
        var t2 = t * t;
        var t3 = t2 * t;
        var wm = 0.5 * (-t3 + 2.0 * t2 - t);
        var w0 = 0.5 * (3.0 * t3 - 5.0 * t2 + Vector256.Create(2.0));
        var w1 = 0.5 * (-3.0 * t3 + 4.0 * t2 + t);
        var w2 = 0.5 * (t3 - t2);
        // the pair index of f_{i−1}: the padding makes f_{i−1} … f_{i+2} contiguous for every i mod N
        var first = ((fl + Vector256.Create(IndexShift)).AsInt64() & Vector256.Create((long)g.Mask)) + Vector256.Create(g.Offset - 1L);
        Stencil(first.GetElement(0), out var lo0, out var hi0);
        Stencil(first.GetElement(1), out var lo1, out var hi1);
        Stencil(first.GetElement(2), out var lo2, out var hi2);
        Stencil(first.GetElement(3), out var lo3, out var hi3);
        Transpose(lo0, lo1, lo2, lo3, out var xm, out var ym, out var x0, out var y0);
        Transpose(hi0, hi1, hi2, hi3, out var x1, out var y1, out var x2, out var y2);
        bx += wm * xm + w0 * x0 + w1 * x1 + w2 * x2;
        by += wm * ym + w0 * y0 + w1 * y1 + w2 * y2;
    }

    /// <summary>δB_x/B0 and δB_y/B0 at the four heights z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void At(Vector256<double> z, out Vector256<double> bx, out Vector256<double> by)
    {
        bx = Vector256<double>.Zero;
        by = Vector256<double>.Zero;
        if (count > 0) Add(g0, z, ref bx, ref by);
        if (count > 1) Add(g1, z, ref bx, ref by);
        if (count > 2) Add(g2, z, ref bx, ref by);
        if (count > 3) Add(g3, z, ref bx, ref by);
    }
}

/// <summary>
/// <see cref="Boris.Step{TField}"/> on four particles at once (AVX2 lanes), written operation for operation like
/// the scalar step — no fused multiply–adds — so that every lane is bit-identical to the scalar step
/// (pinned by the engine tests). Several blocks advance together so that the core overlaps their chains.
/// </summary>
public static class BorisLanes
{
    /// <summary>Particles per block.</summary>
    public static readonly int Width = Vector256<double>.Count;

    /// <summary>One step dt of the four particles of a block (charge sign q): the scalar step lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step(ref Lanes p, in LaneField field, double dt, double q)
    {
        var h = 0.5 * dt;
        var x = p.X + h * p.Ux;
        var y = p.Y + h * p.Uy;
        var z = p.Z + h * p.Uz;
        field.At(z, out var bx, out var by);
        var a = q * h;
        var tx = a * bx;
        var ty = a * by;
        var tz = a;
        var f = Vector256.Create(2.0) / (Vector256<double>.One + tx * tx + ty * ty + Vector256.Create(tz * tz));
        var sx = f * tx;
        var sy = f * ty;
        var sz = f * tz;
        var vx = p.Ux + (p.Uy * tz - p.Uz * ty);
        var vy = p.Uy + (p.Uz * tx - p.Ux * tz);
        var vz = p.Uz + (p.Ux * ty - p.Uy * tx);
        var ux = p.Ux + (vy * sz - vz * sy);
        var uy = p.Uy + (vz * sx - vx * sz);
        var uz = p.Uz + (vx * sy - vy * sx);
        p.Ux = ux;
        p.Uy = uy;
        p.Uz = uz;
        p.X = x + h * ux;
        p.Y = y + h * uy;
        p.Z = z + h * uz;
    }

    /// <summary>n steps of every block; the blocks advance in step so that their independent chains overlap.</summary>
    public static void Steps(Span<Lanes> blocks, in LaneField field, double dt, double q, int n)
    {
        var f = field;
        for (var k = 0; k < n; k++)
            for (var b = 0; b < blocks.Length; b++)
                Step(ref blocks[b], f, dt, q);
    }
}
