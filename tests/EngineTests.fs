/// The particle engine, physics first: exact orbits in a uniform field, field statistics, QLT pitch-angle
/// scattering in weak turbulence, kernel ≡ CPU path, step convergence, the noise estimator.
module SkyMix.Tests.EngineTests

open System
open Expecto
open SkyMix.Gpu
open SkyMix.Runs
open SkyMix.Theory
open SkyMix.Tests.Check

let private cpu () = Accelerators.Create DeviceKind.Cpu

/// A field that is zero everywhere (η = 0: only B0).
let private uniform () =
    let s = { A = 0.0; Q = 5.0 / 3.0; KMin = 0.1; KMax = 10.0 }
    SlabField.Generate(s, SlabField.Layout(s, 1L <<< 20), 1UL)

/// n Boris steps of every particle on the device, and the state back.
let private push (pusher: IPusher) (ps: Particle[]) dt q n =
    pusher.Upload ps
    pusher.Push(dt, q, n)
    pusher.Download ps

let uniformField =
    testList "uniform field (η = 0)" [
        test "10⁵ steps: |p̂| conserved to 1e-12; orbit radius = r_g and period = 2π/Ω to 1e-6" {
            use pusher = cpu ()
            pusher.Load(uniform ())
            let mu = 0.3
            let uPerp = sqrt (1.0 - mu * mu)
            let dt = 2.0 * Math.PI / 4000.0
            let ps = [| Particle(0.0, 0.0, 0.0, uPerp, 0.0, mu) |]
            let xs = ResizeArray()
            let mutable phase = 0.0
            for _ in 1 .. 100000 / 50 do
                let before = ps.[0]
                push pusher ps dt 1.0 50
                let a = ps.[0]
                // the velocity turns by a fixed angle per step: accumulate it
                phase <- phase + Math.Atan2(before.Ux * a.Uy - before.Uy * a.Ux, before.Ux * a.Ux + before.Uy * a.Uy)
                xs.Add(struct (a.X, a.Y))
            let p = ps.[0]
            Expect.isLessThan (abs (sqrt (p.Ux * p.Ux + p.Uy * p.Uy + p.Uz * p.Uz) - 1.0)) 1e-12 "|p̂| = 1"
            Expect.floatClose { absolute = 0.0; relative = 1e-12 } p.Uz mu "μ constant"
            // period: 2π over the turning rate (the positive charge turns clockwise)
            let period = 2.0 * Math.PI / (abs phase / (100000.0 * dt))
            Expect.floatClose { absolute = 0.0; relative = 1e-6 } period (2.0 * Math.PI) "gyro-period 2π/Ω"
            // radius: circumcircle of three orbit points, then every point's distance to its centre
            let struct (x1, y1), struct (x2, y2), struct (x3, y3) = xs.[0], xs.[7], xs.[23]
            let d = 2.0 * (x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2))
            let cx = ((x1 * x1 + y1 * y1) * (y2 - y3) + (x2 * x2 + y2 * y2) * (y3 - y1) + (x3 * x3 + y3 * y3) * (y1 - y2)) / d
            let cy = ((x1 * x1 + y1 * y1) * (x3 - x2) + (x2 * x2 + y2 * y2) * (x1 - x3) + (x3 * x3 + y3 * y3) * (x2 - x1)) / d
            for struct (x, y) in xs do
                Expect.floatClose { absolute = 0.0; relative = 1e-6 } (sqrt ((x - cx) ** 2.0 + (y - cy) ** 2.0)) uPerp "radius r_g sin θ = u⊥/Ω" }
        test "backtracking then tracking forward returns to the start" {
            use pusher = cpu ()
            let s = Spectrum.create (5.0 / 3.0) 0.05 50.0 0.5
            pusher.Load(SlabField.Generate(s, SlabField.Layout(s, 1L <<< 24), 7UL))
            let start = Backtrack.Sky 2
            let ps = Array.copy start
            push pusher ps 0.01 -1.0 1000
            // reverse: the cosmic ray (charge +1) with the opposite velocity retraces the antiparticle's path
            let back = ps |> Array.map (fun p -> Particle(p.X, p.Y, p.Z, -p.Ux, -p.Uy, -p.Uz))
            push pusher back 0.01 1.0 1000
            // round-off (1e-16 a step) grows through the chaotic dynamics (Lyapunov rate ~0.4Ω at η = 0.5),
            // so the test stays at ΩT = 10 where the orbit must close to 1e-10
            for i in 0 .. start.Length - 1 do
                let a, b = start.[i], back.[i]
                Expect.isLessThan (abs b.X + abs b.Y + abs b.Z) 1e-10 $"particle {i} back at the origin"
                Expect.isLessThan (abs (a.Ux + b.Ux) + abs (a.Uy + b.Uy) + abs (a.Uz + b.Uz)) 1e-10 $"particle {i} with its start direction" }
    ]

