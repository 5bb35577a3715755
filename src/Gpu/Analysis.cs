using Microsoft.FSharp.Core;
using SkyMix.Io;
using SkyMix.Theory;

namespace SkyMix.Gpu;

/// <summary>How to fit a run folder (physics.md §6).</summary>
public sealed record FitOptions
{
    /// <summary>The paper's truncation at this ℓ_max (absorbing boundary); null: the ℓ_max → ∞ limit of the
    /// mixing equation (zero-flux boundary, ℓ_max raised until C_ℓ/C_1 for ℓ ≤ ℓ_fit converges).</summary>
    public int? Lmax { get; init; }
    /// <summary>Largest multipole fitted; 0 = where the signal-to-noise first drops below 1.</summary>
    public int LFit { get; init; }
    /// <summary>Backtracking time used; 0 = the first output time ≥ 2τ_s^sim (else the last).</summary>
    public double Time { get; init; }
    /// <summary>Points of the logarithmic scan that brackets the χ² minimum.</summary>
    public int Scan { get; init; } = 20;
}

/// <summary>One fit variant: the time and noise estimator it used, and its result.</summary>
public sealed record FitVariant(string What, double Time, OmegaDTFit Fit);

/// <summary>Everything the fit of one run folder yields.</summary>
public sealed record RigidityFit
{
    public required string Dir { get; init; }
    public required RunSettings Settings { get; init; }
    public required double Time { get; init; }
    public required OmegaDTFit Fit { get; init; }
    /// <summary>Jackknife error of ΩΔT over realisations (each refitted without one realisation).</summary>
    public required double JackknifeSigma { get; init; }
    public required double OmegaTauSQlt { get; init; }
    /// <summary>Ωτ_s^sim = 3ΩK_zz(T) at the last output time, and its jackknife error.</summary>
    public required double OmegaTauSSim { get; init; }
    public required double OmegaTauSSimErr { get; init; }
    /// <summary>Refits: at other times, with the eq. 7 noise, with the theory truncated at ℓ_max/2.</summary>
    public required FitVariant[] Variants { get; init; }
    public required Observed Observed { get; init; }
    /// <summary>The theory fitted: its boundary and ℓ_max (the paper's truncation, or the zero-flux limit at the
    /// ℓ_max where it converged).</summary>
    public required Boundary Boundary { get; init; }
    public required int TheoryLmax { get; init; }
    /// <summary>C_ℓ/C_1 of the mixing matrix at the best ΩΔT, ℓ = 0 … ℓ_max.</summary>
    public required double[] Model { get; init; }
    /// <summary>Power-law index of the fitted mixing-matrix C_ℓ over ℓ = 5 … min(30, ℓ_max), when defined.</summary>
    public required FSharpOption<double> ModelIndex { get; init; }
    /// <summary>Dipoles in units of (c/Ω)²|∇f̄/f̄|² at the fit time: ⟨C_1⟩^sub ± err, ⟨C_1⟩^QLT = 4π|⟨Φ⟩|²,
    /// C_1^mat = C_1[S/Ω]·(8π/3)ΩK_zz^QLT, and ⟨cos α⟩ ± err (C_1^mat/⟨cos α⟩² is the paper's rescaling).</summary>
    public required double C1Sub { get; init; }
    public required double C1SubErr { get; init; }
    public required double C1Qlt { get; init; }
    public required double C1Mat { get; init; }
    public required double CosAlpha { get; init; }
    public required double CosAlphaErr { get; init; }
    public required int Realizations { get; init; }
}

/// <summary>The law ΩΔT = a(Ωτ_s)^b across rigidities, for τ_s from QLT and from the simulations.</summary>
public sealed record LawResult(LawFit Qlt, LawFit Simulated, LawFit Free);

/// <summary>
/// The fitting loop of the paper (Secs. 3.2–3.3): reads `skymix simulate` run folders, predicts with the
/// same parameters, fits ΩΔT per rigidity (SkyMix.Theory.Fit, a real optimiser) and the law across
/// rigidities, and collects the dipole analysis.
/// </summary>
public static class Analysis
{
    static Api.PredictInput Input(RunSettings s, Api.Truncation truncation, Accuracy accuracy, double? omegaDT = null) =>
        new(s.Rho, s.Eta, s.Q, s.KMax, truncation, omegaDT is double x ? FSharpOption<double>.Some(x) : FSharpOption<double>.None, Fit.paperA, accuracy);

