using SkyMix.CliArgs;
using SkyMix.Runs;

namespace SkyMix.Cli.Commands;

/// <summary><c>skymix merge</c>: the shards of one study combined into one run folder (see <see cref="StudyRun.Merge"/>).</summary>
public static class MergeCommand
{
    public static int Run(Parse.MergeOptions o)
    {
        var ensemble = StudyRun.Merge(o.Runs, o.Out, Program.VersionText);
        Console.WriteLine($"merged {ensemble.Count} realisations from {o.Runs.Length} folder{(o.Runs.Length > 1 ? "s" : "")} into {o.Out} " +
                          $"(realisations copied; cl.csv, diffusion.csv, dipole.csv{(ensemble.Mixing.Length > 0 ? ", mixing.csv" : "")} and run.json written)");
        return 0;
    }
}
