using System.Runtime.CompilerServices;

namespace SkyMix.Gpu;

/// <summary>A block of particles, one per lane of T (the CPU path's unit of work).</summary>
public struct LaneBlock<T> where T : unmanaged, ILaneVector<T>
{
    public T X, Y, Z, Ux, Uy, Uz;

    /// <summary>Particles ps[at + j], j = 0 … Width − 1; lanes past the end of ps repeat its last particle.</summary>
    public static LaneBlock<T> Load(Particle[] ps, int at)
    {
        var w = T.Width;
        var last = ps.Length - 1;
        Span<double> x = stackalloc double[w], y = stackalloc double[w], z = stackalloc double[w];
        Span<double> ux = stackalloc double[w], uy = stackalloc double[w], uz = stackalloc double[w];
        for (var j = 0; j < w; j++)
        {
            ref readonly var p = ref ps[Math.Min(at + j, last)];
            x[j] = p.X; y[j] = p.Y; z[j] = p.Z;
            ux[j] = p.Ux; uy[j] = p.Uy; uz[j] = p.Uz;
        }
        return new LaneBlock<T> { X = T.Of(x), Y = T.Of(y), Z = T.Of(z), Ux = T.Of(ux), Uy = T.Of(uy), Uz = T.Of(uz) };
    }

    /// <summary>Writes the lanes back to ps[at + j] (lanes past the end of ps are dropped).</summary>
    public readonly void Store(Particle[] ps, int at)
    {
        var n = Math.Min(T.Width, ps.Length - at);
        for (var j = 0; j < n; j++)
            ps[at + j] = new Particle(X[j], Y[j], Z[j], Ux[j], Uy[j], Uz[j]);
    }
}

/// <summary>
/// The nested field of <see cref="NestedField{TTable}"/> read for a vector of heights at once: the same
/// Catmull–Rom sum, each lane's stencil one contiguous read of the padded table (<see cref="SlabField.Data"/>).
/// The table must stay pinned while it is used.
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

    /// <summary>Grid g's Catmull–Rom term, in the operation order of NestedField.Add (bit-identical lanes). Kept
    /// out of line: with every grid's read inlined into the step the JIT ran out of inlining budget and left the
    /// lane operators as calls, at 1/8 of the speed (bench/RESULTS.md, 2026-11-29).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    void Add<T>(in Grid g, T z, ref T bx, ref T by) where T : unmanaged, ILaneVector<T>
    {
        var u = z * T.Of(g.InvH);
        var fl = T.Floor(u);
        var t = u - fl;
        var t2 = t * t;
        var t3 = t2 * t;
        var half = T.Of(0.5);
        var wm = half * (-t3 + T.Of(2.0) * t2 - t);
        var w0 = half * (T.Of(3.0) * t3 - T.Of(5.0) * t2 + T.Of(2.0));
        var w1 = half * (T.Of(-3.0) * t3 + T.Of(4.0) * t2 + t);
        var w2 = half * (t3 - t2);
        // f_{i−1} … f_{i+2} are contiguous from pair Offset − 1 + (i mod N) on: the padding makes them so
        T.Stencil(pairs, fl, g.Mask, g.Offset - 1L, out var xm, out var ym, out var x0, out var y0, out var x1, out var y1, out var x2, out var y2);
        bx += wm * xm + w0 * x0 + w1 * x1 + w2 * x2;
        by += wm * ym + w0 * y0 + w1 * y1 + w2 * y2;
    }

    /// <summary>δB_x/B0 and δB_y/B0 at the heights z of the lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void At<T>(T z, out T bx, out T by) where T : unmanaged, ILaneVector<T>
    {
        bx = T.Of(0.0);
        by = T.Of(0.0);
        if (count > 0) Add(g0, z, ref bx, ref by);
        if (count > 1) Add(g1, z, ref bx, ref by);
        if (count > 2) Add(g2, z, ref bx, ref by);
        if (count > 3) Add(g3, z, ref bx, ref by);
    }
}

/// <summary>
/// <see cref="Boris.Step{TField}"/> on a vector of particles, one per lane, written operation for operation like
/// the scalar step — no fused multiply–adds — so that every lane is bit-identical to the scalar step (pinned by
/// the engine tests for both widths). Several blocks advance together so that the core overlaps their chains.
/// </summary>
public static class BorisLanes
{
    /// <summary>One step dt of the particles of a block (charge sign q): the scalar step lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step<T>(ref LaneBlock<T> p, in LaneField field, double dt, double q) where T : unmanaged, ILaneVector<T>
    {
        var h = 0.5 * dt;
        var hv = T.Of(h);
        var x = p.X + hv * p.Ux;
        var y = p.Y + hv * p.Uy;
        var z = p.Z + hv * p.Uz;
        field.At(z, out var bx, out var by);
        var a = q * h;
        var av = T.Of(a);
        var tx = av * bx;
        var ty = av * by;
        var tz = av;
        var f = T.Of(2.0) / (T.Of(1.0) + tx * tx + ty * ty + T.Of(a * a));
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
        p.X = x + hv * ux;
        p.Y = y + hv * uy;
        p.Z = z + hv * uz;
    }

    /// <summary>n steps of every block; the blocks advance in step so that their independent chains overlap.</summary>
    // its own compilation root, not inlined into the caller's lambda: the JIT's inlining budget goes to the step
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Steps<T>(Span<LaneBlock<T>> blocks, in LaneField field, double dt, double q, int n) where T : unmanaged, ILaneVector<T>
    {
        var f = field;
        for (var k = 0; k < n; k++)
            for (var b = 0; b < blocks.Length; b++)
                Step(ref blocks[b], f, dt, q);
    }
}