let fieldStatistics =
    test "field statistics: mode variances 4π∫g over each cell (all grids and seams), ⟨δB²⟩ = η/(1−η) B0²" {
        // three grids forced by a small memory budget; 300 realisations
        let s = Spectrum.create (5.0 / 3.0) 0.01 200.0 0.5
        let bands = SlabField.Layout(s, 100_000L)
        Expect.equal bands.Length 3 "three nested grids"
        let n = 300
        // per grid and mode: the mean periodogram |c_n|² over realisations, against σ_n² per component
        let sums = bands |> Array.map (fun b -> Array.zeroCreate (b.N / 2 + 1))
        let mutable variance = 0.0
        let mutable rng = Rng 5UL
        for r in 0 .. n - 1 do
            let f = SlabField.Generate(s, bands, uint64 (100 + r))
            for gi in 0 .. bands.Length - 1 do
                let b = bands.[gi]
                let offset = f.Grids().[gi].Offset
                let pl = Fft.realPlan b.N
                let re, im = Array.zeroCreate (b.N / 2 + 1), Array.zeroCreate (b.N / 2 + 1)
                for c in 0 .. 1 do
                    let x = Array.init b.N (fun j -> float f.Data.[2 * (offset + j) + c])
                    Fft.realForward pl x 0 (Span re) (Span im)
                    for k in 1 .. b.N / 2 - 1 do
                        // f_j = Σ σ(α cos + β sin): the DFT coefficient is N σ(α − iβ)/2, so |X|² = N² σ²(α²+β²)/4
                        sums.[gi].[k] <- sums.[gi].[k] + (re.[k] * re.[k] + im.[k] * im.[k]) * 2.0 / (float b.N * float b.N)
            let fc = f.Cpu()
            for _ in 1 .. 200 do
                let bx, by = fc.At((rng.Uniform() - 0.5) * 1e6)
                variance <- variance + bx * bx + by * by
        // ⟨α² + β²⟩ = 2 per component and two components were summed: expect 2σ_n² per mode
        let cases =
            [ for gi in 0 .. bands.Length - 1 do
                  let b = bands.[gi]
                  let dk = 2.0 * Math.PI / b.Period
                  // modes in bands of 16 (to beat the χ² scatter), including the clipped cells at the seams
                  for k0 in 1 .. 16 .. b.N / 2 - 17 do
                      let expected =
                          Seq.sum [ for k in k0 .. k0 + 15 ->
                                        let lo, hi = max b.KLo ((float k - 0.5) * dk), min b.KHi ((float k + 0.5) * dk)
                                        if hi > lo then Spectrum.bandVariance s lo hi else 0.0 ]
                      if expected > 0.0 then
                          let got = Seq.sum [ for k in k0 .. k0 + 15 -> sums.[gi].[k] / float n ]
                          // 16 modes × 2 components × 300 realisations: χ² relative scatter ≈ 1%; allow 5σ
                          yield rel $"grid {gi} modes {k0}…{k0 + 15} (k ≈ {float k0 * dk:G3})" expected got 0.05 1e-12 ]
        allClose "band variances" cases
        // the interpolated field at random heights: Catmull–Rom loses < 1% of the power of the finest modes
        let measured = variance / float (n * 200)
        Expect.floatClose { absolute = 0.0; relative = 0.05 } measured (Spectrum.variance s) "⟨|δB|²⟩/B0² = η/(1−η)" }

