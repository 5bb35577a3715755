using Microsoft.FSharp.Core;
using SkyMix.CliArgs;
using SkyMix.Runs;
using SkyMix.Theory;

namespace SkyMix.Cli.Commands;

/// <summary>
/// <c>skymix matrix</c>: the theory's pair propagator M = I + 2M^(1a) + M^(1c) (eq. 17) at given ΩΔT, the
/// columns ℓ0 and rows ℓ = 0 … ℓ_max, as CSV (omega_dt,l0,l,m) — the object `simulate --mixing` measures.
/// </summary>
public static class MatrixCommand
{
    public static int Run(Parse.MatrixOptions o)
    {
        Files.CheckWritable(o.Out, "--out");
        var physical = double.IsNaN(o.Rho);
        var rho = physical ? Units.rhoOfInputs(o.RigidityVolts, o.BrmsMicroGauss, o.LcParsec) : o.Rho;
        if (!(rho > 0 && double.IsFinite(rho))) throw new InputError($"ρ must be a positive number, got {rho}");
        Api.PredictInput At(double dt) =>
            new(rho, o.Eta, o.Q, o.KMax ?? Units.kMaxDefault(rho, rho, o.Eta), Api.Truncation.NewPaper(o.Lmax),
                FSharpOption<double>.Some(dt), Defaults.Predict.lawA, Accuracy.Default);
        // every ΩΔT is checked before the first is computed
        foreach (var dt in o.OmegaDT)
        {
            Api.validate(At(dt));
            Cost.Check(At(dt), $"--omega-dt {dt:G4}");
        }
        foreach (var warning in Api.warnings(At(o.OmegaDT[0]))) Console.Error.WriteLine($"skymix: warning: {warning}");
        var m = o.OmegaDT.Select((dt, i) =>
        {
            Console.Error.Write($"matrix ΩΔT = {dt:G4} [{i + 1}/{o.OmegaDT.Length}], ℓ ≤ {o.Lmax}: ");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var columns = Api.propagator(At(dt), dt, o.L0, o.Lmax);
            Console.Error.WriteLine($"{clock.Elapsed.TotalSeconds:F2} s");
            return columns;
        }).ToArray();
        // first order in the generator: a negative element means the expansion has left its range
        for (var t = 0; t < m.Length; t++)
            if (m[t].SelectMany(col => col).Any(v => v < 0))
                Console.Error.WriteLine($"skymix: warning: at ΩΔT = {o.OmegaDT[t]:G4} some M_ℓℓ0 are negative: first order (8πℓ(ℓ+1)W ≪ 1) no longer holds there (docs/validation.md)");
        Files.AllOrNone(() => MixingFiles.WriteTheory(o.Out, o.OmegaDT, o.L0, m));
        return 0;
    }
}
