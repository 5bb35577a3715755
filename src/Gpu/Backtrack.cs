using SkyMix.Theory;

namespace SkyMix.Gpu;

/// <summary>
/// Everything that defines a backtracking study (one rigidity). Theory units: c = 1, time 1/Ω, length c/Ω.
/// Two studies with equal settings (and seeds) give identical results on the CPU path.
/// </summary>
public sealed record RunSettings
{
    /// <summary>ρ = r_g/L_c.</summary>
    public required double Rho { get; init; }
    /// <summary>The rigidity [V] when the study was set up physically (else null).</summary>
    public double? RigidityVolts { get; init; }
    public double BrmsMicroGauss { get; init; } = StudyDefaults.bRmsMicroGauss;
    public double LcParsec { get; init; } = StudyDefaults.lcParsec;
    public double Eta { get; init; } = StudyDefaults.eta;
    public double Q { get; init; } = StudyDefaults.q;
    /// <summary>k_max [Ω/c].</summary>
    public required double KMax { get; init; }
    public int Nside { get; init; } = 16;
    public int Realizations { get; init; } = 4;
    public ulong Seed { get; init; } = 1;
    /// <summary>Backtracking times T [1/Ω], increasing.</summary>
    public required double[] Times { get; init; }
    /// <summary>Step as a fraction of the gyro-period 2π/Ω.</summary>
    public double StepGyro { get; init; } = 0.01;
    /// <summary>Step as a fraction of the smallest wavelength 2π/k_max (the step is the smaller of the two).</summary>
    public double StepLambda { get; init; } = 1.0;
    /// <summary>Unit vector along ∇f̄ (default ∥ B0 = ẑ).</summary>
    public double[] Gradient { get; init; } = { 0.0, 0.0, 1.0 };
    /// <summary>Memory budget of the field [bytes].</summary>
    public long MemoryBytes { get; init; } = 2L << 30;
    /// <summary>Whether each realisation writes its sky maps (HEALPix FITS, one per output time).</summary>
    public bool Maps { get; init; } = true;

    /// <summary>The spectrum g(k) of the study (theory library).</summary>
    public Spectrum Spectrum() => SpectrumModule.create(Q, Units.kMin(Rho, Eta), KMax, Eta);

    /// <summary>The step dt = min(StepGyro·2π, StepLambda·2π/k_max) [1/Ω].</summary>
    public double Dt => Math.Min(StepGyro * 2.0 * Math.PI, StepLambda * 2.0 * Math.PI / KMax);

    /// <summary>Number of steps to each output time (T is rounded to a whole number of steps).</summary>
    public long[] StepCounts() => Times.Select(t => Math.Max(1L, (long)Math.Round(t / Dt))).ToArray();

    /// <summary>L_c in c/Ω: (r_g/ρ)·(Ω r_g/c)/r_g = √(1−η)/ρ.</summary>
    public double LcTheory => Units.lcInLengthUnits(Rho, Eta);

    /// <summary>Checks the settings; an <see cref="InputError"/> names the first problem.</summary>
    public void Validate()
    {
        if (!(Rho > 0 && double.IsFinite(Rho))) throw new InputError($"ρ must be positive, got {Rho}");
        if (!(Eta > 0 && Eta < 1)) throw new InputError($"η must lie in (0, 1), got {Eta}");
        if (!Healpix.isValidNside(Nside)) throw new InputError($"--nside must be a power of two from 1 to 8192, got {Nside}");
        if (Realizations is < 1 or > MaxRealizations) throw new InputError($"--realizations must lie in 1 … {MaxRealizations}, got {Realizations}");
        if (Times.Length == 0) throw new InputError("no backtracking times given (--times)");
        if (Times.Any(t => !(t > 0 && double.IsFinite(t)))) throw new InputError("backtracking times must be positive numbers");
        for (var i = 1; i < Times.Length; i++)
            if (!(Times[i] > Times[i - 1])) throw new InputError("backtracking times must increase");
        if (!(StepGyro > 0 && StepGyro <= 0.1)) throw new InputError($"the gyro-period step fraction must lie in (0, 0.1], got {StepGyro}");
        if (!(StepLambda > 0 && StepLambda <= 10)) throw new InputError($"the wavelength step fraction must lie in (0, 10], got {StepLambda}");
        var g = Math.Sqrt(Gradient.Sum(v => v * v));
        if (Gradient.Length != 3 || Math.Abs(g - 1.0) > 1e-9) throw new InputError("the gradient direction must be a unit vector (x,y,z)");
        Spectrum(); // k_max > k_min, q
        var steps = StepCounts()[^1];
        if (steps > 2_000_000_000L) throw new InputError($"the longest time needs {steps:E2} steps of {Dt:G3}/Ω; shorten --times or coarsen the step");
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (SkyBytes > available / 2)
            throw new InputError($"Nside {Nside} with {Times.Length} output times needs {SkyBytes / 1e9:G3} GB for the particles and maps of one " +
                                 $"realisation; this machine offers {available / 1e9:G3} GB: lower --nside or use fewer --times");
    }

    /// The most realisations one study may have.
    public const int MaxRealizations = 100_000;

    /// Memory of one realisation's particles (six doubles) and maps (one double per pixel and output time) [bytes].
    public double SkyBytes => (double)Healpix.npix(Nside) * 8.0 * (6 + Times.Length);
}

