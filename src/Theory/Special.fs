namespace SkyMix.Theory

open System

/// Spherical Bessel functions of the first kind, j_ℓ(x) for every ℓ ≤ L at once.
///
/// Source: upward recurrence j_{ℓ+1} = (2ℓ+1)/x j_ℓ − j_{ℓ−1} where it is stable (ℓ ≤ x), Miller's
/// downward recurrence above the turning point (ℓ > x), run on the ratios r_ℓ = j_ℓ/j_{ℓ−1} and
/// started from the continued fraction (modified Lentz) so nothing overflows; the two pieces join
/// at ℓ* = ⌊x⌋, where j_ℓ*(x) > 0 lies before the first zero (Abramowitz & Stegun 10.1.19; Gillman &
/// Fiebig 1988). Domain 0 ≤ x ≤ 1e6, L ≤ 10^4. Special values j_0(0) = 1, j_ℓ(0) = 0.
/// Accuracy: a few ulp times ℓ relative to the envelope; measured against mpmath (reference file
/// spherical_bessel_jl.csv, ℓ ≤ 300, 1e-6 ≤ x ≤ 1e4) ≤ 1e-12 relative away from zeros. Values
/// below 1e-300 (x ≪ ℓ) are returned as exactly 0.
[<RequireQualifiedAccess>]
module Bessel =

    let private underflow = 1e-300

    /// j_L/j_{L−1} at x < L by the continued fraction 1/r_ℓ = (2ℓ+1)/x − r_{ℓ+1} (modified Lentz).
    let private ratioAt (lTop: int) (x: float) =
        let tiny = 1e-300
        let b n = float (2 * (lTop + n) + 1) / x
        let mutable f = b 0
        let mutable c = f
        let mutable d = 0.0
        let mutable n = 1
        let mutable converged = false
        while not converged do
            d <- b n - d
            if d = 0.0 then d <- tiny
            c <- b n - 1.0 / c
            if c = 0.0 then c <- tiny
            d <- 1.0 / d
            let delta = c * d
            f <- f * delta
            converged <- abs (delta - 1.0) < 1e-16 || n > 1_000_000
            n <- n + 1
        1.0 / f

    /// Fills res.[ℓ] = j_ℓ(x) for ℓ = 0 … res.Length−1. x must be finite and ≥ 0 (unchecked).
    let internal sphericalJInto (x: float) (res: Span<float>) =
        let lmax = res.Length - 1
        if lmax >= 0 then
            if x = 0.0 then
                res.Clear()
                res.[0] <- 1.0
            elif x < 1e-9 then
                // j_ℓ(x) = x^ℓ/(2ℓ+1)!! · (1 − x²/(2(2ℓ+3)) + …); the correction is below 1e-18.
                res.[0] <- 1.0
                let mutable l = 1
                while l <= lmax do
                    let v = res.[l - 1] * x / float (2 * l + 1)
                    if abs v < underflow then
                        res.Slice(l).Clear()
                        l <- lmax + 1
                    else
                        res.[l] <- v
                        l <- l + 1
            else
                let s = sin x
                res.[0] <- s / x
                let lStar = int (min (float lmax) (floor x))
                if lStar >= 1 then res.[1] <- (s / x - cos x) / x
                for l in 1 .. lStar - 1 do
                    res.[l + 1] <- float (2 * l + 1) / x * res.[l] - res.[l - 1]
                if lStar < lmax then
                    // Ratios from the top down, stored in place, then multiplied up from ℓ*.
                    res.[lmax] <- ratioAt lmax x
                    for l in lmax - 1 .. -1 .. lStar + 1 do
                        res.[l] <- 1.0 / (float (2 * l + 1) / x - res.[l + 1])
                    let mutable l = lStar + 1
                    while l <= lmax do
                        let v = res.[l - 1] * res.[l]
                        if abs v < underflow then
                            res.Slice(l).Clear()
                            l <- lmax + 1
                        else
                            res.[l] <- v
                            l <- l + 1

    /// j_ℓ(x) for ℓ = 0 … lmax as a new array.
    let sphericalJ (lmax: int) (x: float) : float[] =
        if lmax < 0 then inputError $"lmax must be ≥ 0, got {lmax}"
        if not (x >= 0.0 && x <= 1e6) then inputError $"x must lie in [0, 1e6], got {x}"
        let res = Array.zeroCreate (lmax + 1)
        sphericalJInto x (Span res)
        res