let localField =
    testList "local mean field (Sec. 3.3)" [
        test "averaged variance: 4π∫g without averaging, → 0 for long averages; ⟨cos α⟩ = 0.7578 at η = 0.5 without averaging" {
            let s = Spectrum.create (5.0 / 3.0) 0.01 200.0 0.5
            Expect.floatClose { absolute = 0.0; relative = 1e-6 } (LocalField.averagedVariance s 1e-9) (Spectrum.variance s / 2.0) "L → 0: one component's full variance"
            Expect.isLessThan (LocalField.averagedVariance s 1e6) (1e-3 * Spectrum.variance s / 2.0) "L ≫ 1/k_min: the average vanishes"
            // √π e erfc(1), the closed form at m = 2σ² = η/(1 − η) = 1
            Expect.floatClose { absolute = 1e-6; relative = 0.0 } (LocalField.meanCosAlpha s 1e-9) 0.757872156 "⟨cos α⟩ at m = 1" }
        test "generated fields: the variance of the averaged field and ⟨cos α⟩ agree with LocalField within their scatter (200 realisations)" {
            let s = Spectrum.create (5.0 / 3.0) 0.01 200.0 0.5
            let bands = SlabField.Layout(s, 100_000L)
            let length = 5.0
            let measured (f: SlabField) = LocalField.measure (f.Parts()) length
            let samples = [| for r in 0 .. 199 -> measured (SlabField.Generate(s, bands, uint64 (500 + r))) |]
            let components = samples |> Array.collect (fun struct (b, _) -> [| b.[0]; b.[1] |])
            let variance = components |> Array.averageBy (fun v -> v * v)
            let expected = LocalField.averagedVariance s length
            // a mean of 400 squared Gaussians: relative scatter √(2/400) = 7%; allow 3.5σ
            Expect.floatClose { absolute = 0.0; relative = 3.5 * sqrt (2.0 / 400.0) } variance expected "⟨b̄_x²⟩ = 4π∫g sinc²(kL/2)"
            let cos = samples |> Array.map (fun struct (_, c) -> c)
            let mean = Array.average cos
            let err = sqrt ((cos |> Array.averageBy (fun c -> (c - mean) * (c - mean))) / float cos.Length)
            Expect.isLessThan (abs (mean - LocalField.meanCosAlpha s length)) (3.5 * err) $"⟨cos α⟩ = {mean:F4} ± {err:F4} vs {LocalField.meanCosAlpha s length:F4}" }
    ]

let qlt =
    test "pitch-angle scattering in weak turbulence (⟨δB²⟩/B0² = 0.01, μ = 0.5): ⟨Δμ²⟩(t) = QLT unperturbed-orbit value within 2%, Ωt ≤ 3" {
        let eta = 0.01 / 1.01
        let s = Spectrum.create (5.0 / 3.0) 0.3 20.0 eta
        let bands = SlabField.Layout(s, 1L <<< 30)
        use pusher = cpu ()
        let mu, np, nreal, dt = 0.5, 2000, 300, 0.005
        let times = [| 1.0; 2.0; 3.0 |]
        let sums = Array.zeroCreate 3
        for r in 0 .. nreal - 1 do
            pusher.Load(SlabField.Generate(s, bands, uint64 (9000 + r)))
            let mutable rng = Rng(uint64 (77 + r))
            let up = sqrt (1.0 - mu * mu)
            let ps = Array.init np (fun _ ->
                let ph = 2.0 * Math.PI * rng.Uniform()
                Particle(0.0, 0.0, bands.[0].Period * rng.Uniform(), up * cos ph, up * sin ph, mu))
            let mutable prev = 0
            for k in 0 .. 2 do
                let steps = int (round (times.[k] / dt))
                push pusher ps dt 1.0 (steps - prev)
                prev <- steps
                sums.[k] <- sums.[k] + (ps |> Array.sumBy (fun p -> (p.Uz - mu) ** 2.0))
        allClose "⟨Δμ²⟩" [ for k in 0 .. 2 -> rel $"Ωt = {times.[k]}" (Qlt.pitchAngleSpread s mu times.[k]) (sums.[k] / float (np * nreal)) 0.02 0.0 ] }

