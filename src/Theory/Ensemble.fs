namespace SkyMix.Theory

open System

/// What one realisation of a backtracking study yields at its output times: the inputs of the ensemble
/// estimators (paper Secs. 2.1.2, 3.2–3.3; docs/physics.md §7). Lengths in c/Ω, times in 1/Ω, C_ℓ in
/// (c/Ω)²|∇f̄/f̄|².
type Realization =
    { Index: int
      Seed: uint64
      /// the times reached (whole steps) [1/Ω]
      Times: float[]
      /// C_ℓ^num of the map at each time, ℓ = 0 … 3Nside − 1 (anafast, iter 0)
      Cl: float[][]
      /// the self-consistent noise level at each time (Sky.noiseSelfConsistent)
      Noise: float[]
      /// the eq. 7 noise at each time (Sky.noiseEq7)
      NoiseEq7: float[]
      /// the dipole vector Φ (eq. 52) at each time
      Phi: float[][]
      /// ⟨Δx²⟩, ⟨Δy²⟩, ⟨Δz²⟩ over the particles at each time [(c/Ω)²]
      Displacement2: float[][]
      /// the local mean field B_i/B0 over |z| < L_c/60
      LocalField: float[]
      /// cos α_i = B_i,z/|B_i|
      CosAlpha: float
      /// the measured pair propagator M_ℓℓ0 (Propagator.measure) at T = 0 and at each output time,
      /// [time][ℓ0 of the study's list][ℓ]; empty when the study measures none
      Mixing: float[][][] }

/// The running diffusion coefficient.
[<RequireQualifiedAccess>]
module Diffusion =
    /// K_zz(T) = ⟨Δz²⟩/(2T) [c²/Ω], from the mean square displacement along B0 after time T; → K_zz at late T.
    let kzz (dz2: float) (time: float) = dz2 / (2.0 * time)

    /// The displacements of n particles from the observer (`position i`, lengths in c/Ω) after time T: the mean
    /// squares ⟨Δx²⟩, ⟨Δy²⟩, ⟨Δz²⟩ and ⟨(Δr·ĝ)²⟩ along the unit gradient ĝ (eq. 7's noise).
    let displacements (n: int) (position: Func<int, struct (float * float * float)>) (g: float[]) : float[] * float =
        let mutable x2, y2, z2, g2 = 0.0, 0.0, 0.0, 0.0
        for i in 0 .. n - 1 do
            let struct (x, y, z) = position.Invoke i
            x2 <- x2 + x * x
            y2 <- y2 + y * y
            z2 <- z2 + z * z
            let d = x * g.[0] + y * g.[1] + z * g.[2]
            g2 <- g2 + d * d
        let m = float n
        [| x2 / m; y2 / m; z2 / m |], g2 / m

/// Ensemble averages over realisations with delete-one jackknife errors ([t] = output time, [ℓ] = multipole).
type EnsembleStats =
    { Times: float[]
      /// ⟨C_ℓ⟩^num
      ClNum: float[][]
      /// the mean noise level N (the same for every ℓ), self-consistent and eq. 7
      Noise: float[]
      NoiseEq7: float[]
      /// ⟨C_ℓ⟩^sub = ⟨C_ℓ⟩^num − N and its error
      ClSub: float[][]
      ClSubErr: float[][]
      /// ⟨C_ℓ⟩^sub/⟨C_1⟩^sub and its error (a jackknife of the ratio, not a ratio of errors)
      Ratio: float[][]
      RatioErr: float[][]
      /// ⟨Δz²⟩ and its error
      Dz2: float[]
      Dz2Err: float[]
      /// ⟨C_1⟩^QLT = 4π|⟨Φ⟩|² (eq. 57)
      C1Qlt: float[]
      CosAlpha: float
      CosAlphaErr: float
      /// ⟨M_ℓℓ0⟩ and its error at T = 0 and each output time, [time][ℓ0][ℓ] (empty when not measured)
      Mixing: float[][][]
      MixingErr: float[][][]
      Count: int }

    /// The running diffusion coefficient K_zz(T) = ⟨Δz²⟩/(2T) [c²/Ω] at output t.
    member e.Kzz(t: int) = Diffusion.kzz e.Dz2.[t] e.Times.[t]

    /// Its jackknife error.
    member e.KzzErr(t: int) = Diffusion.kzz e.Dz2Err.[t] e.Times.[t]

/// The ensemble estimators of the paper (Secs. 3.2–3.3; docs/physics.md §7): the scatter between
/// realisations dominates 2N²/(2ℓ+1) at small ℓ, so every error is a delete-one jackknife over realisations.
[<RequireQualifiedAccess>]
module Ensemble =

    /// The ensemble of realisations (ordered by index, all with the same times).
    let ofRealizations (rs: Realization[]) : EnsembleStats =
        if rs.Length = 0 then inputError "no finished realisation to average"
        let nt = rs.[0].Times.Length
        let nl = rs.[0].Cl.[0].Length
        let across (f: Realization -> float) = rs |> Array.map f
        let perTime (f: int -> 'a) = Array.init nt f
        let sub t l = across (fun r -> r.Cl.[t].[l] - r.Noise.[t])
        let clSub = perTime (fun t -> Array.init nl (fun l -> Jackknife.mean (sub t l)))
        let ratio = perTime (fun t -> let sub1 = sub t 1 in Array.init nl (fun l -> Jackknife.ratio (sub t l) sub1))
        let dz2 = perTime (fun t -> Jackknife.mean (across (fun r -> r.Displacement2.[t].[2])))
        let cosAlpha, cosAlphaErr = Jackknife.mean (across (fun r -> r.CosAlpha))
        let mixing =
            rs.[0].Mixing |> Array.mapi (fun t m -> m |> Array.mapi (fun j col -> Array.init col.Length (fun l -> Jackknife.mean (across (fun r -> r.Mixing.[t].[j].[l])))))
        { Times = rs.[0].Times
          ClNum = perTime (fun t -> Array.init nl (fun l -> Array.average (across (fun r -> r.Cl.[t].[l]))))
          Noise = perTime (fun t -> Array.average (across (fun r -> r.Noise.[t])))
          NoiseEq7 = perTime (fun t -> Array.average (across (fun r -> r.NoiseEq7.[t])))
          ClSub = clSub |> Array.map (Array.map fst)
          ClSubErr = clSub |> Array.map (Array.map snd)
          Ratio = ratio |> Array.map (Array.map fst)
          RatioErr = ratio |> Array.map (Array.map snd)
          Dz2 = dz2 |> Array.map fst
          Dz2Err = dz2 |> Array.map snd
          C1Qlt = perTime (fun t -> Sky.c1OfDipole (Array.init 3 (fun i -> Array.average (across (fun r -> r.Phi.[t].[i])))))
          CosAlpha = cosAlpha
          CosAlphaErr = cosAlphaErr
          Mixing = mixing |> Array.map (Array.map (Array.map fst))
          MixingErr = mixing |> Array.map (Array.map (Array.map snd))
          Count = rs.Length }

    /// The same realisations with the eq. 7 noise in place of the self-consistent one.
    let withEq7Noise (rs: Realization[]) = rs |> Array.map (fun r -> { r with Noise = r.NoiseEq7 })

    /// ⟨C_1⟩^sub and its jackknife error at output t.
    let c1Sub (rs: Realization[]) (t: int) = Jackknife.mean (rs |> Array.map (fun r -> r.Cl.[t].[1] - r.Noise.[t]))
