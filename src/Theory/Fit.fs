namespace SkyMix.Theory

open System
open MathNet.Numerics
open MathNet.Numerics.Optimization

/// A measured spectrum shape: ratio_ℓ = ⟨C_ℓ⟩^sub/⟨C_1⟩^sub and its 1σ error, ℓ = 0 … L.
type Observed = { Ratio: float[]; Err: float[] }

/// The best-fitting ΩΔT of one rigidity (paper Sec. 3.2; docs/physics.md §8).
type OmegaDTFit =
    { /// ΩΔT at the χ² minimum
      OmegaDT: float
      /// the Δχ² = 1 interval [Lower, Upper]
      Lower: float
      Upper: float
      /// the Δχ² = 1 level is not reached inside the search range on that side: the bound is the range's
      /// edge, and the true one lies beyond it
      LowerOpen: bool
      UpperOpen: bool
      /// χ² at the minimum and its degrees of freedom (ℓ_fit − 2)
      ChiSquare: float
      Dof: int
      /// the multipoles fitted: ℓ = 2 … LFit
      LFit: int
      /// the minimum lies on the edge of the search range: no interior ΩΔT fits, the interval is open
      AtEdge: bool }

    member f.ReducedChiSquare = if f.Dof > 0 then f.ChiSquare / float f.Dof else nan
    member f.Sigma = 0.5 * (f.Upper - f.Lower)

/// A law y = a x^b fitted to points (x_i, y_i ± σ_i).
type LawFit =
    { A: float
      AErr: float
      Exponent: float
      /// 0 when the exponent was held fixed
      ExponentErr: float
      ChiSquare: float
      Dof: int }

