/// A second, slower implementation of κ's band and M^(1c) for cross-checks (not the code SkyMix shipped
/// before; it shares the k nodes of Kappa.quadrature and the band assumption |ℓA − ℓB| ≤ 2, so it checks the
/// ℓ recurrence and the closed-form m sums, not the k quadrature): c_ℓ + i s_ℓ by Gauss–Legendre quadrature in μ of
/// ½(−i)^ℓ ∫₋₁¹ P_ℓ(μ) E(1 + kμ) dμ on the k nodes of Kappa.quadrature, and the m sums of eq. 47 summed
/// term by term over the 3j families (ℓA ℓ ℓ0; 0 m −m). O(ℓ³) and O(ℓ⁴): for ℓ ≲ 200.
module SkyMix.Independent.SlowMixing

open System
open SkyMix.Theory

/// I_ℓ(k) = ½(−i)^ℓ Σ_j w_j P_ℓ(μ_j) E(1 + kμ_j) on a rule of nMu nodes, ℓ = 0 … lmax; E(x) = (e^{ixT} − 1)/(ix).
let private integrals (t: float) (k: float) (mu: float[]) (w: float[]) (lmax: int) =
    let re, im = Array.zeroCreate (lmax + 1), Array.zeroCreate (lmax + 1)
    for j in 0 .. mu.Length - 1 do
        let x = 1.0 + k * mu.[j]
        let er, ei =
            if abs (x * t) < 1e-8 then 0.5 * w.[j] * t, 0.0
            else 0.5 * w.[j] * sin (x * t) / x, 0.5 * w.[j] * (1.0 - cos (x * t)) / x
        let p = Legendre.p lmax mu.[j]
        for l in 0 .. lmax do
            re.[l] <- re.[l] + p.[l] * er
            im.[l] <- im.[l] + p.[l] * ei
    Array.init (lmax + 1) (fun l ->
        let r, i = re.[l], im.[l]
        match l % 4 with
        | 0 -> r, i
        | 1 -> i, -r
        | 2 -> -r, -i
        | _ -> -i, r)

/// The ΔT → ∞ limit i^ℓ[πP_ℓ(1/k) + 2iQ_ℓ(1/k)]/(2k).
let private limit (k: float) (lmax: int) =
    let p, q = Legendre.p lmax (1.0 / k), Legendre.q lmax (1.0 / k)
    Array.init (lmax + 1) (fun l ->
        let x, y = Math.PI * p.[l] / (2.0 * k), q.[l] / k
        match l % 4 with
        | 0 -> x, y
        | 1 -> -y, x
        | 2 -> -x, -y
        | _ -> y, -x)

/// κ_{A,A} and κ_{A,A+2}, A ≤ lmaxKappa, with c_ℓ + i s_ℓ from the μ quadrature (nodes enough for P_ℓ E
/// up to ℓ = lmaxKappa and k = the break) on the same k nodes, limit and end-point term as Kappa.band.
let band (s: Spectrum) (acc: Accuracy) (omegaDT: float) (lmaxKappa: int) : KappaBand =
    let q = Kappa.quadrature s acc omegaDT lmaxKappa
    let mu, w = GaussLegendre.rule (lmaxKappa / 2 + int (ceil (q.Break * omegaDT)) + 40)
    let n = lmaxKappa + 1
    let diag, next = Array.zeroCreate n, Array.zeroCreate (n - 2)
    let add (wt: float) (v: (float * float)[]) =
        for a in 0 .. n - 1 do
            let r, i = v.[a]
            diag.[a] <- diag.[a] + wt * (r * r + i * i)
        for a in 0 .. n - 3 do
            let r, i = v.[a]
            let r2, i2 = v.[a + 2]
            next.[a] <- next.[a] + wt * (r * r2 + i * i2)
    for i in 0 .. q.Main.Length - 1 do add q.MainWeight.[i] (integrals omegaDT q.Main.[i] mu w lmaxKappa)
    for i in 0 .. q.Limit.Length - 1 do add q.LimitWeight.[i] (limit q.Limit.[i] lmaxKappa)
    { Diagonal = diag |> Array.map (fun v -> v + 0.25 * q.EndPoint)
      Next = next |> Array.map (fun v -> v - 0.25 * q.EndPoint) }

/// M^(1c)_{ℓℓ0}, ℓ, ℓ0 ≤ lmax (eq. 47) with S_AB = Σ_m (2ℓ0(ℓ0+1) − 2m²)(A ℓ ℓ0; 0 m −m)(B ℓ ℓ0; 0 m −m)
/// summed over every m from the 3j families, for |A − B| ≤ 2 (the only terms the m sum leaves).
let m1c (kappa: KappaBand) (lmax: int) : float[,] =
    Array2D.init (lmax + 1) (lmax + 1) (fun l l0 ->
        let amin, w0 = Wigner3j.family l l0 0 0
        let families = [| for m in -(min l l0) .. min l l0 -> m, snd (Wigner3j.family l l0 m -m) |]
        let w3 (m: int) (a: int) =
            let _, f = families.[m + min l l0]
            let lo = max (abs (l - l0)) 0
            if a < lo || a - lo >= f.Length then 0.0 else f.[a - lo]
        let s (a: int) (b: int) =
            families |> Array.sumBy (fun (m, _) -> float (2 * l0 * (l0 + 1) - 2 * m * m) * w3 m a * w3 m b)
        let mutable sum = 0.0
        for i in 0 .. w0.Length - 1 do
            let a = amin + i
            if w0.[i] <> 0.0 then
                let fa = float (2 * a + 1)
                sum <- sum + fa * fa * w0.[i] * w0.[i] * s a a * kappa.Diagonal.[a]
                if i + 2 < w0.Length then
                    // B = A + 2 and its mirror: i^{B−A} = −1
                    let fb = float (2 * a + 5)
                    sum <- sum - 2.0 * fa * fb * w0.[i] * w0.[i + 2] * s a (a + 2) * kappa.Next.[a]
        Math.PI * float (2 * l0 + 1) * 2.0 * sum)
