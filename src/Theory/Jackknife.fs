namespace SkyMix.Theory

open System

/// Ensemble statistics over independent realisations (docs/physics.md §7: the scatter between realisations
/// dominates the error of ensemble spectra, so errors come from a jackknife over realisations).
[<RequireQualifiedAccess>]
module Jackknife =

    /// The jackknife error of a quantity from its delete-one values θ₍ᵢ₎: √((n−1)/n Σ (θ₍ᵢ₎ − θ̄)²); 0 for n < 2.
    let error (leaveOneOut: float[]) =
        let n = float leaveOneOut.Length
        if leaveOneOut.Length < 2 then 0.0
        else
            let m = Array.average leaveOneOut
            sqrt ((n - 1.0) / n * (leaveOneOut |> Array.sumBy (fun t -> (t - m) * (t - m))))

    /// Mean of xs and its delete-one jackknife error (= the standard error for a mean). With one
    /// realisation the error is 0.
    let mean (xs: float[]) : float * float =
        let n = xs.Length
        if n = 0 then inputError "a jackknife needs at least one realisation"
        let total = Array.sum xs
        Array.average xs, (if n = 1 then 0.0 else error (xs |> Array.map (fun x -> (total - x) / float (n - 1))))

    /// Ratio of means Σx/Σy and its delete-one jackknife error.
    let ratio (xs: float[]) (ys: float[]) : float * float =
        let n = xs.Length
        if n = 0 || ys.Length <> n then inputError "a jackknife ratio needs two equally long, non-empty samples"
        let sx, sy = Array.sum xs, Array.sum ys
        sx / sy, (if n = 1 then 0.0 else error (Array.init n (fun i -> (sx - xs.[i]) / (sy - ys.[i]))))