    /// <summary>The model C_ℓ/C_1(ΩΔT) of a fit: the paper's truncation at --lmax, or the zero-flux spectrum at the
    /// ℓ_max where C_ℓ/C_1 for ℓ ≤ ℓ_fit has converged at the paper's law ΩΔT (it converges as fast elsewhere).</summary>
    static (Boundary Boundary, int Lmax) ModelTruncation(RunSettings s, int? lmax, int lfit)
    {
        if (lmax is int n) return (Boundary.Absorbing, n);
        var goal = Api.ConvergenceGoal.Default.WithLout(Math.Min(lfit, Api.ConvergenceGoal.Default.LmaxLimit / 8));
        var p = Api.predict(Input(s, Api.Truncation.NewConverged(goal), Accuracy.Fitting));
        if (!p.Limit.Value.Converged)
            throw new InputError($"the mixing equation's C_ℓ/C_1 for ℓ ≤ {goal.Lout} did not converge within ℓ_max ≤ {goal.LmaxLimit} at ρ = {s.Rho:G4}; fit with a fixed --lmax");
        return (Boundary.ZeroFlux, p.Lmax);
    }

    static Observed ObservedAt(Ensemble e, int t) => new(e.Ratio[t], e.RatioErr[t]);

    /// <summary>The ensemble of a run with the eq. 7 noise in place of the self-consistent one.</summary>
    static Ensemble WithEq7Noise(IReadOnlyList<RealizationResult> rs) =>
        Ensemble.Of(rs.Select(r => new RealizationResult
        {
            Index = r.Index, Seed = r.Seed, Times = r.Times, Cl = r.Cl, Noise = r.NoiseEq7, NoiseEq7 = r.NoiseEq7,
            Phi = r.Phi, Displacement2 = r.Displacement2, LocalField = r.LocalField, CosAlpha = r.CosAlpha,
        }).ToList());

    /// <summary>The checks a run folder must pass before it is fitted (cheap: run.json and the finished
    /// realisations' names); an <see cref="InputError"/> says what is missing.</summary>
    public static (RunSettings Settings, int[] Finished) Fittable(string dir, FitOptions o)
    {
        var run = RunJson.Open(dir);
        if (!run.Execution.Shard.IsWhole)
            throw new InputError($"{dir} holds shard {run.Execution.Shard} of a study; combine the shards first (skymix merge) and fit the merged folder");
        var finished = RunFolder.Finished(dir);
        if (finished.Length < 2) throw new InputError($"{dir}: {finished.Length} finished realisation(s); fitting needs at least 2 (for errors)");
        var lTop = Math.Min(3 * run.Settings.Nside - 1, o.Lmax ?? int.MaxValue);
        if (o.LFit > lTop)
            throw new InputError($"--lfit {o.LFit} is beyond the spectra of {dir}: ℓ_fit ≤ {(o.Lmax is int n ? $"min(3·Nside − 1 = {3 * run.Settings.Nside - 1}, --lmax {n})" : "3·Nside − 1")} = {lTop}");
        return (run.Settings, finished);
    }

