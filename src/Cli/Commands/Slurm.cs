using System.Globalization;
using SkyMix.CliArgs;
using SkyMix.Gpu;
using SkyMix.Io;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix slurm</c>: writes, under OUT/slurm, a job-array script whose task i runs
/// <c>skymix simulate ... --shard i/N --out OUT/shards/i</c>, a merge script that combines the shards into OUT,
/// submit.sh (the array, then the merge as a job that depends on every task's success) and run-local.sh
/// (the same tasks as background processes, for a machine without Slurm). Nothing is submitted.
/// </summary>
public static class Slurm
{
    public static int Run(Parse.SlurmOptions o)
    {
        var settings = o.Simulate.From is null ? Simulate.Settings(o.Simulate) : RunJson.Read(o.Simulate.From).Settings;
        settings.Validate();
        if (o.Shards > settings.Realizations)
            throw new InputError($"--shards {o.Shards}: the study has {settings.Realizations} realisations; use at most {settings.Realizations} shards");
        var study = Path.GetFullPath(o.Out);
        if (File.Exists(study)) throw new InputError($"--out {o.Out} is a file; give a folder");
        var scripts = Path.Combine(study, "slurm");
        try { Directory.CreateDirectory(Path.Combine(scripts, "logs")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputError($"cannot create {scripts} ({e.Message}); give a writable --out"); }

        var n = o.Shards;
        var name = $"skymix-{Simulate.DefaultOut(settings).Split("simulate-")[^1]}";
        var skymix = "skymix=(" + string.Join(" ", Launcher().Select(Sh)) + ")\n" +
                     "if [ -n \"${SKYMIX:-}\" ]; then read -ra skymix <<< \"$SKYMIX\"; fi   # another launcher on the nodes\n";
        var shardDirs = Enumerable.Range(0, n).Select(i => Path.Combine(study, "shards", i.ToString(CultureInfo.InvariantCulture))).ToList();
        var threads = o.Simulate.Threads > 0 ? "" : " --threads \"${SLURM_CPUS_PER_TASK:-0}\"";
        var common = Header(o).ToList();

        Write(Path.Combine(scripts, "simulate.sbatch"),
            $"#!/bin/bash\n" +
            $"# SkyMix study {name}: {settings.Realizations} realisations in {n} shards (written by skymix slurm, {Program.VersionText}).\n" +
            $"# Task i runs the realisations ≡ i (mod {n}) into {Path.Combine(study, "shards", "i")}; a killed task resumes when resubmitted.\n" +
            $"#SBATCH --job-name={name}\n#SBATCH --array=0-{n - 1}\n#SBATCH --output={Path.Combine(scripts, "logs", "simulate-%A_%a.log")}\n" +
            string.Concat(common.Select(l => l + "\n")) +
            $"set -euo pipefail\n{skymix}" +
            $"i=\"${{SLURM_ARRAY_TASK_ID:?run this script with sbatch --array or set SLURM_ARRAY_TASK_ID}}\"\n" +
            $"exec \"${{skymix[@]}}\" simulate {string.Join(" ", Absolute(o.SimulateArgs).Select(Sh))} --shard \"$i/{n}\" --out {Sh(Path.Combine(study, "shards"))}/\"$i\"{threads}\n");
        Write(Path.Combine(scripts, "merge.sbatch"),
            $"#!/bin/bash\n# Combines the {n} shards of {name} into {study} (skymix merge checks that none is missing).\n" +
            $"#SBATCH --job-name={name}-merge\n#SBATCH --output={Path.Combine(scripts, "logs", "merge-%j.log")}\n" +
            string.Concat(common.Where(l => !l.Contains("--gpus")).Select(l => l + "\n")) +
            $"set -euo pipefail\n{skymix}" +
            $"exec \"${{skymix[@]}}\" merge {string.Join(" ", shardDirs.Select(Sh))} --out {Sh(study)}\n");
        Write(Path.Combine(scripts, "submit.sh"),
            "#!/bin/bash\n# Submits the job array, then the merge as a job that runs when every task has succeeded.\n" +
            "# Arguments go to both sbatch calls (e.g. --wait to return when all is done).\n" +
            "set -euo pipefail\nhere=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n" +
            "array=\"$(sbatch --parsable \"$@\" \"$here/simulate.sbatch\")\"; array=\"${array%%;*}\"\n" +
            "merge=\"$(sbatch --parsable --dependency=afterok:$array --kill-on-invalid-dep=yes \"$@\" \"$here/merge.sbatch\")\"; merge=\"${merge%%;*}\"\n" +
            $"echo \"submitted job array $array ({n} tasks) and merge job $merge; logs in $here/logs, the merged run in {study}\"\n");
        Write(Path.Combine(scripts, "run-local.sh"),
            "#!/bin/bash\n# Without Slurm: runs the array's tasks as background processes on this machine, then the merge.\n" +
            "set -euo pipefail\nhere=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n" +
            $"export SLURM_CPUS_PER_TASK=$(( ($(nproc) + {n - 1}) / {n} ))\npids=()\n" +
            $"for i in $(seq 0 {n - 1}); do\n  SLURM_ARRAY_TASK_ID=$i bash \"$here/simulate.sbatch\" > \"$here/logs/simulate-local_$i.log\" 2>&1 &\n  pids+=($!)\ndone\n" +
            "status=0\nfor p in \"${pids[@]}\"; do wait \"$p\" || status=1; done\n" +
            "if [ $status -ne 0 ]; then echo \"a task failed; see $here/logs (rerun this script to resume)\" >&2; exit 1; fi\n" +
            "bash \"$here/merge.sbatch\"\n");

        Console.WriteLine($"wrote {scripts}/simulate.sbatch (job array of {n} tasks), merge.sbatch, submit.sh and run-local.sh");
        Console.WriteLine($"submit:        {Path.Combine(scripts, "submit.sh")}            (sbatch options may follow, e.g. --wait)");
        Console.WriteLine($"without Slurm: {Path.Combine(scripts, "run-local.sh")}");
        Console.WriteLine($"the merged run will be {study}; then: skymix fit {study}");
        return 0;
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

    /// <summary>A word quoted for bash.</summary>
    static string Sh(string word) => "'" + word.Replace("'", "'\"'\"'") + "'";

    static void Write(string path, string text)
    {
        Files.WriteText(path, w => w.Write(text));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }
}
