using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SkyMix.Gpu;

/// <summary>
/// A vector of doubles with one lane per particle: the arithmetic the Boris step needs, and the field read —
/// each lane's four (bx, by) stencil pairs from the padded table (<see cref="SlabField.Data"/>), transposed into
/// lanes. <see cref="Lanes4"/> is 256-bit (AVX2), <see cref="Lanes8"/> 512-bit (AVX-512); without those
/// instructions .NET emulates the vectors (slowly) and the fallbacks below give the same values. The generic step
/// (<see cref="BorisLanes"/>) is compiled for each. Every operation is one IEEE operation per lane, so a lane
/// computes exactly what the scalar code computes.
/// </summary>
public unsafe interface ILaneVector<T> where T : unmanaged, ILaneVector<T>
{
    /// <summary>Particles per vector.</summary>
    static abstract int Width { get; }
    /// <summary>Every lane x.</summary>
    static abstract T Of(double x);
    /// <summary>Lane j = lanes[j].</summary>
    static abstract T Of(ReadOnlySpan<double> lanes);
    /// <summary>Lane j.</summary>
    double this[int lane] { get; }
    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);
    static abstract T operator -(T a);
    /// <summary>⌊a⌋ per lane.</summary>
    static abstract T Floor(T a);
    /// <summary>
    /// For each lane with node index n = fl (an integer-valued double, |n| &lt; 2^51): the pairs at
    /// pairs[first + (n mod N) + k], k = 0 … 3 (mask = N − 1), as (x, y) of taps k = 0 … 3.
    /// </summary>
    static abstract void Stencil(double* pairs, T fl, long mask, long first,
                                 out T xm, out T ym, out T x0, out T y0, out T x1, out T y1, out T x2, out T y2);
}

/// <summary>The node index of a lane without a conversion instruction.</summary>
static class LaneIndex
{
    /// <summary>1.5·2^52: adding it to an integer-valued double |n| &lt; 2^51 leaves n in the low bits of the sum
    /// (two's complement modulo 2^51), so that n &amp; Mask is the grid index. Lanes match the scalar step while
    /// |z|/spacing &lt; 2^51 (≈ 2e15; a study reaches ~1e10); beyond, the index is still masked into the table.</summary>
    public const double Shift = 6755399441055744.0;
}

