using SkyMix.Theory;

namespace SkyMix.Gpu;

/// <summary>
/// Ensemble averages over realisations (paper Sec. 3.2–3.3; physics.md §5): ⟨C_ℓ⟩^num, N_ℓ, ⟨C_ℓ⟩^sub and the
/// ratio ⟨C_ℓ⟩^sub/⟨C_1⟩^sub with jackknife errors over realisations, ⟨Δz²⟩ and K_zz(T) = ⟨Δz²⟩/(2T),
/// ⟨C_1⟩^sub, ⟨C_1⟩^QLT = 4π|⟨Φ⟩|² (eq. 57) and ⟨cos α⟩.
/// </summary>
public sealed class Ensemble
{
    public required double[] Times { get; init; }
    /// <summary>[t][ℓ] ⟨C_ℓ⟩^num.</summary>
    public required double[][] ClNum { get; init; }
    /// <summary>[t] the mean self-consistent noise level N (the same for every ℓ).</summary>
    public required double[] Noise { get; init; }
    /// <summary>[t] the mean eq. 7 noise.</summary>
    public required double[] NoiseEq7 { get; init; }
    /// <summary>[t][ℓ] ⟨C_ℓ⟩^sub = ⟨C_ℓ⟩^num − N and its jackknife error.</summary>
    public required double[][] ClSub { get; init; }
    public required double[][] ClSubErr { get; init; }
    /// <summary>[t][ℓ] ⟨C_ℓ⟩^sub/⟨C_1⟩^sub and its jackknife error.</summary>
    public required double[][] Ratio { get; init; }
    public required double[][] RatioErr { get; init; }
    /// <summary>[t] ⟨Δz²⟩ and its jackknife error; K_zz(T) = ⟨Δz²⟩/(2T).</summary>
    public required double[] Dz2 { get; init; }
    public required double[] Dz2Err { get; init; }
    /// <summary>[t] ⟨C_1⟩^QLT = 4π|⟨Φ⟩|².</summary>
    public required double[] C1Qlt { get; init; }
    public required double CosAlpha { get; init; }
    public required double CosAlphaErr { get; init; }
    public required int Count { get; init; }

    public double Kzz(int t) => Dz2[t] / (2.0 * Times[t]);

    /// <summary>The jackknife error of K_zz(T).</summary>
    public double KzzErr(int t) => Dz2Err[t] / (2.0 * Times[t]);

    public static Ensemble Of(IReadOnlyList<RealizationResult> rs)
    {
        if (rs.Count == 0) throw new InvalidOperationException("no finished realisation to average");
        var nt = rs[0].Times.Length;
        var nl = rs[0].Cl[0].Length;
        double[] Across(Func<RealizationResult, double> f) => rs.Select(f).ToArray();
        var clNum = new double[nt][];
        var clSub = new double[nt][];
        var clSubErr = new double[nt][];
        var ratio = new double[nt][];
        var ratioErr = new double[nt][];
        var noise = new double[nt];
        var noise7 = new double[nt];
        var dz2 = new double[nt];
        var dz2Err = new double[nt];
        var c1qlt = new double[nt];
        for (var t = 0; t < nt; t++)
        {
            noise[t] = Across(r => r.Noise[t]).Average();
            noise7[t] = Across(r => r.NoiseEq7[t]).Average();
            (dz2[t], dz2Err[t]) = Jackknife.mean(Across(r => r.Displacement2[t][2]));
            var phi = Enumerable.Range(0, 3).Select(i => Across(r => r.Phi[t][i]).Average()).ToArray();
            c1qlt[t] = Sky.c1OfDipole(phi);
            clNum[t] = new double[nl];
            clSub[t] = new double[nl];
            clSubErr[t] = new double[nl];
            ratio[t] = new double[nl];
            ratioErr[t] = new double[nl];
            var sub1 = Across(r => r.Cl[t][1] - r.Noise[t]);
            for (var l = 0; l < nl; l++)
            {
                clNum[t][l] = Across(r => r.Cl[t][l]).Average();
                var sub = Across(r => r.Cl[t][l] - r.Noise[t]);
                (clSub[t][l], clSubErr[t][l]) = Jackknife.mean(sub);
                (ratio[t][l], ratioErr[t][l]) = Jackknife.ratio(sub, sub1);
            }
        }
        var (ca, caErr) = Jackknife.mean(Across(r => r.CosAlpha));
        return new Ensemble
        {
            Times = rs[0].Times, ClNum = clNum, Noise = noise, NoiseEq7 = noise7, ClSub = clSub, ClSubErr = clSubErr,
            Ratio = ratio, RatioErr = ratioErr, Dz2 = dz2, Dz2Err = dz2Err, C1Qlt = c1qlt, CosAlpha = ca, CosAlphaErr = caErr,
            Count = rs.Count,
        };
    }
}
