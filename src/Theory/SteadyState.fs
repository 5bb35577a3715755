namespace SkyMix.Theory

open System
open MathNet.Numerics.LinearAlgebra

/// What the truncated mixing equation does with the power that the generator G = 2M^(1a) + M^(1c) sends
/// from ℓ0 ≤ ℓmax to multipoles above ℓmax.
type Boundary =
    /// The paper's truncation (Sec. 2.2.3): that power is lost. The steady state then grows slowly and
    /// without visible end as ℓmax rises (C_2/C_1 ∝ ℓmax^0.1 up to ℓmax = 4000 at the paper's settings).
    | Absorbing
    /// No net flux through ℓmax: that power is returned at ℓmax, so that Σ_{ℓ=0}^{ℓmax} (2ℓ+1) G_ℓℓ0 = 0
    /// holds exactly and the only sink is the monopole. The large-ℓ transport of power in ℓ is recurrent
    /// (docs/physics.md, "Convergence in ℓ_max"): no power escapes to ℓ = ∞, so this is the boundary of the
    /// infinite system; the steady state converges as ℓmax^−(1+q) (the change shrinks by ~0.16 per doubling).
    | ZeroFlux

/// Where the dipole power injected by the gradient (eq. 20's source) goes in a steady state, in units of
/// S: Injected = 3ΩΔT = Drain + Escaped.
type PowerBudget =
    { /// (2ℓ+1)·source at ℓ = 1: 3ΩΔT
      Injected: float
      /// power fed into the monopole, which has no steady state: Σ_ℓ0 M^(1c)_{0ℓ0} C_ℓ0
      Drain: float
      /// power sent beyond ℓmax: Σ_ℓ0 C_ℓ0 Σ_{ℓ>ℓmax} (2ℓ+1) G_ℓℓ0 = −Σ_ℓ0 C_ℓ0 Σ_{ℓ≤ℓmax} (2ℓ+1) G_ℓℓ0 (sum rule);
      /// zero for the zero-flux boundary
      Escaped: float }