/// One body for every backend (ILGPU.Tests' pattern): the same field and sky pushed on the CPU path and on
/// `other`, compared particle by particle with `same`.
let private backendAgreement (other: DeviceKind) (nside: int) (steps: int) (same: Particle -> Particle -> bool) =
    let s = Spectrum.create (5.0 / 3.0) 0.01 100.0 0.5
    let field = SlabField.Generate(s, SlabField.Layout(s, 1L <<< 20), 3UL)
    Expect.isGreaterThan field.Bands.Length 1 "a nested field"
    use a = Accelerators.Create DeviceKind.Cpu
    use b = Accelerators.Create other
    let struct (pa, pb) = Accelerators.SideBySide(a, b, field, Backtrack.Sky nside, 0.02, -1.0, steps)
    for i in 0 .. pa.Length - 1 do
        Expect.isTrue (same pa.[i] pb.[i]) $"particle {i}: z = {pa.[i].Z:R} (CPU) vs {pb.[i].Z:R} ({other})"

let kernel =
    test "ILGPU kernel on its CPU accelerator ≡ the CPU path, bit for bit" {
        backendAgreement DeviceKind.IlgpuCpu 4 700 (fun a b -> a.Equals b) }

let lanes =
    test "vector lanes (4 and 8 wide) ≡ the scalar step, bit for bit: 1 to 4 grids, 101 particles (a partial block), heights up to 1e7 c/Ω, 1500 steps" {
        let expected =
            if Runtime.Intrinsics.Vector512.IsHardwareAccelerated then "8 vector lanes"
            elif Runtime.Intrinsics.Vector256.IsHardwareAccelerated then "4 vector lanes"
            else "scalar step"
        Expect.stringContains (cpu ()).Device expected "the CPU path takes the widest vectors .NET accelerates here"
        let s = Spectrum.create (5.0 / 3.0) 0.01 100.0 0.5
        let start =
            [| for i in 0 .. 100 ->
                let mu = -1.0 + (2.0 * float i + 1.0) / 101.0
                let up = sqrt (1.0 - mu * mu)
                // far heights, both signs: the grid index wraps many periods
                let z = if i % 3 = 0 then float (i - 50) * 2e5 else 0.0
                Particle(0.0, 0.0, z, up * cos (2.4 * float i), up * sin (2.4 * float i), mu) |]
        use scalar = Accelerators.Create(DeviceKind.Cpu, threads = 1, path = CpuPath.Scalar)
        // each width forced: on a machine without such vectors .NET emulates them, and the comparison still holds
        for path in [ CpuPath.Lanes4; CpuPath.Lanes8 ] do
            use vector = Accelerators.Create(DeviceKind.Cpu, threads = 2, path = path)
            for grids in 1 .. NestedField<ArrayTable>.MaxGrids do
                let field = SlabField.Generate(s, SlabField.Split(s.KMin, s.KMax, grids), uint64 (5 + grids))
                let struct (pv, ps) = Accelerators.SideBySide(vector, scalar, field, start, 0.05, -1.0, 1500)
                for i in 0 .. pv.Length - 1 do
                    Expect.isTrue (pv.[i].Equals ps.[i]) $"{path}, {grids} grids, particle {i}: x = {pv.[i].X:R}, z = {pv.[i].Z:R}, u_z = {pv.[i].Uz:R} (lanes) vs {ps.[i].X:R}, {ps.[i].Z:R}, {ps.[i].Uz:R} (scalar)"
                Expect.isGreaterThan (ps |> Array.map (fun p -> abs p.Z) |> Array.max) 1e7 "heights beyond 1e7 c/Ω" }

/// A small backtracking ensemble at ρ = 0.09 (10 PV), λ_min = r_g/10, computed in memory.
let private ensemble (nside: int) (realizations: int) (times: float[]) (stepGyro: float) =
    let study = Study.Of(Settings.study 0.09 (2.0 * Math.PI * 10.0 / sqrt 0.5) times nside realizations 2026UL stepGyro)
    use pusher = cpu ()
    study, Ensemble.ofRealizations [| for r in 0 .. realizations - 1 -> (Backtrack.Realization(study, pusher, r)).Summary |]

