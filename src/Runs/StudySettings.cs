using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// The inputs of a backtracking study (one rigidity), as run.json stores them. Theory units: c = 1, time 1/Ω,
/// length c/Ω. Every field is given by whoever builds it (the command line takes SkyMix.Theory.Defaults);
/// <see cref="Study.Of"/> validates them once. Two studies with equal settings give identical results on the
/// CPU path.
/// </summary>
public sealed record StudySettings
{
    /// <summary>ρ = r_g/L_c.</summary>
    public required double Rho { get; init; }
    /// <summary>The rigidity [V] when the study was set up physically (else null).</summary>
    public required double? RigidityVolts { get; init; }
    public required double BrmsMicroGauss { get; init; }
    public required double LcParsec { get; init; }
    public required double Eta { get; init; }
    public required double Q { get; init; }
    /// <summary>k_max [Ω/c].</summary>
    public required double KMax { get; init; }
    public required int Nside { get; init; }
    public required int Realizations { get; init; }
    public required ulong Seed { get; init; }
    /// <summary>Backtracking times T [1/Ω], increasing.</summary>
    public required IReadOnlyList<double> Times { get; init; }
    /// <summary>Step as a fraction of the gyro-period 2π/Ω.</summary>
    public required double StepGyro { get; init; }
    /// <summary>Step as a fraction of the smallest wavelength 2π/k_max (the step is the smaller of the two).</summary>
    public required double StepLambda { get; init; }
    /// <summary>Unit vector along ∇f̄.</summary>
    public required IReadOnlyList<double> Gradient { get; init; }
    /// <summary>Memory budget of the field [bytes].</summary>
    public required long MemoryBytes { get; init; }
    /// <summary>Whether each realisation writes its sky maps (HEALPix FITS, one per output time).</summary>
    public required bool Maps { get; init; }
    /// <summary>The ℓ0 whose pair propagator M_ℓℓ0(T) each realisation measures (empty: none).</summary>
    public required IReadOnlyList<int> MixingL0 { get; init; }

    /// <summary>The settings of the defaults (SkyMix.Theory.Defaults) for ρ, rigidity, η and k_max.</summary>
    public static StudySettings WithDefaults(double rho, double? rigidityVolts, double eta, double kmax, IReadOnlyList<double> times) => new()
    {
        Rho = rho,
        RigidityVolts = rigidityVolts,
        BrmsMicroGauss = Defaults.Study.bRmsMicroGauss,
        LcParsec = Defaults.Study.lcParsec,
        Eta = eta,
        Q = Defaults.Study.q,
        KMax = kmax,
        Nside = Defaults.Simulate.nside,
        Realizations = Defaults.Simulate.realizations,
        Seed = Defaults.Simulate.seed,
        Times = times,
        StepGyro = Defaults.Simulate.stepGyro,
        StepLambda = Defaults.Simulate.stepLambda,
        Gradient = Defaults.Simulate.gradient,
        MemoryBytes = Defaults.Simulate.memoryMegabytes * (1L << 20),
        Maps = true,
        MixingL0 = Array.Empty<int>(),
    };
}