/// <summary>What one realisation yields at each output time, and its local mean field.</summary>
public sealed class RealizationResult
{
    public required int Index { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>The times actually reached (whole steps) [1/Ω].</summary>
    public required double[] Times { get; init; }
    /// <summary>C_ℓ^num of the map at each time, ℓ = 0 … 3Nside − 1 (anafast, iter 0).</summary>
    public required double[][] Cl { get; init; }
    /// <summary>Self-consistent noise level at each time (physics.md §5).</summary>
    public required double[] Noise { get; init; }
    /// <summary>Eq. 7 noise at each time.</summary>
    public required double[] NoiseEq7 { get; init; }
    /// <summary>Dipole vector Φ (eq. 52) at each time.</summary>
    public required double[][] Phi { get; init; }
    /// <summary>⟨Δx²⟩, ⟨Δy²⟩, ⟨Δz²⟩ over the particles at each time [(c/Ω)²].</summary>
    public required double[][] Displacement2 { get; init; }
    /// <summary>Local mean field B_i/B0 over |z| &lt; L_c/60.</summary>
    public required double[] LocalField { get; init; }
    public required double CosAlpha { get; init; }
    /// <summary>The maps f/f̄ − 1 at each time (unit gradient, RING order); null once written out.</summary>
    public double[][]? Maps { get; set; }
}

/// <summary>
/// A backtracking run (paper Sec. 2.1; physics.md §5): particles from every HEALPix RING pixel centre, the
/// observer at the origin, antiparticles launched with −p̂ and pushed through one field realisation up to
/// each output time T; there the sky map of eq. 3 and its spectrum, noise, dipole and displacements.
/// </summary>
public static class Backtrack
{
    /// <summary>
    /// The particles of one sky: the antiparticle of pixel p starts at the origin with velocity −p̂, p̂ the
    /// pixel centre (maps are functions of the momentum direction p̂, the paper's f(p̂); the arrival
    /// direction on the sky is −p̂).
    /// </summary>
    public static Particle[] Sky(int nside)
    {
        var n = (int)Healpix.npix(nside);
        var ps = new Particle[n];
        for (var p = 0; p < n; p++)
        {
            var (th, ph) = Healpix.pix2angRing(nside, p);
            ps[p] = new Particle(0, 0, 0, -Math.Sin(th) * Math.Cos(ph), -Math.Sin(th) * Math.Sin(ph), -Math.Cos(th));
        }
        return ps;
    }

    /// <summary>The map m = f/f̄ − 1 of eq. 3 for a unit gradient ĝ (|∇f̄/f̄| = 1 in units of Ω/c; C_ℓ scales
    /// with its square), pixel by pixel from the particles (Api.mapValue).</summary>
    public static double[] Map(Particle[] ps, double[] g, double kzz) =>
        ps.Select(p => Api.mapValue(p.X, p.Y, p.Z, p.Uz, g, kzz)).ToArray();

    /// <summary>Runs realisation r to the end; progress gets the number of particle-steps done so far.</summary>
    public static RealizationResult Realization(RunSettings s, GridBand[] bands, IPusher pusher, int r,
                                                Action<long>? progress = null, CancellationToken cancel = default)
    {
        var spectrum = s.Spectrum();
        var kzz = Qlt.kzz(spectrum);
        var seed = Rng.Derive(s.Seed, (ulong)r);
        var field = SlabField.Generate(spectrum, bands, seed);
        pusher.Load(field);
        var ps = Sky(s.Nside);
        var counts = s.StepCounts();
        var lmax = 3 * s.Nside - 1;
        var nt = counts.Length;
        var (bx, by, bz, cosAlpha) = field.LocalMeanField(s.LcTheory / 30.0);
        var res = new RealizationResult
        {
            Index = r,
            Seed = seed,
            Times = counts.Select(c => c * s.Dt).ToArray(),
            Cl = new double[nt][],
            Noise = new double[nt],
            NoiseEq7 = new double[nt],
            Phi = new double[nt][],
            Displacement2 = new double[nt][],
            LocalField = new[] { bx, by, bz },
            CosAlpha = cosAlpha,
            Maps = new double[nt][],
        };
        // chunks of about 2e7 particle-steps keep progress and Ctrl-C responsive
        var chunk = (int)Math.Max(1, 20_000_000L / ps.Length);
        long done = 0, prev = 0;
        for (var k = 0; k < nt; k++)
        {
            var todo = counts[k] - prev;
            while (todo > 0)
            {
                cancel.ThrowIfCancellationRequested();
                var n = (int)Math.Min(todo, chunk);
                pusher.Push(ps, s.Dt, -1.0, n);
                todo -= n;
                done += (long)n * ps.Length;
                progress?.Invoke(done);
            }
            prev = counts[k];
            var map = Map(ps, s.Gradient, kzz);
            var alm = SkyMix.Theory.Sky.map2alm(map, lmax, 0);
            var cl = SkyMix.Theory.Sky.cl(alm);
            var (phx, phy, phz) = SkyMix.Theory.Sky.dipoleAbout(1.0, alm);
            double dx2 = 0, dy2 = 0, dz2 = 0, dg2 = 0;
            for (var i = 0; i < ps.Length; i++)
            {
                dx2 += ps[i].X * ps[i].X;
                dy2 += ps[i].Y * ps[i].Y;
                dz2 += ps[i].Z * ps[i].Z;
                var dg = ps[i].X * s.Gradient[0] + ps[i].Y * s.Gradient[1] + ps[i].Z * s.Gradient[2];
                dg2 += dg * dg;
            }
            res.Cl[k] = cl;
            res.Noise[k] = SkyMix.Theory.Sky.noiseSelfConsistent(map, cl);
            res.NoiseEq7[k] = SkyMix.Theory.Sky.noiseEq7(ps.Length, dg2 / ps.Length);
            res.Phi[k] = new[] { phx, phy, phz };
            res.Displacement2[k] = new[] { dx2 / ps.Length, dy2 / ps.Length, dz2 / ps.Length };
            res.Maps![k] = map;
        }
        return res;
    }
}