/// Legendre polynomials P_ℓ(x) and Ferrers functions of the second kind Q_ℓ(x) on −1 < x < 1.
///
/// Source: Bonnet's recurrence (ℓ+1)F_{ℓ+1} = (2ℓ+1)xF_ℓ − ℓF_{ℓ−1}, which is stable upwards for both
/// P and Q on the cut (DLMF 14.10.3, 14.5.22–14.5.23: Q_0 = artanh x, Q_1 = x Q_0 − 1).
/// Accuracy: O(ℓ ε) relative to the envelope (2/(πℓ√(1−x²)))^{1/2}.
[<RequireQualifiedAccess>]
module Legendre =

    /// Fills p.[ℓ] = P_ℓ(x) for ℓ = 0 … p.Length−1.
    let internal pInto (x: float) (p: Span<float>) =
        let n = p.Length
        if n > 0 then p.[0] <- 1.0
        if n > 1 then p.[1] <- x
        for l in 1 .. n - 2 do
            p.[l + 1] <- (float (2 * l + 1) * x * p.[l] - float l * p.[l - 1]) / float (l + 1)

    /// Fills q.[ℓ] = Q_ℓ(x) (Ferrers, on the cut) for ℓ = 0 … q.Length−1; |x| < 1 (unchecked).
    let internal qInto (x: float) (q: Span<float>) =
        let n = q.Length
        if n > 0 then q.[0] <- Math.Atanh x
        if n > 1 then q.[1] <- x * q.[0] - 1.0
        for l in 1 .. n - 2 do
            q.[l + 1] <- (float (2 * l + 1) * x * q.[l] - float l * q.[l - 1]) / float (l + 1)

    let private checkedArgs lmax x =
        if lmax < 0 then inputError $"lmax must be ≥ 0, got {lmax}"
        if not (abs x < 1.0) then inputError $"x must satisfy |x| < 1, got {x}"

    /// P_ℓ(x), ℓ = 0 … lmax.
    let p (lmax: int) (x: float) =
        checkedArgs lmax x
        let r = Array.zeroCreate (lmax + 1)
        pInto x (Span r)
        r

    /// Ferrers Q_ℓ(x), ℓ = 0 … lmax.
    let q (lmax: int) (x: float) =
        checkedArgs lmax x
        let r = Array.zeroCreate (lmax + 1)
        qInto x (Span r)
        r