/// The steady state of the mixing equation (eq. 20), its time dependence (eq. 19) and its shape.
[<RequireQualifiedAccess>]
module SteadyState =

    /// −Σ_{ℓ=0}^{lmax} (2ℓ+1) G_ℓℓ0 for ℓ0 = 0 … lmax: the power per unit C_ℓ0 that the truncated generator
    /// sends above lmax (by the sum rule of total sky power).
    let private leaving (m1aDiag: float[]) (m1c: float[,]) =
        Mixing.sumRule m1aDiag m1c |> Array.map (fun s -> -s)

    /// −G on ℓ = 1 … lmax (row/column i ↔ ℓ = i + 1) with the boundary applied.
    let private system (boundary: Boundary) (m1aDiag: float[]) (m1c: float[,]) =
        let n = m1aDiag.Length - 1
        let a = Matrix<float>.Build.Dense(n, n, fun i j -> -((if i = j then 2.0 * m1aDiag.[i + 1] else 0.0) + m1c.[i + 1, j + 1]))
        match boundary with
        | Absorbing -> ()
        | ZeroFlux ->
            let out = leaving m1aDiag m1c
            for j in 0 .. n - 1 do a.[n - 1, j] <- a.[n - 1, j] - out.[j + 1] / float (2 * n + 1)
        a

    /// The steady state of eq. 20 on ℓ = 1 … lmax: −G C = ΩΔT e₁ with G = 2M^(1a) + M^(1c) truncated at
    /// lmax = m1aDiag.Length − 1 with the given boundary, i.e. C_ℓ in units of S/Ω with
    /// S = (8π/3) K_zz (∂_z f̄/f̄)². Returns C_ℓ for ℓ = 0 … lmax with C_0 = 0 (the monopole is driven and has
    /// no steady state). Dense LU (MathNet), O(lmax³).
    let solve (boundary: Boundary) (m1aDiag: float[]) (m1c: float[,]) (omegaDT: float) : float[] =
        let n = m1aDiag.Length - 1
        let b = Vector<float>.Build.Dense(n)
        b.[0] <- omegaDT
        let c = (system boundary m1aDiag m1c).Solve b
        Array.init (n + 1) (fun l -> if l = 0 then 0.0 else c.[l - 1])

    /// Where the injected power goes in the steady state `cl` of the truncated generator.
    let budget (boundary: Boundary) (m1aDiag: float[]) (m1c: float[,]) (cl: float[]) (omegaDT: float) : PowerBudget =
        let lmax = m1aDiag.Length - 1
        let drain = Seq.sum [ for l0 in 1 .. lmax -> m1c.[0, l0] * cl.[l0] ]
        let escaped =
            match boundary with
            | ZeroFlux -> 0.0
            | Absorbing ->
                let out = leaving m1aDiag m1c
                Seq.sum [ for l0 in 1 .. lmax -> out.[l0] * cl.[l0] ]
        { Injected = 3.0 * omegaDT; Drain = drain; Escaped = escaped }

    /// e^A for a square matrix: scaling and squaring with a Taylor series (‖A/2^s‖₁ ≤ ½, 24 terms).
    let private expm (a: Matrix<float>) =
        let norm = a.L1Norm()
        let s = if norm <= 0.5 then 0 else int (ceil (Math.Log2(norm / 0.5)))
        let b = a / Math.Pow(2.0, float s)
        let n = a.RowCount
        let mutable term = Matrix<float>.Build.DenseIdentity n
        let mutable sum = Matrix<float>.Build.DenseIdentity n
        for k in 1 .. 24 do
            term <- term * b / float k
            sum <- sum + term
        for _ in 1 .. s do sum <- sum * sum
        sum

    /// Time dependence (eq. 19): C_ℓ(nΔT), n = 0 … steps, on ℓ = 1 … lmax (units S/Ω), from a dipole-only
    /// start C_1(0) = c1 (e.g. the QLT dipole 4πK_zz²(∂_z f̄/f̄)² = (3/2)ΩK_zz S/Ω).
    ///
    /// Eq. 19 iterated literally, C ← M C + ΩΔT e₁, diverges: M = I + 2M^(1a) + M^(1c) is a first-order
    /// expansion in ΔT and has eigenvalues far outside the unit circle at large ℓ (spectral radius ~6e3
    /// for ρ = 8.9e-3, ℓmax = 100; tests). We therefore integrate the equation that eq. 18 is the first-order
    /// step of, dC/dt = G C + e₁ with G = (2M^(1a) + M^(1c))/ΔT (truncated with the given boundary): its
    /// steady state is exactly `solve`, to which it relaxes. Step by step: C(t+ΔT) = P C(t) + G⁻¹(P − I) e₁
    /// with P = e^{GΔT}.
    let evolve (boundary: Boundary) (m1aDiag: float[]) (m1c: float[,]) (omegaDT: float) (c1: float) (steps: int) : float[][] =
        let n = m1aDiag.Length - 1
        let g = -(system boundary m1aDiag m1c) / omegaDT
        let p = expm (g * omegaDT)
        let e1 = Vector<float>.Build.Dense(n)
        e1.[0] <- 1.0
        let drive = g.Solve((p - Matrix<float>.Build.DenseIdentity n) * e1)
        let states = Array.zeroCreate (steps + 1)
        let mutable c = Vector<float>.Build.Dense(n)
        c.[0] <- c1
        for k in 0 .. steps do
            if k > 0 then c <- p * c + drive
            states.[k] <- Array.init (n + 1) (fun l -> if l = 0 then 0.0 else c.[l - 1])
        states

    /// Least-squares power law C_ℓ ≈ c ℓ^index over ℓ = lo … hi (all C_ℓ must be positive): (index, c).
    let powerLaw (cl: float[]) (lo: int) (hi: int) : float * float =
        if lo < 1 || hi >= cl.Length || hi - lo < 1 then
            inputError $"a power-law fit needs 1 ≤ ℓ_lo < ℓ_hi ≤ {cl.Length - 1}, got {lo} … {hi}"
        match [ lo .. hi ] |> List.tryFind (fun l -> not (cl.[l] > 0.0)) with
        | Some l -> inputError $"C_{l} = {cl.[l]:G4} is not positive; no power law can be fitted over ℓ = {lo} … {hi}"
        | None -> ()
        let xs = [| for l in lo .. hi -> log (float l) |]
        let ys = [| for l in lo .. hi -> log cl.[l] |]
        let mx, my = Array.average xs, Array.average ys
        let sxy = Array.fold2 (fun a x y -> a + (x - mx) * (y - my)) 0.0 xs ys
        let sxx = xs |> Array.sumBy (fun x -> (x - mx) * (x - mx))
        let index = sxy / sxx
        index, exp (my - index * mx)

    /// The spectrum continued beyond its ℓmax to lTo by a power law fitted to its tail (the paper's
    /// extrapolation, Sec. 2.2.3). The fit uses ℓ ∈ [ℓmax/4, ℓmax/2]: above ℓmax/2 the truncation bends the
    /// spectrum down (power leaves through ℓ > ℓmax), which a power law must not follow.
    let extend (cl: float[]) (lTo: int) : float[] =
        let lmax = cl.Length - 1
        if lmax < 8 then inputError $"extending a spectrum needs ℓmax ≥ 8, got {lmax}"
        let index, c = powerLaw cl (lmax / 4) (lmax / 2)
        Array.init (max (lTo + 1) cl.Length) (fun l -> if l <= lmax then cl.[l] else c * float l ** index)

