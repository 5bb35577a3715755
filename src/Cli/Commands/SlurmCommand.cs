using System.Globalization;
using SkyMix.CliArgs;
using SkyMix.Gpu;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix slurm</c>: writes, under OUT/slurm, a job-array script whose task i runs
/// <c>skymix simulate ... --shard i/N --out OUT/shards/i</c>, a merge script that combines the shards into OUT,
/// submit.sh (the array, then the merge as a job that depends on every task's success) and run-local.sh
/// (the same tasks as background processes, for a machine without Slurm). Nothing is submitted.
/// </summary>
public static class SlurmCommand
{
    public static int Run(Parse.SlurmOptions o)
    {
        var settings = (o.Simulate.From is null ? Study.Of(SimulateCommand.Settings(o.Simulate)) : RunJson.Read(o.Simulate.From).Study).Settings;
        if (o.Shards > settings.Realizations)
            throw new InputError($"--shards {o.Shards}: the study has {settings.Realizations} realisations; use at most {settings.Realizations} shards");
        var study = Path.GetFullPath(o.Out);
        if (File.Exists(study)) throw new InputError($"--out {o.Out} is a file; give a folder");
        CheckExisting(o.Out, study, settings, o.Shards);
        var scripts = Path.Combine(study, "slurm");
        SlurmScripts.Write(new SlurmJob(
            o.Shards, study, $"skymix-{SimulateCommand.DefaultOut(settings).Split("simulate-")[^1]}", settings.Realizations, Launcher(),
            Absolute(o.SimulateArgs).ToArray(), o.Simulate.Threads <= 0, Header(o).ToArray(), Program.VersionText));
        Console.WriteLine($"wrote {scripts}/simulate.sbatch (job array of {o.Shards} tasks), merge.sbatch, submit.sh and run-local.sh");
        Console.WriteLine($"submit:        {Path.Combine(scripts, "submit.sh")}            (sbatch options may follow, e.g. --wait)");
        Console.WriteLine($"without Slurm: {Path.Combine(scripts, "run-local.sh")}");
        Console.WriteLine($"the merged run will be {study}; then: skymix fit {study}");
        return 0;
    }

    /// <summary>Refuses a study folder that already holds another study, or the shards of this one cut another way:
    /// every task would fail (its shard folder refuses other settings) or the merge would find realisations twice.</summary>
    static void CheckExisting(string given, string study, StudySettings settings, int shards)
    {
        if (File.Exists(Path.Combine(study, "run.json")) && RunJson.Difference(RunJson.Open(study).Study.Settings, settings) is string d)
            throw new InputError($"--out {given} holds another study ({d}); give a new folder");
        var shardRoot = Path.Combine(study, "shards");
        if (!Directory.Exists(shardRoot)) return;
        foreach (var dir in Directory.EnumerateDirectories(shardRoot).Where(x => File.Exists(Path.Combine(x, "run.json"))).Order())
        {
            var old = RunJson.Open(dir);
            if (RunJson.Difference(old.Study.Settings, settings) is string diff)
                throw new InputError($"{dir} holds a shard of another study ({diff}); give a new --out");
            if (old.Execution.Shard.Count != shards)
                throw new InputError($"--out {given} holds this study cut into {old.Execution.Shard.Count} shards; use --shards {old.Execution.Shard.Count} (the tasks resume), or a new folder");
        }
    }

    /// <summary>The #SBATCH lines both jobs share.</summary>
    static IEnumerable<string> Header(Parse.SlurmOptions o)
    {
        yield return "#SBATCH --ntasks=1";
        if (o.CpusPerTask > 0) yield return $"#SBATCH --cpus-per-task={o.CpusPerTask}";
        if (o.GpusPerTask > 0) yield return $"#SBATCH --gpus-per-task={o.GpusPerTask}";
        if (o.Partition is not null) yield return $"#SBATCH --partition={o.Partition}";
        if (o.Time is not null) yield return $"#SBATCH --time={o.Time}";
        if (o.Account is not null) yield return $"#SBATCH --account={o.Account}";
        foreach (var extra in o.Sbatch) yield return $"#SBATCH {extra}";
    }

    /// <summary>How this skymix was started: the ./skymix wrapper (SKYMIX_LAUNCHER), a published binary, or dotnet skymix.dll.</summary>
    static string[] Launcher()
    {
        if (Environment.GetEnvironmentVariable("SKYMIX_LAUNCHER") is { Length: > 0 } wrapper) return new[] { wrapper };
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new[] { process, typeof(Program).Assembly.Location }
            : new[] { process };
    }

    /// <summary>The simulate options with a --from file made absolute (the tasks may start elsewhere).</summary>
    static IEnumerable<string> Absolute(string[] args) =>
        args.Select((a, i) => i > 0 && args[i - 1] == "--from" ? Path.GetFullPath(a) : a);

}
