using SkyMix.Gpu;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>One realisation's summary (the theory library's input) and its sky maps f/f̄ − 1 at each output
/// time (unit gradient, RING order).</summary>
public sealed record RealizationRun(Realization Summary, double[][] Maps);

/// <summary>
/// One realisation of a backtracking study (paper Sec. 2.1; docs/physics.md §7): particles from every HEALPix
/// RING pixel centre, the observer at the origin, antiparticles launched with −p̂ and pushed through one field
/// realisation up to each output time T; there the sky map of eq. 3 and its spectrum, noise, dipole and
/// displacements.
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

    /// <summary>The most particle-steps between progress reports (and chances to stop): about a second on two
    /// cores, a fraction of one on a GPU; the particles stay on the device in between. The first push is
    /// short, and each later one is sized from the rate measured so far to last about <see cref="SecondsPerReport"/>,
    /// so that a slow study (many grids, few particles) reports its rate and time left within a second.</summary>
    const long StepsPerReport = 100_000_000L;

    const double SecondsPerReport = 0.5;

    /// <summary>Runs realisation r to the end; progress gets the number of particle-steps done so far.</summary>
    public static RealizationRun Realization(Study study, IPusher pusher, int r, Action<long>? progress = null, CancellationToken cancel = default)
    {
        var s = study.Settings;
        var seed = study.SeedOf(r);
        var field = SlabField.Generate(study.Spectrum, study.Layout.ToArray(), seed);
        pusher.Load(field);
        var ps = Sky(s.Nside);
        pusher.Upload(ps);
        var lmax = 3 * s.Nside - 1;
        var nt = study.StepCounts.Count;
        var gradient = s.Gradient.ToArray();
        var (localField, cosAlpha) = LocalField.measure(field.Parts(), LocalField.averagingLength(study.LcTheory));
        var cl = new double[nt][];
        var noise = new double[nt];
        var noiseEq7 = new double[nt];
        var phi = new double[nt][];
        var displacement2 = new double[nt][];
        var maps = new double[nt][];
        var mixing = new List<double[][]>();
        void MeasureMixing()
        {
            // the initial momentum direction p̂(t₀) = −u of the antiparticle
            if (s.MixingL0.Count > 0)
                mixing.Add(Propagator.measure(s.MixingL0.ToArray(), lmax, ps.Length, i => (-ps[i].Ux, -ps[i].Uy, -ps[i].Uz)));
        }
        MeasureMixing();
        var most = (int)Math.Max(1, StepsPerReport / ps.Length);
        var chunk = (int)Math.Clamp(1_000_000L / ps.Length, 1, most);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long done = 0, prev = 0;
        for (var k = 0; k < nt; k++)
        {
            var todo = study.StepCounts[k] - prev;
            while (todo > 0)
            {
                cancel.ThrowIfCancellationRequested();
                var n = (int)Math.Min(todo, chunk);
                pusher.Push(study.Dt, -1.0, n);
                todo -= n;
                done += (long)n * ps.Length;
                progress?.Invoke(done);
                var perStep = clock.Elapsed.TotalSeconds / (done / (double)ps.Length);
                chunk = (int)Math.Clamp(SecondsPerReport / Math.Max(perStep, 1e-12), 1, most);
            }
            prev = study.StepCounts[k];
            pusher.Download(ps);
            var map = Map(ps, gradient, study.KzzQlt);
            var alm = SkyMix.Theory.Sky.map2alm(map, lmax, 0);
            var c = SkyMix.Theory.Sky.cl(alm);
            var (phx, phy, phz) = SkyMix.Theory.Sky.dipoleAbout(1.0, alm);
            var (squares, along) = Diffusion.displacements(ps.Length, i => (ps[i].X, ps[i].Y, ps[i].Z), gradient);
            cl[k] = c;
            noise[k] = SkyMix.Theory.Sky.noiseSelfConsistent(map, c);
            noiseEq7[k] = SkyMix.Theory.Sky.noiseEq7(ps.Length, along);
            phi[k] = new[] { phx, phy, phz };
            displacement2[k] = squares;
            maps[k] = map;
            MeasureMixing();
        }
        var summary = new Realization(r, seed, study.TimesReached.ToArray(), cl, noise, noiseEq7, phi, displacement2, localField, cosAlpha, mixing.ToArray());
        return new RealizationRun(summary, maps);
    }
}