/// A limit estimated from a sequence, with its error.
type Limit = { Value: float; Error: float }

/// Limits of sequences computed at doubling ℓmax.
[<RequireQualifiedAccess>]
module Convergence =

    /// The largest ratio of successive differences accepted as convergence: the differences must shrink
    /// at least by this factor per doubling of ℓmax.
    let maxRatio = 0.7

    /// The limit of v_0, v_1, …, v_n (values at ℓmax doubling from one to the next) when the last
    /// differences d = v_n − v_{n−1} and d' = v_{n−1} − v_{n−2} shrink geometrically, d = ρd' with
    /// |ρ| ≤ maxRatio: Aitken's Δ² limit v_n + dρ/(1 − ρ), with the size of that correction as the error
    /// (and the previous Aitken estimate's distance from it, when there is one). A law v(L) = v∞ + aL^−γ
    /// gives ρ = 2^−γ, and Aitken is then exact. None when there are fewer than three values or the
    /// differences do not shrink fast enough (e.g. grow, as the absorbing truncation's do): no limit is
    /// invented. Two differences both below 1e-14|v_n| count as converged with that error.
    let limitOf (v: float[]) : Limit option =
        let n = v.Length - 1
        if n < 2 || Array.exists (fun x -> not (Double.IsFinite x)) v then None
        else
            let aitken k =
                let d, d' = v.[k] - v.[k - 1], v.[k - 1] - v.[k - 2]
                if abs d <= 1e-14 * abs v.[k] && abs d' <= 1e-14 * abs v.[k] then Some(v.[k], 1e-14 * abs v.[k])
                elif d' = 0.0 || abs (d / d') > maxRatio then None
                else
                    let rho = d / d'
                    let corr = d * rho / (1.0 - rho)
                    Some(v.[k] + corr, abs corr)
            match aitken n with
            | None -> None
            | Some(value, err) ->
                // with four values or more, the previous Aitken estimate's distance; where that one was refused,
                // the last difference itself (never nothing)
                let spread =
                    if n >= 3 then (match aitken (n - 1) with Some(v1, _) -> abs (v1 - value) | None -> abs (v.[n] - v.[n - 1]))
                    else 0.0
                Some { Value = value; Error = max err spread }
