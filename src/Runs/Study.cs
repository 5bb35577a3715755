using SkyMix.Gpu;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// One backtracking study, validated once: its settings and everything derived from them — the spectrum g(k),
/// K_zz of QLT, the step, the step counts and the times they reach, the field's grid layout and the seed rule.
/// Every later stage takes this value and trusts it. Building it checks the settings only; whether this
/// machine can run it is <see cref="CheckMachine"/>'s question (a run folder read on a small login node is
/// still valid).
/// </summary>
public sealed class Study
{
    /// <summary>The most realisations one study may have.</summary>
    public const int MaxRealizations = 100_000;

    public StudySettings Settings { get; }
    /// <summary>g(k) of the study (theory library).</summary>
    public Spectrum Spectrum { get; }
    /// <summary>K_zz of QLT [c²/Ω] (the K of eq. 3's map).</summary>
    public double KzzQlt { get; }
    /// <summary>The step dt = min(StepGyro·2π, StepLambda·2π/k_max) [1/Ω].</summary>
    public double Dt { get; }
    /// <summary>Steps to each output time (T rounded to whole steps) and the times they reach [1/Ω].</summary>
    public IReadOnlyList<long> StepCounts { get; }
    public IReadOnlyList<double> TimesReached { get; }
    /// <summary>L_c in c/Ω: √(1−η)/ρ.</summary>
    public double LcTheory { get; }
    /// <summary>The nested grids of the field (within the memory budget).</summary>
    public IReadOnlyList<GridBand> Layout { get; }

    Study(StudySettings given)
    {
        // private copies: whoever built the settings cannot change the study afterwards
        var s = given with { Times = given.Times.ToArray(), Gradient = given.Gradient.ToArray(), MixingL0 = given.MixingL0.ToArray() };
        Settings = s;
        Spectrum = SpectrumModule.create(s.Q, Units.kMin(s.Rho, s.Eta), s.KMax, s.Eta);
        KzzQlt = Qlt.kzz(Spectrum);
        Dt = Math.Min(s.StepGyro * 2.0 * Math.PI, s.StepLambda * 2.0 * Math.PI / s.KMax);
        StepCounts = Array.AsReadOnly(s.Times.Select(t => Math.Max(1L, (long)Math.Round(t / Dt))).ToArray());
        TimesReached = Array.AsReadOnly(StepCounts.Select(c => c * Dt).ToArray());
        LcTheory = Units.lcInLengthUnits(s.Rho, s.Eta);
        Layout = Array.AsReadOnly(SlabField.Layout(Spectrum, s.MemoryBytes));
    }