/// <summary>Four lanes in a 256-bit vector (AVX2; emulated by .NET elsewhere).</summary>
public readonly unsafe struct Lanes4 : ILaneVector<Lanes4>
{
    readonly Vector256<double> v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    Lanes4(Vector256<double> v) => this.v = v;

    public static int Width => 4;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 Of(double x) => new(Vector256.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 Of(ReadOnlySpan<double> lanes) => new(Vector256.Create(lanes));
    public double this[int lane] => v.GetElement(lane);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 operator +(Lanes4 a, Lanes4 b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 operator -(Lanes4 a, Lanes4 b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 operator *(Lanes4 a, Lanes4 b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 operator /(Lanes4 a, Lanes4 b) => new(a.v / b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 operator -(Lanes4 a) => new(-a.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes4 Floor(Lanes4 a) => new(Vector256.Floor(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stencil(double* pairs, Lanes4 fl, long mask, long first,
                               out Lanes4 xm, out Lanes4 ym, out Lanes4 x0, out Lanes4 y0, out Lanes4 x1, out Lanes4 y1, out Lanes4 x2, out Lanes4 y2)
    {
        var at = ((fl.v + Vector256.Create(LaneIndex.Shift)).AsInt64() & Vector256.Create(mask)) + Vector256.Create(first);
        // per lane one 32-byte load of four float pairs, widened: (xm, ym, x0, y0) and (x1, y1, x2, y2)
        Row(pairs + at.GetElement(0), out var lo0, out var hi0);
        Row(pairs + at.GetElement(1), out var lo1, out var hi1);
        Row(pairs + at.GetElement(2), out var lo2, out var hi2);
        Row(pairs + at.GetElement(3), out var lo3, out var hi3);
        Transpose(lo0, lo1, lo2, lo3, out xm, out ym, out x0, out y0);
        Transpose(hi0, hi1, hi2, hi3, out x1, out y1, out x2, out y2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Row(double* at, out Vector256<double> lo, out Vector256<double> hi)
    {
        var raw = Vector256.Load((float*)at);
        lo = Vector256.WidenLower(raw);
        hi = Vector256.WidenUpper(raw);
    }

    /// <summary>Rows a, b, c, d of (x, y, x', y') → (a.x … d.x), (a.y …), (a.x' …), (a.y' …).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose(Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> d,
                          out Lanes4 x, out Lanes4 y, out Lanes4 x1, out Lanes4 y1)
    {
        if (Avx.IsSupported)
        {
            var ab0 = Avx.UnpackLow(a, b);   // a.x b.x a.x' b.x'
            var ab1 = Avx.UnpackHigh(a, b);  // a.y b.y a.y' b.y'
            var cd0 = Avx.UnpackLow(c, d);
            var cd1 = Avx.UnpackHigh(c, d);
            x = new(Avx.Permute2x128(ab0, cd0, 0x20));
            x1 = new(Avx.Permute2x128(ab0, cd0, 0x31));
            y = new(Avx.Permute2x128(ab1, cd1, 0x20));
            y1 = new(Avx.Permute2x128(ab1, cd1, 0x31));
        }
        else
        {
            x = new(Vector256.Create(a[0], b[0], c[0], d[0]));
            y = new(Vector256.Create(a[1], b[1], c[1], d[1]));
            x1 = new(Vector256.Create(a[2], b[2], c[2], d[2]));
            y1 = new(Vector256.Create(a[3], b[3], c[3], d[3]));
        }
    }
}

/// <summary>Eight lanes in a 512-bit vector (AVX-512; emulated by .NET elsewhere).</summary>
public readonly unsafe struct Lanes8 : ILaneVector<Lanes8>
{
    readonly Vector512<double> v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    Lanes8(Vector512<double> v) => this.v = v;

    public static int Width => 8;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Of(double x) => new(Vector512.Create(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Of(ReadOnlySpan<double> lanes) => new(Vector512.Create(lanes));
    public double this[int lane] => v.GetElement(lane);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator +(Lanes8 a, Lanes8 b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator -(Lanes8 a, Lanes8 b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator *(Lanes8 a, Lanes8 b) => new(a.v * b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator /(Lanes8 a, Lanes8 b) => new(a.v / b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 operator -(Lanes8 a) => new(-a.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes8 Floor(Lanes8 a) => new(Vector512.Floor(a.v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Stencil(double* pairs, Lanes8 fl, long mask, long first,
                               out Lanes8 xm, out Lanes8 ym, out Lanes8 x0, out Lanes8 y0, out Lanes8 x1, out Lanes8 y1, out Lanes8 x2, out Lanes8 y2)
    {
        var at = ((fl.v + Vector512.Create(LaneIndex.Shift)).AsInt64() & Vector512.Create(mask)) + Vector512.Create(first);
        // per lane one 32-byte load of four float pairs, widened to (xm, ym, x0, y0, x1, y1, x2, y2)
        var r0 = Row(pairs + at.GetElement(0));
        var r1 = Row(pairs + at.GetElement(1));
        var r2 = Row(pairs + at.GetElement(2));
        var r3 = Row(pairs + at.GetElement(3));
        var r4 = Row(pairs + at.GetElement(4));
        var r5 = Row(pairs + at.GetElement(5));
        var r6 = Row(pairs + at.GetElement(6));
        var r7 = Row(pairs + at.GetElement(7));
        if (Avx512F.IsSupported)
        {
            // 8 × 8 transpose. Rows r_j = [xm ym | x0 y0 | x1 y1 | x2 y2] (128-bit blocks); unpacking pairs of rows
            // gives t0 = [xm xm | x0 x0 | x1 x1 | x2 x2] of rows 0, 1 and t1 the same of the y's; vshuff64x2 with
            // 0x88 takes blocks (a0, a2, b0, b2), with 0xDD (a1, a3, b1, b3): u0 = [xm01 | x1 01 | xm23 | x1 23],
            // and a second round gathers each column over all eight rows
            var t0 = Avx512F.UnpackLow(r0, r1);
            var t1 = Avx512F.UnpackHigh(r0, r1);
            var t2 = Avx512F.UnpackLow(r2, r3);
            var t3 = Avx512F.UnpackHigh(r2, r3);
            var t4 = Avx512F.UnpackLow(r4, r5);
            var t5 = Avx512F.UnpackHigh(r4, r5);
            var t6 = Avx512F.UnpackLow(r6, r7);
            var t7 = Avx512F.UnpackHigh(r6, r7);
            var u0 = Avx512F.Shuffle4x128(t0, t2, 0x88);
            var u1 = Avx512F.Shuffle4x128(t0, t2, 0xDD);
            var u2 = Avx512F.Shuffle4x128(t1, t3, 0x88);
            var u3 = Avx512F.Shuffle4x128(t1, t3, 0xDD);
            var u4 = Avx512F.Shuffle4x128(t4, t6, 0x88);
            var u5 = Avx512F.Shuffle4x128(t4, t6, 0xDD);
            var u6 = Avx512F.Shuffle4x128(t5, t7, 0x88);
            var u7 = Avx512F.Shuffle4x128(t5, t7, 0xDD);
            xm = new(Avx512F.Shuffle4x128(u0, u4, 0x88));
            x1 = new(Avx512F.Shuffle4x128(u0, u4, 0xDD));
            x0 = new(Avx512F.Shuffle4x128(u1, u5, 0x88));
            x2 = new(Avx512F.Shuffle4x128(u1, u5, 0xDD));
            ym = new(Avx512F.Shuffle4x128(u2, u6, 0x88));
            y1 = new(Avx512F.Shuffle4x128(u2, u6, 0xDD));
            y0 = new(Avx512F.Shuffle4x128(u3, u7, 0x88));
            y2 = new(Avx512F.Shuffle4x128(u3, u7, 0xDD));
        }
        else
        {
            xm = Column(0, r0, r1, r2, r3, r4, r5, r6, r7); ym = Column(1, r0, r1, r2, r3, r4, r5, r6, r7);
            x0 = Column(2, r0, r1, r2, r3, r4, r5, r6, r7); y0 = Column(3, r0, r1, r2, r3, r4, r5, r6, r7);
            x1 = Column(4, r0, r1, r2, r3, r4, r5, r6, r7); y1 = Column(5, r0, r1, r2, r3, r4, r5, r6, r7);
            x2 = Column(6, r0, r1, r2, r3, r4, r5, r6, r7); y2 = Column(7, r0, r1, r2, r3, r4, r5, r6, r7);
        }
    }

    /// <summary>Element k of each row (the transpose without AVX-512).</summary>
    static Lanes8 Column(int k, Vector512<double> r0, Vector512<double> r1, Vector512<double> r2, Vector512<double> r3,
                         Vector512<double> r4, Vector512<double> r5, Vector512<double> r6, Vector512<double> r7) =>
        new(Vector512.Create(r0[k], r1[k], r2[k], r3[k], r4[k], r5[k], r6[k], r7[k]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Row(double* at)
    {
        var raw = Vector256.Load((float*)at);
        return Avx512F.IsSupported ? Avx512F.ConvertToVector512Double(raw)
                                   : Vector512.Create(Vector256.WidenLower(raw), Vector256.WidenUpper(raw));
    }
}