/// Fitting the mixing-matrix spectrum to simulated ones (paper Secs. 3.2–3.3, eq. 51; docs/physics.md §8).
[<RequireQualifiedAccess>]
module Fit =

    /// The paper's constant of eq. 51, ΩΔT ≈ a(Ωτ_s)^{1/3} with a ≈ 4.
    let paperA = 4.0

    /// The paper's law ΩΔT = 4(Ωτ_s)^{1/3} (eq. 51).
    let paperLaw (omegaTauS: float) = paperA * omegaTauS ** (1.0 / 3.0)

    /// ℓ_fit: the largest ℓ ≥ 2 such that every ℓ' = 2 … ℓ has signal-to-noise ratio/err ≥ 1 (at least 3,
    /// so that one degree of freedom remains).
    let lFit (obs: Observed) : int =
        let top = obs.Ratio.Length - 1
        let mutable l = 2
        while l + 1 <= top && obs.Err.[l + 1] > 0.0 && obs.Ratio.[l + 1] / obs.Err.[l + 1] >= 1.0 do l <- l + 1
        max 3 (min l top)

    /// χ² = Σ_{ℓ=2}^{ℓfit} ((data − model)/err)².
    let private chiSquare (model: float[]) (obs: Observed) (lfit: int) =
        let mutable s = 0.0
        for l in 2 .. lfit do
            let d = (obs.Ratio.[l] - model.[l]) / obs.Err.[l]
            s <- s + d * d
        s

    /// ΩΔT in [lo, hi] that minimises χ² between the observed ratio and model ΩΔT (C_ℓ/C_1, ℓ = 0 … ≥ lfit).
    /// The χ² of the mixing matrix oscillates with ΩΔT (gyration phase), so a logarithmic scan of `scan`
    /// points brackets the global minimum first; MathNet's Nelder–Mead minimiser then locates it, and
    /// MathNet's Brent root finder the Δχ² = 1 end points (clipped to [lo, hi]). A minimum on the edge of the
    /// range is returned there, with Lower or Upper equal to the edge.
    let omegaDT (model: float -> float[]) (obs: Observed) (lfit: int) (lo: float) (hi: float) (scan: int) : OmegaDTFit =
        if not (lo > 0.0 && hi > lo) then inputError $"the ΩΔT search range must satisfy 0 < lo < hi, got [{lo}, {hi}]"
        if lfit < 3 || lfit >= obs.Ratio.Length then inputError $"ℓ_fit must lie in 3 … {obs.Ratio.Length - 1}, got {lfit}"
        match [ 2 .. lfit ] |> List.tryFind (fun l -> not (obs.Err.[l] > 0.0 && Double.IsFinite obs.Ratio.[l])) with
        | Some l -> inputError $"the observed C_{l}/C_1 has no positive error; cannot fit"
        | None -> ()
        let chi x = chiSquare (model x) obs lfit
        let grid = Array.init scan (fun i -> lo * (hi / lo) ** (float i / float (scan - 1)))
        let values = grid |> Array.map chi
        let best = Array.IndexOf(values, Array.min values)
        let a, b = grid.[max 0 (best - 1)], grid.[min (scan - 1) (best + 1)]
        // MathNet's Nelder–Mead simplex refines the best scan point; it stays inside [lo, hi] (clamped
        // argument, quadratic penalty outside). A minimum on the edge of the range is returned there.
        let inside (x: float) = min hi (max lo x)
        let objective =
            ObjectiveFunction.Value(fun (v: LinearAlgebra.Vector<float>) ->
                let x = v.[0]
                chi (inside x) + 1e6 * (x - inside x) * (x - inside x))
        let start = LinearAlgebra.Vector<float>.Build.Dense([| grid.[best] |])
        let step = LinearAlgebra.Vector<float>.Build.Dense([| 0.5 * (b - a) / 2.0 + 1e-9 |])
        let x0 = inside (NelderMeadSimplex(1e-10, 500).FindMinimum(objective, start, step).MinimizingPoint.[0])
        let c0 = chi x0
        let x0, c0 = if values.[best] < c0 then grid.[best], values.[best] else x0, c0
        let target x = chi x - c0 - 1.0
        // walk outwards in small geometric steps until Δχ² > 1, then bracket the crossing with Brent
        let edge (dir: float) (limit: float) =
            let mutable inner = x0
            let mutable outer = x0
            let mutable crossed = false
            let factor = (hi / lo) ** (dir / float (4 * scan))
            while not crossed && (dir > 0.0 && outer < limit || dir < 0.0 && outer > limit) do
                inner <- outer
                outer <- if dir > 0.0 then min limit (outer * factor) else max limit (outer * factor)
                crossed <- target outer > 0.0
            if crossed then RootFinding.Brent.FindRoot((fun x -> target x), min inner outer, max inner outer, 1e-8, 200), false
            else limit, true
        let lower, lowerOpen = edge -1.0 lo
        let upper, upperOpen = edge 1.0 hi
        { OmegaDT = x0
          Lower = lower
          Upper = upper
          LowerOpen = lowerOpen
          UpperOpen = upperOpen
          ChiSquare = c0
          Dof = lfit - 2
          LFit = lfit
          AtEdge = x0 <= lo * (1.0 + 1e-6) || x0 >= hi * (1.0 - 1e-6) }

    /// The model C_ℓ/C_1 tabulated at the nodes xs (ascending) and interpolated by natural cubic splines
    /// in ΩΔT for each ℓ: cheap evaluations for jackknife and coverage studies.
    let tabulate (model: float -> float[]) (xs: float[]) : float -> float[] =
        let ys = xs |> Array.map model
        let nl = ys.[0].Length
        let splines = Array.init nl (fun l -> Interpolation.CubicSpline.InterpolateNatural(xs, ys |> Array.map (fun y -> y.[l])))
        fun x -> Array.init nl (fun l -> splines.[l].Interpolate x)

    /// y = a x^(1/3) by weighted least squares (eq. 51): a = Σ w x^{1/3} y / Σ w x^{2/3}, w = 1/σ².
    let lawOneThird (x: float[]) (y: float[]) (sigma: float[]) : LawFit =
        if x.Length < 1 || y.Length <> x.Length || sigma.Length <> x.Length then inputError "the law fit needs equally many x, y and σ"
        let u = x |> Array.map (fun v -> v ** (1.0 / 3.0))
        let w = sigma |> Array.map (fun s -> 1.0 / (s * s))
        let suu = Array.fold2 (fun acc wi ui -> acc + wi * ui * ui) 0.0 w u
        let suy = Array.map3 (fun wi ui yi -> wi * ui * yi) w u y |> Array.sum
        let a = suy / suu
        let chi = Array.map3 (fun ui yi si -> ((yi - a * ui) / si) ** 2.0) u y sigma |> Array.sum
        { A = a; AErr = 1.0 / sqrt suu; Exponent = 1.0 / 3.0; ExponentErr = 0.0; ChiSquare = chi; Dof = x.Length - 1 }

    /// y = a x^b with both free: weighted linear least squares of ln y = ln a + b ln x, σ_ln y = σ/y.
    let lawFree (x: float[]) (y: float[]) (sigma: float[]) : LawFit =
        if x.Length < 2 then inputError "a free exponent needs at least two points"
        let lx = x |> Array.map log
        let ly = y |> Array.map log
        let w = Array.map2 (fun (s: float) (v: float) -> (v / s) ** 2.0) sigma y
        let sw = Array.sum w
        let sx = Array.fold2 (fun acc wi xi -> acc + wi * xi) 0.0 w lx
        let sy = Array.fold2 (fun acc wi yi -> acc + wi * yi) 0.0 w ly
        let sxx = Array.fold2 (fun acc wi xi -> acc + wi * xi * xi) 0.0 w lx
        let sxy = Array.map3 (fun wi xi yi -> wi * xi * yi) w lx ly |> Array.sum
        let det = sw * sxx - sx * sx
        let b = (sw * sxy - sx * sy) / det
        let lnA = (sxx * sy - sx * sxy) / det
        let chi = Array.map3 (fun wi xi yi -> wi * (yi - lnA - b * xi) ** 2.0) w lx ly |> Array.sum
        { A = exp lnA; AErr = exp lnA * sqrt (sxx / det); Exponent = b; ExponentErr = sqrt (sw / det); ChiSquare = chi; Dof = x.Length - 2 }
