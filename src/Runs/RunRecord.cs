namespace SkyMix.Runs;

/// <summary>Progress of a study, for the command line to report.</summary>
public readonly record struct Progress(int Realization, int Realizations, double Fraction, double StepsPerSecond, TimeSpan Remaining);

/// <summary>
/// The realisations r ≡ Index (mod Count) of a study: one of Count independent parts that separate processes
/// (e.g. the tasks of a Slurm job array) run into folders of their own, combined by <see cref="StudyRun.Merge"/>.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    public static readonly Shard Whole = new(0, 1);
    public bool IsWhole => Count == 1;
    public bool Owns(int r) => r % Count == Index;
    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>How one realisation was computed: the device in words, the threads of the CPU path, the cores of the
/// machine, the seconds it took and its rate.</summary>
public sealed record RealizationExecution(int Realization, string Device, int Threads, int Cores, double Seconds, double StepsPerSecond);

/// <summary>How a run folder was computed: the "execution" object of its run.json. Each finished realisation keeps
/// the record of the process that computed it (across interruptions, resumes on other devices and merges); the
/// totals are sums over them.</summary>
public sealed record Execution(Shard Shard, IReadOnlyList<string> MergedFrom, int Finished, IReadOnlyList<RealizationExecution> Realizations)
{
    /// <summary>Every device that computed a realisation, in order of first use ("" when none has).</summary>
    public string Device => string.Join("; ", Realizations.Select(r => r.Device).Distinct());

    /// <summary>The device of the realisation computed last (null when none has).</summary>
    public string? LastDevice => Realizations.Count == 0 ? null : Realizations[^1].Device;

    /// <summary>The seconds spent on the finished realisations, over every process.</summary>
    public double Seconds => Realizations.Sum(r => r.Seconds);

    /// <summary>Particle-steps per second over all finished realisations.</summary>
    public double StepsPerSecond => Realizations.Sum(r => r.Seconds * r.StepsPerSecond) / Math.Max(Seconds, 1e-9);
}

/// <summary>What a run.json holds: the study's settings and how it was run.</summary>
public sealed record RunRecord(Study Study, Execution Execution);