/// Wigner 3j symbols (ℓ1 ℓ2 ℓ3; m1 m2 m3), Condon–Shortley phase.
///
/// Source: Schulten & Gordon, J. Math. Phys. 16, 1961 (1975) — the three-term recursion in ℓ1
///   ℓ1 A(ℓ1+1) f(ℓ1+1) + B(ℓ1) f(ℓ1) + (ℓ1+1) A(ℓ1) f(ℓ1−1) = 0,
///   A(ℓ1) = √[(ℓ1² − (ℓ2−ℓ3)²)((ℓ2+ℓ3+1)² − ℓ1²)(ℓ1² − m1²)],
///   B(ℓ1) = −(2ℓ1+1)[(ℓ2(ℓ2+1) − ℓ3(ℓ3+1)) m1 − ℓ1(ℓ1+1)(m3 − m2)],
/// run forwards through the classically forbidden region at small ℓ1 and backwards from ℓ1max,
/// joined by a least-squares match on three overlapping values (as in SLATEC DRC3JJ and
/// Luscombe & Luban, Phys. Rev. E 57, 7274 (1998)); normalised by Σ(2ℓ1+1) f² = 1 with
/// sign f(ℓ1max) = (−1)^(ℓ2−ℓ3−m1). No factorials; values are rescaled by 2^±250 so nothing
/// overflows. For m1 = m2 = m3 = 0 the odd-sum members are exact zeros and the even ones follow
/// from a two-step ratio. Accuracy measured against sympy (wigner3j_*.csv, ℓ ≤ 60): ≤ 1e-12 relative.
[<RequireQualifiedAccess>]
module Wigner3j =

    let private big = Math.ScaleB(1.0, 250)
    let private small = Math.ScaleB(1.0, -250)

    /// ℓ1 range (ℓ1min, ℓ1max) of the family with (ℓ2, ℓ3, m2, m3) fixed and m1 = −m2 − m3;
    /// empty (ℓ1min > ℓ1max) when |m2| > ℓ2 or |m3| > ℓ3.
    let range (l2: int) (l3: int) (m2: int) (m3: int) =
        if abs m2 > l2 || abs m3 > l3 || l2 < 0 || l3 < 0 then 0, -1
        else max (abs (l2 - l3)) (abs (m2 + m3)), l2 + l3

    let private scaleAll (res: Span<float>) lo hi (factor: float) =
        for k in lo .. hi do res.[k] <- res.[k] * factor

    let private zeroMFamily (l2: int) (l3: int) (l1min: int) (n: int) (res: Span<float>) =
        let d2 = float ((l2 - l3) * (l2 - l3))
        let p2 = float ((l2 + l3 + 1) * (l2 + l3 + 1))
        res.[0] <- 1.0
        let mutable i = 0
        while i + 2 < n do
            let l1 = float (l1min + i + 1)
            let l1p = l1 + 1.0
            res.[i + 1] <- 0.0
            res.[i + 2] <- -res.[i] * sqrt (((l1 * l1 - d2) * (p2 - l1 * l1)) / ((l1p * l1p - d2) * (p2 - l1p * l1p)))
            i <- i + 2
        if n % 2 = 0 then res.[n - 1] <- 0.0

    let private generalFamily (l2: int) (l3: int) (m2: int) (m3: int) (l1min: int) (n: int) (res: Span<float>) =
        let m1 = -(m2 + m3)
        let d2 = float ((l2 - l3) * (l2 - l3))
        let p2 = float ((l2 + l3 + 1) * (l2 + l3 + 1))
        let m1sq = float (m1 * m1)
        let pre = float m1 * float (l2 * (l2 + 1) - l3 * (l3 + 1))
        let m3mm2 = float (m3 - m2)
        let a (l1: float) = sqrt ((l1 * l1 - d2) * (p2 - l1 * l1) * (l1 * l1 - m1sq))
        let b (l1: float) = -(2.0 * l1 + 1.0) * (pre - l1 * (l1 + 1.0) * m3mm2)
        // Forward from ℓ1min while the recursion coefficient |B(ℓ1)/(ℓ1 A(ℓ1+1))| keeps shrinking, i.e.
        // through the classically forbidden region where the wanted solution grows (SLATEC's criterion).
        res.[0] <- small
        let mutable i = 0
        let mutable stop = n = 1
        let mutable coefOld = Double.PositiveInfinity
        while not stop do
            let l1 = float (l1min + i)
            let aNext = a (l1 + 1.0)
            let coef =
                // f(ℓ1min−1) = 0; at ℓ1min = 0 (m1 = 0, ℓ2 = ℓ3) use the limit B(ℓ1)/ℓ1 → (m3−m2)
                if i = 0 && l1min = 0 then -m3mm2 / aNext else -b l1 / (l1 * aNext)
            let next =
                if i = 0 then coef * res.[0]
                else coef * res.[i] - (l1 + 1.0) * a l1 / (l1 * aNext) * res.[i - 1]
            i <- i + 1
            res.[i] <- next
            if abs next > big then scaleAll res 0 i small
            if i = n - 1 || (i >= 2 && abs coef >= coefOld) then stop <- true
            coefOld <- abs coef
        if i < n - 1 then
            // Backward from ℓ1max down to i − 2, then match the three overlapping values.
            let split = i - 2
            let x0, x1, x2 = res.[split], res.[split + 1], res.[split + 2]
            let top = n - 1
            res.[top] <- small
            let mutable j = top
            while j > split do
                let l1 = float (l1min + j)
                let prev =
                    if j = top then -b l1 / ((l1 + 1.0) * a l1) * res.[j]
                    else -(l1 * a (l1 + 1.0) * res.[j + 1] + b l1 * res.[j]) / ((l1 + 1.0) * a l1)
                j <- j - 1
                res.[j] <- prev
                if abs prev > big then scaleAll res j top small
            let ratio = (x0 * res.[split] + x1 * res.[split + 1] + x2 * res.[split + 2]) / (x0 * x0 + x1 * x1 + x2 * x2)
            // Bring the forward part onto the backward scale (or vice versa, whichever stays finite).
            if abs ratio < 1.0 then
                scaleAll res split top (1.0 / ratio)
            else
                scaleAll res 0 (split - 1) ratio

    let private normalise (l2: int) (l3: int) (m1: int) (l1min: int) (n: int) (res: Span<float>) =
        let mutable sum = 0.0
        for k in 0 .. n - 1 do sum <- sum + float (2 * (l1min + k) + 1) * res.[k] * res.[k]
        let mutable c = 1.0 / sqrt sum
        let negative = (abs (l2 - l3 - m1)) % 2 = 1
        if (res.[n - 1] < 0.0) <> negative then c <- -c
        for k in 0 .. n - 1 do res.[k] <- res.[k] * c

    /// Fills res.[k] = (ℓ1min+k ℓ2 ℓ3; −m2−m3 m2 m3) for the whole ℓ1 family and returns ℓ1min.
    /// res must hold at least ℓ1max − ℓ1min + 1 values (see `range`). Inputs unchecked; the family
    /// must be non-empty.
    let internal familyInto (l2: int) (l3: int) (m2: int) (m3: int) (res: Span<float>) : int =
        let l1min, l1max = range l2 l3 m2 m3
        let n = l1max - l1min + 1
        let m1 = -(m2 + m3)
        if m1 = 0 && m2 = 0 then zeroMFamily l2 l3 l1min n res
        else generalFamily l2 l3 m2 m3 l1min n res
        normalise l2 l3 m1 l1min n res
        l1min

    /// The ℓ1 family (ℓ1min, values) of (ℓ1 ℓ2 ℓ3; −m2−m3 m2 m3); values empty when none is allowed.
    let family (l2: int) (l3: int) (m2: int) (m3: int) : int * float[] =
        let l1min, l1max = range l2 l3 m2 m3
        if l1max < l1min then 0, [||]
        else
            let res = Array.zeroCreate (l1max - l1min + 1)
            familyInto l2 l3 m2 m3 (Span res) |> ignore
            l1min, res

    /// One symbol (ℓ1 ℓ2 ℓ3; m1 m2 m3); exactly 0 when a selection rule forbids it.
    let symbol (l1: int) (l2: int) (l3: int) (m1: int) (m2: int) (m3: int) : float =
        let l1min, l1max = range l2 l3 m2 m3
        if m1 + m2 + m3 <> 0 || l1 < l1min || l1 > l1max || abs m1 > l1 then 0.0
        elif m1 = 0 && m2 = 0 && m3 = 0 && (l1 + l2 + l3) % 2 = 1 then 0.0
        else
            let _, values = family l2 l3 m2 m3
            values.[l1 - l1min]

