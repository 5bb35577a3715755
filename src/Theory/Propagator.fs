namespace SkyMix.Theory

open System

/// The pair propagator M_ℓℓ0(T) of eq. 17 measured on backtracked particles (docs/validation.md): for an initial
/// phase-space density that is statistically isotropic with power only at ℓ0, f(p̂, t₀) = Σ_m a_m Y_ℓ0m(p̂) with
/// independent a_m of variance C_ℓ0(0), Liouville's theorem makes the sky at time T the map
/// p̂ ↦ f(p̂(t₀), t₀) of the backtracked directions, and
///   M_ℓℓ0(T) = ⟨C_ℓ(T)⟩/C_ℓ0(0) = Σ_{m=−ℓ0}^{ℓ0} C_ℓ[Y_ℓ0m(p̂(t₀))]
/// exactly, with real orthonormal Y_ℓ0m (the cross terms average to zero; the sum over m realises the isotropic
/// ensemble without sampling a_m). At T = 0 it is the identity; the pixel-sum quadrature of the analysis
/// (anafast with iter = 0) misses it by 5e-6 … 8e-5 (ℓ0 = 1 … 8) at Nside 8, and 15 Jacobi steps still leave 2e-7,
/// so each map is analysed by least squares (Sky.map2almLeastSquares) to Tolerance.
[<RequireQualifiedAccess>]
module Propagator =

    /// Relative normal-equation residual at which the least-squares analysis of each Y_ℓ0m map stops, and its
    /// most steps: the identity at T = 0 then holds to 1e-8 (test "the identity at T = 0").
    [<Literal>]
    let Tolerance = 1e-12

    [<Literal>]
    let MaxSteps = 15

    /// The real orthonormal spherical harmonics Y_ℓm, m = −ℓ … ℓ (index m + ℓ), at the unit vector (x, y, z):
    /// √2 λ_ℓ|m|(θ) sin(|m|φ) for m < 0, λ_ℓ0(θ) for m = 0, √2 λ_ℓm(θ) cos(mφ) for m > 0, λ_ℓm(θ) = Y_ℓm(θ, 0).
    let realHarmonics (l: int) (x: float) (y: float) (z: float) : float[] =
        let lambdas = Sky.lambdas l (acos (max -1.0 (min 1.0 z)))
        let phi = atan2 y x
        Array.init (2 * l + 1) (fun k ->
            let m = k - l
            let v = lambdas.[Alm.Index(l, l, abs m)]
            if m = 0 then v
            elif m > 0 then sqrt 2.0 * v * cos (float m * phi)
            else sqrt 2.0 * v * sin (float -m * phi))

    /// M_ℓℓ0 for ℓ = 0 … lmax and each ℓ0 of `l0s` ([ℓ0 index][ℓ]) from one sky: `direction p` is the initial
    /// momentum direction p̂(t₀) (a unit vector) of the particle that arrives in HEALPix RING pixel p.
    let measure (l0s: int[]) (lmax: int) (npix: int) (direction: Func<int, struct (float * float * float)>) : float[][] =
        let dirs = Array.init npix (fun p -> direction.Invoke p)
        l0s
        |> Array.map (fun l0 ->
            let harmonics = dirs |> Array.map (fun struct (x, y, z) -> realHarmonics l0 x y z)
            Array.Parallel.init (2 * l0 + 1) (fun k -> Sky.cl (Sky.map2almLeastSquares (harmonics |> Array.map (fun h -> h.[k])) lmax Tolerance MaxSteps))
            |> Array.reduce (Array.map2 (+)))