    /// <summary>Fits one run folder.</summary>
    public static RigidityFit FitRun(string dir, FitOptions o)
    {
        var (s, finished) = Fittable(dir, o);
        var rs = finished.Select(i => RunFolder.ReadRealization(dir, i, s)).ToList();
        var e = Ensemble.Of(rs);
        var last = e.Times.Length - 1;
        var tauSim = Qlt.tauOfKzz(e.Kzz(last));
        var tauSimErr = Qlt.tauOfKzz(e.KzzErr(last));
        var t = o.Time > 0
            ? Array.FindIndex(e.Times, x => x >= o.Time * (1 - 1e-9)) is var asked and >= 0 ? asked
                : throw new InputError($"{dir}: no output time ≥ {o.Time}; the run reaches ΩT = {e.Times[last]:G4}")
            : Array.FindIndex(e.Times, x => x >= 2.0 * tauSim) is var first and >= 0 ? first : last;
        var lmaxData = 3 * s.Nside - 1;
        var obs = ObservedAt(e, t);
        var lTop = Math.Min(lmaxData, o.Lmax ?? int.MaxValue);
        var lfit = o.LFit > 0 ? o.LFit : Math.Min(Fit.lFit(obs), lTop);
        var (boundary, lmax) = ModelTruncation(s, o.Lmax, lfit);
        var input = Input(s, Api.Truncation.NewPaper(lmax), Accuracy.Fitting);
        var spectrum = s.Spectrum();
        var tauQlt = Qlt.scatteringTime(spectrum);
        var law = Fit.paperLaw(tauQlt);
        // ΩΔT ≳ 2 (the paper asks ΩΔT ≳ 2π for gyroresonance; a little below it stays meaningful) up to 3× the
        // paper's law
        var (lo, hi) = (2.0, 3.0 * law);
        var cache = new Dictionary<double, double[]>();
        double[] Model(double x)
        {
            if (!cache.TryGetValue(x, out var m)) cache[x] = m = Api.spectrumShape(input, boundary, lmax, x);
            return m;
        }
        var fit = Fit.omegaDT(FuncConvert.FromFunc<double, double[]>(Model), obs, lfit, lo, hi, o.Scan);
        // a fine table around the minimum serves the jackknife and the variants
        var width = Math.Max(4.0 * fit.Sigma, 0.15 * fit.OmegaDT);
        var (tlo, thi) = (Math.Max(lo, fit.OmegaDT - width), Math.Min(hi, fit.OmegaDT + width));
        var table = Fit.tabulate(FuncConvert.FromFunc<double, double[]>(Model),
                                 Enumerable.Range(0, 25).Select(i => tlo + (thi - tlo) * i / 24.0).ToArray());
        OmegaDTFit Refit(Observed ob, int lf) => Fit.omegaDT(table, ob, lf, tlo, thi, 13);
        // delete-one refits: the subset's spectrum, weighted with the full sample's errors
        var leaveOneOut = rs.Select((_, i) =>
            Refit(new Observed(Ensemble.Of(rs.Where((_, k) => k != i).ToList()).Ratio[t], obs.Err), lfit).OmegaDT).ToArray();
        var variants = new List<FitVariant>();
        for (var k = 0; k < e.Times.Length; k++)
            if (k != t && e.Times[k] >= 0.5 * tauSim)
                variants.Add(new FitVariant("time", e.Times[k], Refit(ObservedAt(e, k), Math.Min(lfit, Fit.lFit(ObservedAt(e, k))))));
        variants.Add(new FitVariant("noise eq. 7", e.Times[t], Refit(ObservedAt(WithEq7Noise(rs), t), lfit)));
        // the theory's other truncation: the paper's ℓ_max = 100 beside the limit, or ℓ_max/2 beside a fixed ℓ_max
        var (otherBoundary, other) = o.Lmax is int fixedLmax ? (Boundary.Absorbing, Math.Max(lfit, fixedLmax / 2)) : (Boundary.Absorbing, Math.Max(lfit, 100));
        variants.Add(new FitVariant(o.Lmax is null ? $"theory: paper's truncation l_max = {other}" : $"theory l_max = {other}", e.Times[t],
            Fit.omegaDT(FuncConvert.FromFunc<double, double[]>(x => Api.spectrumShape(input, otherBoundary, other, x)), obs, lfit, lo, hi, o.Scan)));
        var best = Api.predict(Input(s, o.Lmax is int bl ? Api.Truncation.NewPaper(bl)
                                        : Api.Truncation.NewConverged(Api.ConvergenceGoal.Default.WithLout(Math.Min(lfit, Api.ConvergenceGoal.Default.LmaxLimit / 8))),
                                     Accuracy.Default, fit.OmegaDT));
        var (c1, c1Err) = Jackknife.mean(rs.Select(r => r.Cl[t][1] - r.Noise[t]).ToArray());
        return new RigidityFit
        {
            Dir = dir,
            Settings = s,
            Time = e.Times[t],
            Fit = fit,
            JackknifeSigma = Jackknife.error(leaveOneOut),
            OmegaTauSQlt = tauQlt,
            OmegaTauSSim = tauSim,
            OmegaTauSSimErr = tauSimErr,
            Variants = variants.ToArray(),
            Observed = obs,
            Boundary = boundary,
            TheoryLmax = lmax,
            Model = best.Limit is { } lim ? lim.Value.ClOverC1 : best.ClOverC1,
            ModelIndex = best.Index,
            C1Sub = c1,
            C1SubErr = c1Err,
            C1Qlt = e.C1Qlt[t],
            C1Mat = best.Cl[1] * Api.mapUnits(best),
            CosAlpha = e.CosAlpha,
            CosAlphaErr = e.CosAlphaErr,
            Realizations = rs.Count,
        };
    }

    /// <summary>The law ΩΔT = a(Ωτ_s)^{1/3} with τ_s from QLT and from the simulations, and a(Ωτ_s)^b with b free.
    /// Each ΩΔT enters with the larger of its Δχ² = 1 half-width and its jackknife error; fits whose minimum
    /// sits on the edge of the search range (no ΩΔT fits) are left out.</summary>
    public static LawResult? Law(IReadOnlyList<RigidityFit> all)
    {
        var fits = all.Where(f => !f.Fit.AtEdge).ToList();
        if (fits.Select(f => f.OmegaTauSQlt).Distinct().Count() < 2) return null;
        var y = fits.Select(f => f.Fit.OmegaDT).ToArray();
        var sigma = fits.Select(f => Math.Max(Math.Max(f.Fit.Sigma, f.JackknifeSigma), 1e-6 * f.Fit.OmegaDT)).ToArray();
        var qlt = fits.Select(f => f.OmegaTauSQlt).ToArray();
        var sim = fits.Select(f => f.OmegaTauSSim).ToArray();
        return new LawResult(Fit.lawOneThird(qlt, y, sigma), Fit.lawOneThird(sim, y, sigma), Fit.lawFree(qlt, y, sigma));
    }
}
