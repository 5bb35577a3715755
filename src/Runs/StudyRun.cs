using System.Diagnostics;
using SkyMix.Gpu;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>
/// A whole study (or one shard of it) in a run folder: realisations one after the other, each saved as soon
/// as it is done (so Ctrl-C or a kill loses at most the one in flight), the ensemble files rewritten after
/// each, and a rerun of the same settings on the same folder resuming where it stopped. Settings that differ
/// from the folder's run.json are refused; one process at a time may write a folder.
/// </summary>
public static class StudyRun
{
    /// <summary>
    /// Runs (or resumes) the study, or one shard of it, in dir. The callback sees progress every ~1e8
    /// particle-steps; cancel stops between chunks and discards the realisation in flight. Returns the
    /// ensemble, or null for a shard (its folder holds realisations only; <see cref="Merge"/> combines them).
    /// </summary>
    public static EnsembleStats? Run(Study study, string dir, DeviceKind device, int threads, Shard shard, string version,
                                     Action<Progress>? progress = null, CancellationToken cancel = default)
    {
        var s = study.Settings;
        if (shard.Count > s.Realizations)
            throw new InputError($"--shard {shard}: {s.Realizations} realisations cannot be split into {shard.Count} shards; use at most {s.Realizations}");
        study.CheckMachine();
        using var pusher = Accelerators.Create(device, threads);   // and a device that is not there
        RunFolder.Create(dir);
        using var lease = RunFolder.Lock(dir);
        if (RunFolder.IsInterruptedMerge(dir))
            throw new InputError($"{dir} holds a merge that was stopped before it finished: rerun the same skymix merge to complete it, or give another --out");
        RunRecord? old = null;
        if (File.Exists(Path.Combine(dir, "run.json")))
        {
            old = RunJson.Open(dir);
            if (RunJson.Difference(old.Study.Settings, s) is string d)
                throw new InputError($"{dir} holds a run with other settings ({d}); use another --out or the same settings to resume");
            if (old.Execution.Shard != shard)
                throw new InputError(old.Execution.Shard.IsWhole
                    ? $"{dir} holds the whole study, not shard {shard}; give another --out"
                    : $"{dir} holds shard {old.Execution.Shard} of this study; resume it with --shard {old.Execution.Shard}");
        }
        RunFolder.CleanInterrupted(dir);
        var threadCount = threads > 0 ? threads : Environment.ProcessorCount;
        var owned = Enumerable.Range(0, s.Realizations).Where(shard.Owns).ToList();
        var finished = RunFolder.Finished(dir).Where(i => i < s.Realizations && shard.Owns(i)).ToHashSet();
        // every finished realisation is read, and so checked, before the run goes on; a shard keeps none in memory
        var results = finished.Order().Select(i => RunFolder.ReadRealization(dir, i, study)).ToList();
        if (!shard.IsWhole) results.Clear();
        // what computed each finished realisation, kept across interruptions and resumes
        var records = (old?.Execution.Realizations ?? Array.Empty<RealizationExecution>()).Where(x => finished.Contains(x.Realization)).ToList();
        var perRealization = (long)study.Pixels * study.StepCounts[^1];
        var todo = owned.Where(i => !finished.Contains(i)).ToList();
        var clock = Stopwatch.StartNew();
        long stepsDone = 0;
        Execution Now() => new(shard, Array.Empty<string>(), finished.Count, records.ToArray());
        RunJson.Write(dir, study, version, Now());
        foreach (var (r, k) in todo.Select((r, k) => (r, k)))
        {
            var started = clock.Elapsed.TotalSeconds;
            var run = Backtrack.Realization(study, pusher, r, done =>
            {
                var total = stepsDone + done;
                var rate = total / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                var fraction = (double)total / (perRealization * todo.Count);
                var remaining = TimeSpan.FromSeconds((perRealization * todo.Count - total) / Math.Max(1.0, rate));
                progress?.Invoke(new Progress(k + 1, todo.Count, fraction, rate, remaining));
            }, cancel);
            stepsDone += perRealization;
            RunFolder.WriteRealization(dir, run.Summary, s.Maps ? run.Maps : null, s.MixingL0);
            var seconds = clock.Elapsed.TotalSeconds - started;
            finished.Add(r);
            records.Add(new RealizationExecution(r, pusher.Device, threadCount, Environment.ProcessorCount, seconds, perRealization / Math.Max(seconds, 1e-9)));
            if (shard.IsWhole)
            {
                results.Add(run.Summary);
                results.Sort((a, b) => a.Index.CompareTo(b.Index));
                RunFolder.WriteEnsemble(dir, Ensemble.ofRealizations(results.ToArray()), results, s.MixingL0);
            }
            // the record says how many realisations the files hold, at every moment a reader may look
            RunJson.Write(dir, study, version, Now());
        }
        EnsembleStats? ensemble = null;
        if (shard.IsWhole)
        {
            ensemble = Ensemble.ofRealizations(results.ToArray());
            RunFolder.WriteEnsemble(dir, ensemble, results, s.MixingL0);
        }
        RunJson.Write(dir, study, version, Now());
        return ensemble;
    }

