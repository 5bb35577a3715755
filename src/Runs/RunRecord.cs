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

/// <summary>How a run folder was computed: the "execution" object of its run.json.</summary>
public sealed record Execution(string Device, int Threads, Shard Shard, IReadOnlyList<string> MergedFrom,
                               int Finished, double Seconds, double StepsPerSecond);

/// <summary>What a run.json holds: the study's settings and how it was run.</summary>
public sealed record RunRecord(Study Study, Execution Execution);
