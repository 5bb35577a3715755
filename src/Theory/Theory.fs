/// The theory library's front door: the few validated entry points that the host (src/Gpu) and the
/// command line (src/Cli) call. Everything below it is pure: parameters in, numbers out.
module SkyMix.Theory.Api

/// Angular power spectrum C_ℓ (ℓ = 0 … lmax) of a HEALPix RING map, as healpy.anafast(map, lmax, iter)
/// with use_weights = False and no monopole/dipole removal. lmax may exceed 3·Nside − 1.
let angularSpectrum (map: float[]) (lmax: int) (iter: int) : float[] = Sky.anafast map lmax iter
