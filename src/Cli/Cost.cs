using System.Globalization;
using SkyMix.Theory;

namespace SkyMix.Cli;

/// <summary>
/// The time of a theory computation, estimated before it starts from its work (Api.lambdaWork): a warning with
/// the estimate when it is long, a refusal when it could not finish in a day.
/// </summary>
public static class Cost
{
    /// <summary>Seconds per spherical-Bessel evaluation of W's quadrature, measured on the 2-core development
    /// machine (2026-12-07): predict --rho 0.009 --omega-dt 1000 and 2000 spent 2.1 s and 7.7 s on W.</summary>
    const double SecondsPerEvaluation = 5.5e-8;

    const double WarnSeconds = 30, MostSeconds = 86400;

    /// <summary>Refuses, or warns about, a prediction whose W alone takes long; what names it in the message.</summary>
    public static void Check(Api.PredictInput input, string what)
    {
        var seconds = Api.lambdaWork(input) * SecondsPerEvaluation;
        var (_, _, dt) = Api.turbulence(input);
        var g = dt.ToString("G4", CultureInfo.InvariantCulture);
        if (seconds > MostSeconds)
            throw new InputError($"{what}: at ΩΔT = {g} the quadrature of W = ⅔Λ₀ − ⅓Λ₂ alone would take about {seconds / 86400:G2} days on two cores " +
                                 "(its work grows as (ΩΔT)²; the paper's ΩΔT are 10–50): give a smaller ΩΔT");
        if (seconds > WarnSeconds)
            Console.Error.WriteLine($"skymix: warning: {what}: at ΩΔT = {g} the quadrature of W = ⅔Λ₀ − ⅓Λ₂ takes about {Duration(seconds)} on two cores " +
                                    "(its work grows as (ΩΔT)²)");
    }

    static string Duration(double seconds) =>
        seconds < 120 ? $"{seconds:F0} s" : seconds < 7200 ? $"{seconds / 60:F0} min" : $"{seconds / 3600:F1} h";
}