/// Sine and cosine integrals: Si(x) = ∫₀ˣ sin t/t dt and Cin(x) = ∫₀ˣ (1 − cos t)/t dt (entire).
///
/// Source: power series for |x| ≤ 2; above, the continued fraction of E1(ix) = −Ci(x) + i(Si(x) − π/2)
/// (Abramowitz & Stegun 5.1.22, modified Lentz as in Numerical Recipes §6.8), and
/// Cin = γ + ln x − Ci. Accuracy measured against mpmath (tests): Si ≤ 1e-15 absolute,
/// Cin ≤ 1e-14 relative.
[<RequireQualifiedAccess>]
module SineIntegral =

    let private eulerGamma = 0.57721566490153286061

    let private series (x: float) =
        // Si = Σ (−1)^k x^(2k+1)/((2k+1)(2k+1)!), Cin = Σ (−1)^(k+1) x^(2k)/((2k)(2k)!)
        let mutable termS = x // x^(2k+1)/(2k+1)!
        let mutable termC = 1.0 // x^(2k)/(2k)!
        let mutable si = x
        let mutable cin = 0.0
        let mutable k = 1
        while k < 40 do
            termC <- -termS * x / float (2 * k) // x^(2k)/(2k)! with sign (−1)^k
            termS <- termC * x / float (2 * k + 1)
            si <- si + termS / float (2 * k + 1)
            cin <- cin - termC / float (2 * k)
            k <- k + 1
        si, cin

    /// (Si(x), Ci(x)) for x > 2 from E1(ix) = −Ci(x) + i(Si(x) − π/2).
    let private continuedFraction (x: float) =
        let tiny = 1e-300
        // E1(z) = e^{−z} / (z + 1/(1 + 1/(z + 2/(1 + 2/(z + …))))) rewritten as in NR cisi:
        let mutable b = Numerics.Complex(1.0, x)
        let mutable c = Numerics.Complex(1.0 / tiny, 0.0)
        let mutable d = Numerics.Complex.One / b
        let mutable h = d
        let mutable i = 2
        let mutable fin = false
        while not fin do
            let a = -float ((i - 1) * (i - 1))
            b <- b + Numerics.Complex(2.0, 0.0)
            d <- Numerics.Complex.One / (Numerics.Complex(a, 0.0) * d + b)
            c <- b + Numerics.Complex(a, 0.0) / c
            let del = c * d
            h <- h * del
            fin <- abs (del.Real - 1.0) + abs del.Imaginary < 1e-16 || i > 100000
            i <- i + 1
        h <- Numerics.Complex(cos x, -sin x) * h
        // h = E1(ix); Ci = −Re h, Si = π/2 + Im h
        Math.PI / 2.0 + h.Imaginary, -h.Real

    /// Si(x) for real x (odd function).
    let si (x: float) =
        let ax = abs x
        let v = if ax <= 2.0 then fst (series ax) else fst (continuedFraction ax)
        if x < 0.0 then -v else v

    /// Cin(x) = ∫₀ˣ (1 − cos t)/t dt for real x (even function, Cin(x) ~ x²/4 near 0).
    let cin (x: float) =
        let ax = abs x
        if ax <= 2.0 then snd (series ax)
        else eulerGamma + log ax - snd (continuedFraction ax)