    /// <summary>Validates the settings and derives the study; an <see cref="InputError"/> names the first problem.</summary>
    public static Study Of(StudySettings s)
    {
        if (!(s.Rho > 0 && double.IsFinite(s.Rho))) throw new InputError($"ρ must be positive, got {s.Rho}");
        if (!(s.BrmsMicroGauss > 0 && double.IsFinite(s.BrmsMicroGauss))) throw new InputError($"--brms must be a positive field in µG, got {s.BrmsMicroGauss}");
        if (!(s.LcParsec > 0 && double.IsFinite(s.LcParsec))) throw new InputError($"--lc must be a positive length in pc, got {s.LcParsec}");
        if (s.RigidityVolts is double r)
        {
            if (!(r > 0 && double.IsFinite(r))) throw new InputError($"the rigidity must be positive, got {r} V");
            var rho = Units.rho(r, s.BrmsMicroGauss, s.LcParsec);
            if (Math.Abs(rho / s.Rho - 1) > 1e-9)
                throw new InputError($"ρ = {s.Rho:G6} does not belong to {Units.rigidityText(" ", r)} in {s.BrmsMicroGauss:G6} µG over {s.LcParsec:G6} pc (that is ρ = {rho:G6})");
        }
        if (s.MemoryBytes < 1L << 20) throw new InputError($"--memory must be at least 1 MB, got {s.MemoryBytes} bytes");
        if (!Healpix.isValidNside(s.Nside)) throw new InputError($"--nside must be a power of two from 1 to 8192, got {s.Nside}");
        if (s.Realizations is < 1 or > MaxRealizations) throw new InputError($"--realizations must lie in 1 … {MaxRealizations}, got {s.Realizations}");
        if (s.Times.Count == 0) throw new InputError("no backtracking times given (--times)");
        if (s.Times.Any(t => !(t > 0 && double.IsFinite(t)))) throw new InputError("backtracking times must be positive numbers");
        for (var i = 1; i < s.Times.Count; i++)
            if (!(s.Times[i] > s.Times[i - 1])) throw new InputError("backtracking times must increase");
        if (!(s.StepGyro > 0 && s.StepGyro <= 0.1)) throw new InputError($"the gyro-period step fraction must lie in (0, 0.1], got {s.StepGyro}");
        if (!(s.StepLambda > 0 && s.StepLambda <= 10)) throw new InputError($"the wavelength step fraction must lie in (0, 10], got {s.StepLambda}");
        if (s.MixingL0.FirstOrDefault(l0 => l0 < 0 || l0 > 3 * s.Nside - 1, -1) is var bad and >= 0)
            throw new InputError($"--mixing: ℓ0 must lie in 0 … 3·Nside − 1 = {3 * s.Nside - 1}, got {bad}");
        if (s.MixingL0.Distinct().Count() != s.MixingL0.Count) throw new InputError("--mixing: each ℓ0 once");
        var g = Math.Sqrt(s.Gradient.Sum(v => v * v));
        if (s.Gradient.Count != 3 || Math.Abs(g - 1.0) > 1e-9) throw new InputError("the gradient direction must be a unit vector (x,y,z)");
        var study = new Study(s); // the spectrum refuses η outside (0, 1), k_max ≤ k_min and q outside (0, 1.95]; the layout a budget too small
        for (var i = 1; i < study.StepCounts.Count; i++)
            if (study.StepCounts[i] == study.StepCounts[i - 1])
                throw new InputError($"--times {s.Times[i - 1]:G6} and {s.Times[i]:G6} both round to {study.StepCounts[i]} step{(study.StepCounts[i] > 1 ? "s" : "")} of dt = {study.Dt:G4}/Ω " +
                                     $"(ΩT = {study.TimesReached[i]:G4}): give output times at least one step apart");
        var steps = study.StepCounts[^1];
        if (steps > 2_000_000_000L) throw new InputError($"the longest time needs {steps:E2} steps of {study.Dt:G3}/Ω; shorten --times or coarsen the step");
        return study;
    }

    /// <summary>The seed of realisation r: SplitMix64(seed, r), whoever computes it (shards, merge, resume).</summary>
    public ulong SeedOf(int r) => Rng.Derive(Settings.Seed, (ulong)r);

    /// <summary>Pixels of the particle grid (one particle per HEALPix pixel).</summary>
    public int Pixels => (int)Healpix.npix(Settings.Nside);

    /// <summary>Memory of one realisation's particles (six doubles), maps (one double per pixel and output
    /// time) and, with --mixing, the harmonics Y_ℓ0m of every particle (2ℓ0 + 1 doubles per ℓ0) [bytes].</summary>
    public double SkyBytes => (double)Pixels * 8.0 * (6 + Settings.Times.Count + Settings.MixingL0.Sum(l0 => 2 * l0 + 1));

    /// <summary>Refuses a study that this machine cannot hold: the sky or the field above half its memory.</summary>
    public void CheckMachine()
    {
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (SkyBytes > available / 2)
            throw new InputError($"Nside {Settings.Nside} with {Settings.Times.Count} output times needs {SkyBytes / 1e9:G3} GB for the particles and maps of one " +
                                 $"realisation; this machine offers {available / 1e9:G3} GB: lower --nside, use fewer --times or smaller --mixing ℓ0");
        if (SlabField.Bytes(Layout) > available / 2)
            throw new InputError($"the turbulent field needs {SlabField.Bytes(Layout) / 1048576.0:F0} MB, more than half of this machine's " +
                                 $"{available / 1048576.0:F0} MB; lower --memory (it allows fewer, larger grids) or --kmax");
    }
}
