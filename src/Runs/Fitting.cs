using Microsoft.FSharp.Core;
using SkyMix.Theory;

namespace SkyMix.Runs;

/// <summary>A run folder fitted: where it is, its study, and the fit (SkyMix.Theory.FitRun).</summary>
public sealed record FolderFit(string Dir, Study Study, FitRun.RunFit Fit);

/// <summary>
/// Reads `skymix simulate` run folders and fits them with the theory library's protocol
/// (<see cref="FitRun.fit"/>); the checks a folder must pass come first and are cheap.
/// </summary>
public static class Fitting
{
    /// <summary>The request of a fit: the paper's truncation at lmax (null: the ℓ_max → ∞ limit), ℓ_fit (0: the
    /// protocol's) and the time (0: the protocol's).</summary>
    public static FitRun.Request Request(int? lmax, int lfit, double time) => new(
        lmax is int n ? FSharpOption<int>.Some(n) : FSharpOption<int>.None,
        lfit > 0 ? FSharpOption<int>.Some(lfit) : FSharpOption<int>.None,
        time > 0 ? FSharpOption<double>.Some(time) : FSharpOption<double>.None);

    /// <summary>The checks a run folder must pass before it is fitted (run.json and the finished realisations'
    /// names); an <see cref="InputError"/> says what is missing. A run with unfinished realisations (an interrupted
    /// simulate) is refused unless <paramref name="allowPartial"/>; the caller warns when it is fitted.</summary>
    public static (Study Study, int[] Finished) Fittable(string dir, FitRun.Request request, bool allowPartial = false)
    {
        var run = RunJson.Open(dir);
        if (!run.Execution.Shard.IsWhole)
            throw new InputError($"{dir} holds shard {run.Execution.Shard} of a study; combine the shards first (skymix merge) and fit the merged folder");
        var finished = RunFolder.Finished(dir);
        if (finished.Length < 2) throw new InputError($"{dir}: {finished.Length} finished realisation(s); fitting needs at least 2 (for errors)");
        if (finished.Length < run.Study.Settings.Realizations && !allowPartial)
            throw new InputError($"{dir} holds {finished.Length} of its {run.Study.Settings.Realizations} realisations (an interrupted run): " +
                                 "finish it with the same simulate command (it resumes), or fit what is there with --allow-partial");
        var nside = run.Study.Settings.Nside;
        FitRun.checkResolution(nside, request.Lmax);
        var lTop = FitRun.lTop(nside, request.Lmax);
        if (request.LFit is { } lf && lf.Value > lTop)
            throw new InputError($"--lfit {lf.Value} is beyond the spectra of {dir}: ℓ_fit ≤ {(request.Lmax is { } n ? $"min(3·Nside − 1 = {3 * nside - 1}, --lmax {n.Value})" : "3·Nside − 1")} = {lTop}");
        return (run.Study, finished);
    }

    /// <summary>The realisations of a run folder (every finished one, in order).</summary>
    public static Realization[] Realizations(string dir, Study study) =>
        RunFolder.Finished(dir).Select(i => RunFolder.ReadRealization(dir, i, study)).ToArray();

    /// <summary>The theory inputs of a study (ΩΔT, truncation and accuracy as the protocol sets them).</summary>
    static Api.PredictInput Input(Study study) =>
        new(study.Settings.Rho, study.Settings.Eta, study.Settings.Q, study.Settings.KMax, Api.Truncation.NewPaper(FitRun.Protocol.Default.PaperLmax),
            FSharpOption<double>.None, Defaults.Predict.lawA, Accuracy.Default);

    /// <summary>Fits one run folder (with unfinished realisations only when <paramref name="allowPartial"/>).</summary>
    public static FolderFit Fit(string dir, FitRun.Request request, bool allowPartial = false)
    {
        var (study, _) = Fittable(dir, request, allowPartial);
        try
        {
            return new FolderFit(dir, study, FitRun.fit(FitRun.Protocol.Default, Input(study), study.Settings.Nside, request, Realizations(dir, study)));
        }
        catch (InputError e) { throw new InputError($"{dir}: {e.Message}"); }
    }

    /// <summary>The law across fitted folders (null with fewer than two interior fits).</summary>
    public static FitRun.Law? Law(IReadOnlyList<FolderFit> fits) =>
        FitRun.law(fits.Select(f => f.Fit).ToArray()) is { } law ? law.Value : null;
}