let ensembles =
    testList "ensembles (ρ = 0.09)" [
        test "step convergence: halving the step leaves K_zz(T) and C_ℓ/C_1 unchanged within their errors" {
            let times = [| 10.0; 30.0; 100.0 |]
            let s1, e1 = ensemble 8 12 times 0.01
            let _, e2 = ensemble 8 12 times 0.005
            Expect.isLessThan s1.Dt 0.07 "default step ≈ 0.063/Ω"
            for t in 0 .. times.Length - 1 do
                let err = e1.Dz2Err.[t] / (2.0 * e1.Times.[t])
                Expect.isLessThan (abs (e1.Kzz t - e2.Kzz t)) (2.0 * err) $"K_zz at ΩT = {times.[t]}: {e1.Kzz t:F3} vs {e2.Kzz t:F3} ± {err:F3}"
            for l in 2 .. 6 do
                let err = max e1.RatioErr.[2].[l] e2.RatioErr.[2].[l]
                Expect.isLessThan (abs (e1.Ratio.[2].[l] - e2.Ratio.[2].[l])) (2.0 * err) $"C_{l}/C_1 at ΩT = 100" }
        test "noise plateau: at ΩT = 300 the self-consistent N equals the mean C_ℓ at 2Nside ≤ ℓ < 3Nside within its scatter (Nside 16)" {
            let _, e = ensemble 16 4 [| 300.0 |] 0.01
            let ls = [ 32 .. 47 ]
            let plateau = ls |> List.averageBy (fun l -> e.ClNum.[0].[l])
            // white noise: each C_ℓ is a mean of (2ℓ+1)·realisations squared Gaussians
            let modes = ls |> List.sumBy (fun l -> float (2 * l + 1) * float e.Count)
            let sigma = sqrt (2.0 / modes)
            printfn "N/plateau at ΩT = 300, Nside 16: %.3f (σ = %.3f)" (e.Noise.[0] / plateau) sigma
            Expect.floatClose { absolute = 0.0; relative = 3.5 * sigma } e.Noise.[0] plateau "N = the white plateau" }
        test "noise: at late T the self-consistent N is within 35% of eq. 7's (4π/N_pix)⟨(Δr·ĝ)²⟩ (the whole map variance); K_zz within 3× of QLT" {
            let s, e = ensemble 8 8 [| 300.0 |] 0.01
            // the self-consistent estimator is tested on white maps of known variance (SkyTests); here, eq. 7 is
            // the independent level: once the map is noise-dominated the two must agree to tens of per cent
            let ratio = e.Noise.[0] / e.NoiseEq7.[0]
            printfn "N/N_eq7 at ΩT = 300, Nside 8: %.3f" ratio
            Expect.isTrue (ratio > 0.65 && ratio < 1.35) $"N/N_eq7 = {ratio}"
            let kzz = e.Kzz 0 / s.KzzQlt
            printfn "K_zz(ΩT = 300)/QLT = %.3f at ρ = 0.09, η = 0.5 (an independent run: 0.59 at ΩT = 1000)" kzz
            Expect.isTrue (kzz > 1.0 / 3.0 && kzz < 3.0) $"K_zz/QLT = {kzz}" }
    ]

let cuda =
    test "CUDA kernel ≡ CPU path to round-off (GPU FMA contraction): skipped without an NVIDIA GPU" {
        if not (Accelerators.HasCuda()) then skiptest "no NVIDIA GPU on this machine (CI has none); run ./run-tests on a GPU host"
        // chaotic growth of the FMA rounding differences over ΩT = 10 stays below 1e-9 of the path
        backendAgreement DeviceKind.Cuda 8 500 (fun a b -> abs (a.X - b.X) + abs (a.Y - b.Y) + abs (a.Z - b.Z) < 1e-8) }

let tests = testList "engine" [ uniformField; fieldStatistics; localField; qlt; kernel; lanes; cuda; ensembles ]
