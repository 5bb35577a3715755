using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// A study split into a Slurm job array: Shards tasks (task i runs the realisations ≡ i mod Shards) into
/// StudyDir/shards/i, then the merge into StudyDir. Launcher is how skymix is started on the nodes,
/// SimulateArgs the simulate options of every task, SbatchLines the #SBATCH lines both jobs share.
/// </summary>
public sealed record SlurmJob(int Shards, string StudyDir, string Name, int Realizations, string[] Launcher, string[] SimulateArgs,
                              bool PassThreads, string[] SbatchLines, string Version);

/// <summary>The scripts of `skymix slurm` in STUDY/slurm: simulate.sbatch (the array), merge.sbatch, submit.sh
/// (the array, then the merge with afterok) and run-local.sh (the same without Slurm); logs/ for their output.</summary>
public static class SlurmScripts
{
    /// <summary>Writes the four scripts (executable); an <see cref="InputError"/> when the folder cannot be made.</summary>
    public static void Write(SlurmJob job)
    {
        var scripts = Path.Combine(job.StudyDir, "slurm");
        try { Directory.CreateDirectory(Path.Combine(scripts, "logs")); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InputError($"cannot create {scripts} ({e.Message}); give a writable --out"); }
        var n = job.Shards;
        var study = job.StudyDir;
        var name = job.Name;
        var skymix = "skymix=(" + string.Join(" ", job.Launcher.Select(Sh)) + ")\n" +
                     "if [ -n \"${SKYMIX:-}\" ]; then read -ra skymix <<< \"$SKYMIX\"; fi   # another launcher on the nodes\n";
        var shardDirs = Enumerable.Range(0, n).Select(i => Path.Combine(study, "shards", i.ToString(CultureInfo.InvariantCulture))).ToList();
        var threads = job.PassThreads ? " --threads \"${SLURM_CPUS_PER_TASK:-0}\"" : "";
        var common = job.SbatchLines;

        Write(Path.Combine(scripts, "simulate.sbatch"),
            $"#!/bin/bash\n" +
            $"# SkyMix study {name}: {job.Realizations} realisations in {n} shards (written by skymix slurm, {job.Version}).\n" +
            $"# Task i runs the realisations ≡ i (mod {n}) into {Path.Combine(study, "shards", "i")}; a killed task resumes when resubmitted.\n" +
            $"#SBATCH --job-name={name}\n#SBATCH --array=0-{n - 1}\n#SBATCH --output={Path.Combine(scripts, "logs", "simulate-%A_%a.log")}\n" +
            string.Concat(common.Select(l => l + "\n")) +
            $"set -euo pipefail\n{skymix}" +
            $"i=\"${{SLURM_ARRAY_TASK_ID:?run this script with sbatch --array or set SLURM_ARRAY_TASK_ID}}\"\n" +
            $"exec \"${{skymix[@]}}\" simulate {string.Join(" ", job.SimulateArgs.Select(Sh))} --shard \"$i/{n}\" --out {Sh(Path.Combine(study, "shards"))}/\"$i\"{threads}\n");
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
    }

    /// <summary>A word quoted for bash.</summary>
    static string Sh(string word) => "'" + word.Replace("'", "'\"'\"'") + "'";

    static void Write(string path, string text)
    {
        Files.WriteText(path, w => w.Write(text));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }
}