    /// <summary>
    /// Combines run folders of one study (shards, or partial runs) into <paramref name="dir"/>: checks that
    /// they hold the same settings and seeds, that no realisation appears twice and none is missing, copies
    /// the realisation folders and writes the ensemble files — identical to those of an unsharded run.
    /// </summary>
    public static EnsembleStats Merge(IReadOnlyList<string> parts, string dir, string version)
    {
        if (parts.Count == 0) throw new InputError("merge needs at least one run folder");
        if (parts.GroupBy(Files.Resolve).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InputError($"{twice.First()} is given twice; name each shard once");
        var records = parts.Select(RunJson.Open).ToList();
        var study = records[0].Study;
        var s = study.Settings;
        for (var i = 1; i < parts.Count; i++)
            if (RunJson.Difference(s, records[i].Study.Settings) is string d)
                throw new InputError($"{parts[i]} belongs to another study than {parts[0]} ({d}); merge only shards of one study");
        // after every link is followed: --out may not be, nor lie inside, one of the folders merged
        var target = Files.Resolve(dir);
        foreach (var p in parts)
        {
            var part = Files.Resolve(p);
            if (target == part || target.StartsWith(part + Path.DirectorySeparatorChar))
                throw new InputError($"--out {dir} is {(target == part ? "" : "inside ")}{p}, one of the folders to merge; give a new folder");
        }
        var owner = new Dictionary<int, string>();
        foreach (var p in parts)
            foreach (var i in RunFolder.Finished(p))
            {
                if (i >= s.Realizations) throw new InputError($"{RunFolder.RealizationDir(p, i)}: the study has only {s.Realizations} realisations");
                if (owner.TryGetValue(i, out var other)) throw new InputError($"realisation {i} is in both {other} and {p}; merge each realisation once");
                owner[i] = p;
            }
        var missing = Enumerable.Range(0, s.Realizations).Where(i => !owner.ContainsKey(i)).ToList();
        if (missing.Count > 0)
        {
            var shards = records.Select(r => r.Execution.Shard).Where(x => !x.IsWhole).ToList();
            var hint = shards.Count > 0
                ? $"; shard i/{shards[0].Count} runs the realisations ≡ i (mod {shards[0].Count}): rerun the shards that own them (the same command resumes)"
                : "";
            throw new InputError($"realisation{(missing.Count > 1 ? "s" : "")} {string.Join(",", missing.Take(20))}{(missing.Count > 20 ? ",…" : "")} " +
                                 $"of {s.Realizations} {(missing.Count > 1 ? "are" : "is")} missing from the folders given{hint}");
        }
        // every realisation is read (and so checked) before anything is written
        var results = Enumerable.Range(0, s.Realizations).Select(i => RunFolder.ReadRealization(owner[i], i, study)).ToList();
        RunFolder.Create(dir);
        using var lease = RunFolder.Lock(dir);
        if (File.Exists(Path.Combine(dir, "run.json")) && RunJson.Difference(RunJson.Open(dir).Study.Settings, s) is string diff)
            throw new InputError($"--out {dir} holds a run with other settings ({diff}); give a new folder");
        // until run.json is written, the folder says that it holds an unfinished merge (not a run to fit)
        var marker = Path.Combine(dir, RunFolder.MergeMarker);
        File.WriteAllText(marker, $"skymix merge of {string.Join(" ", parts)} stopped before it finished; rerun it\n");
        RunFolder.CleanInterrupted(dir);
        foreach (var (i, p) in owner.OrderBy(kv => kv.Key)) RunFolder.CopyRealization(p, dir, i);
        var ensemble = Ensemble.ofRealizations(results.ToArray());
        RunFolder.WriteEnsemble(dir, ensemble, results, s.MixingL0);
        // each realisation keeps the record of the process that computed it
        var done = records.Zip(parts)
            .SelectMany(x => x.First.Execution.Realizations.Where(r => owner.TryGetValue(r.Realization, out var from) && from == x.Second))
            .OrderBy(r => r.Realization).ToArray();
        RunJson.Write(dir, study, version, new Execution(Shard.Whole, parts.Select(Path.GetFullPath).ToArray(), s.Realizations, done));
        File.Delete(marker);
        return ensemble;
    }
}
