/// Study settings for the tests: the defaults of SkyMix.Theory.Defaults with what a test varies.
module SkyMix.Tests.Settings

open SkyMix.Runs
open SkyMix.Theory

/// A study at ρ (no physical rigidity), η = 0.5, with k_max, times, Nside, realisations, seed and the
/// step's gyro-period fraction given; every other setting is the default.
let study (rho: float) (kmax: float) (times: float[]) (nside: int) (realizations: int) (seed: uint64) (stepGyro: float) =
    StudySettings(
        Rho = rho, RigidityVolts = System.Nullable(), BrmsMicroGauss = Defaults.Study.bRmsMicroGauss, LcParsec = Defaults.Study.lcParsec,
        Eta = Defaults.Study.eta, Q = Defaults.Study.q, KMax = kmax, Nside = nside, Realizations = realizations, Seed = seed,
        Times = times, StepGyro = stepGyro, StepLambda = Defaults.Simulate.stepLambda, Gradient = Defaults.Simulate.gradient,
        MemoryBytes = int64 Defaults.Simulate.memoryMegabytes * (1L <<< 20), Maps = false, MixingL0 = [||])
