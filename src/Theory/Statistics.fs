namespace SkyMix.Theory

open System

/// Ensemble statistics over independent realisations (physics.md §5: the scatter between realisations
/// dominates the error of ensemble spectra, so errors come from a jackknife over realisations).
[<RequireQualifiedAccess>]
module Jackknife =

    /// Mean of xs and its delete-one jackknife error √((n−1)/n Σ (x̄₍ᵢ₎ − x̄)²) (= the standard error for a mean).
    /// With one realisation the error is 0.
    let mean (xs: float[]) : float * float =
        let n = xs.Length
        if n = 0 then inputError "a jackknife needs at least one realisation"
        let m = Array.average xs
        if n = 1 then m, 0.0
        else
            let total = Array.sum xs
            let sq = xs |> Array.sumBy (fun x -> let d = (total - x) / float (n - 1) - m in d * d)
            m, sqrt (float (n - 1) / float n * sq)

    /// Ratio of means Σx/Σy and its delete-one jackknife error.
    let ratio (xs: float[]) (ys: float[]) : float * float =
        let n = xs.Length
        if n = 0 || ys.Length <> n then inputError "a jackknife ratio needs two equally long, non-empty samples"
        let sx, sy = Array.sum xs, Array.sum ys
        let r = sx / sy
        if n = 1 then r, 0.0
        else
            let parts = Array.init n (fun i -> (sx - xs.[i]) / (sy - ys.[i]))
            let pm = Array.average parts
            r, sqrt (float (n - 1) / float n * (parts |> Array.sumBy (fun p -> (p - pm) * (p - pm))))