/// Gauss–Legendre quadrature nodes and weights on [−1, 1].
///
/// Source: Newton's iteration on P_n from Tricomi's initial guess cos(π(4i−1)/(4n+2)), with P_n and P_n'
/// from Bonnet's recurrence (Press et al., Numerical Recipes §4.6). The n-point rule is exact for
/// polynomials of degree 2n − 1; nodes are accurate to a few ulp for n ≤ 2000 (tests integrate
/// monomials exactly).
[<RequireQualifiedAccess>]
module GaussLegendre =

    /// Nodes x (ascending) and weights w of the n-point rule on [−1, 1].
    let rule (n: int) : float[] * float[] =
        if n < 1 then inputError $"a Gauss–Legendre rule needs n ≥ 1 points, got {n}"
        let x = Array.zeroCreate n
        let w = Array.zeroCreate n
        for i in 0 .. (n + 1) / 2 - 1 do
            let mutable z = cos (Math.PI * (float i + 0.75) / (float n + 0.5))
            let mutable dp = 0.0
            let mutable go = true
            let mutable iter = 0
            while go do
                let mutable p0 = 1.0
                let mutable p1 = z
                for k in 2 .. n do
                    let p2 = (float (2 * k - 1) * z * p1 - float (k - 1) * p0) / float k
                    p0 <- p1
                    p1 <- p2
                let pn = if n = 1 then z else p1
                let pnm1 = if n = 1 then 1.0 else p0
                dp <- float n * (z * pn - pnm1) / (z * z - 1.0)
                let dz = pn / dp
                z <- z - dz
                iter <- iter + 1
                go <- abs dz > 1e-16 && iter < 100
            x.[n - 1 - i] <- z
            x.[i] <- -z
            w.[i] <- 2.0 / ((1.0 - z * z) * dp * dp)
            w.[n - 1 - i] <- w.[i]
        x, w

    /// The n-point rule mapped onto [a, b].
    let on (a: float) (b: float) (n: int) : float[] * float[] =
        let x, w = rule n
        let h = 0.5 * (b - a)
        Array.map (fun t -> a + h * (t + 1.0)) x, Array.map (fun v -> h * v) w
