using System.Runtime.CompilerServices;

namespace SkyMix.Gpu;

/// <summary>
/// A test particle in theory units (c = 1, time 1/Ω, length c/Ω): position (X, Y, Z) and unit velocity
/// (Ux, Uy, Uz) = p̂. |p| is constant in a magnetic field, so p̂ carries the whole momentum.
/// </summary>
public struct Particle
{
    public double X, Y, Z, Ux, Uy, Uz;

    public Particle(double x, double y, double z, double ux, double uy, double uz)
    {
        X = x; Y = y; Z = z; Ux = ux; Uy = uy; Uz = uz;
    }
}

/// <summary>
/// The relativistic Boris pusher for a pure magnetic field (Boris 1970), in the time-symmetric form
/// drift ½dt – rotate – drift ½dt, with B = B0 ẑ + δB(z) at the midpoint. |p̂| is conserved to round-off,
/// the scheme is second order and time reversible: reversing p̂ and the charge retraces the orbit.
/// The one per-particle step shared by the ILGPU kernel and the CPU path.
/// </summary>
public static class Boris
{
    /// <summary>
    /// One step dt of a particle of charge sign q (+1 the cosmic ray, −1 the antiparticle that backtracks
    /// it): dp̂/dt = q p̂ × (ẑ + δB/B0), dr/dt = p̂.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Step<TField>(ref Particle p, in TField field, double dt, double q) where TField : struct, IField
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
        var f = 2.0 / (1.0 + tx * tx + ty * ty + tz * tz);
        var sx = f * tx;
        var sy = f * ty;
        var sz = f * tz;
        // u' = u + u × t
        var vx = p.Ux + (p.Uy * tz - p.Uz * ty);
        var vy = p.Uy + (p.Uz * tx - p.Ux * tz);
        var vz = p.Uz + (p.Ux * ty - p.Uy * tx);
        // u⁺ = u + u' × s
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

    /// <summary>n steps of one particle (the body of the kernel and of the CPU loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Steps<TField>(ref Particle p, in TField field, double dt, double q, int n) where TField : struct, IField
    {
        // a local copy lets the JIT keep the particle in registers across steps
        var local = p;
        var f = field;
        for (var k = 0; k < n; k++) Step(ref local, f, dt, q);
        p = local;
    }
}
