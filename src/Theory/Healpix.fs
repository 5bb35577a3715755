namespace SkyMix.Theory

open System

/// One iso-latitude ring of a pixelisation, as the spherical-harmonic transforms see it (ducc0 style:
/// the transforms know rings, not HEALPix). Pixels j = 0 … NPix−1 of the ring sit at
/// φ_j = Phi0 + 2πj/NPix and are stored at FirstPix + j.
type Ring =
    { Cos: float
      Sin: float
      NPix: int
      Phi0: float
      FirstPix: int64 }

/// HEALPix geometry (Górski et al. 2005, ApJ 622, 759), RING and NESTED schemes, Nside = 2^k ≤ 8192.
/// The arithmetic follows HEALPix C++ (healpix_base.cc), so pixel indices equal healpy's exactly and
/// angles agree to ~1e-16 (measured against healpy 1.16.1 for Nside 1 … 32, tests).
/// θ is the colatitude in [0, π], φ the longitude in [0, 2π). Pixel indices are 0-based int64.
/// Example: `ang2pixRing 16 (π/2, 0) = 1440`.
[<RequireQualifiedAccess>]
module Healpix =

    let private halfPi = Math.PI / 2.0
    let private invHalfPi = 2.0 / Math.PI
    let private jrll = [| 2L; 2L; 2L; 2L; 3L; 3L; 3L; 3L; 4L; 4L; 4L; 4L |]
    let private jpll = [| 1L; 3L; 5L; 7L; 0L; 2L; 4L; 6L; 1L; 3L; 5L; 7L |]

    /// True for Nside = 2^k, 1 ≤ Nside ≤ 8192.
    let isValidNside (nside: int) = nside >= 1 && nside <= 8192 && (nside &&& (nside - 1)) = 0

    let private checkNside nside =
        if not (isValidNside nside) then
            inputError $"Nside must be a power of two between 1 and 8192, got {nside}"

    let npix (nside: int) = 12L * int64 nside * int64 nside

    /// Nside of a full-sky map with npix pixels, or None when npix is not 12·Nside² for a valid Nside.
    let nsideOfNpix (npix: int64) =
        let n = int (round (sqrt (float npix / 12.0)))
        if n >= 1 && 12L * int64 n * int64 n = npix && isValidNside n then Some n else None

    let private order (nside: int) = Numerics.BitOperations.Log2(uint32 nside)

    let private isqrt (v: int64) =
        let mutable r = int64 (sqrt (float v + 0.5))
        while r * r > v do r <- r - 1L
        while (r + 1L) * (r + 1L) <= v do r <- r + 1L
        r

    let private spread (v: int64) =
        let mutable x = v &&& 0xFFFFFFFFL
        x <- (x ||| (x <<< 16)) &&& 0x0000FFFF0000FFFFL
        x <- (x ||| (x <<< 8)) &&& 0x00FF00FF00FF00FFL
        x <- (x ||| (x <<< 4)) &&& 0x0F0F0F0F0F0F0F0FL
        x <- (x ||| (x <<< 2)) &&& 0x3333333333333333L
        (x ||| (x <<< 1)) &&& 0x5555555555555555L

    let private compress (v: int64) =
        let mutable x = v &&& 0x5555555555555555L
        x <- (x ||| (x >>> 1)) &&& 0x3333333333333333L
        x <- (x ||| (x >>> 2)) &&& 0x0F0F0F0F0F0F0F0FL
        x <- (x ||| (x >>> 4)) &&& 0x00FF00FF00FF00FFL
        x <- (x ||| (x >>> 8)) &&& 0x0000FFFF0000FFFFL
        (x ||| (x >>> 16)) &&& 0xFFFFFFFFL

    let private xyf2nest (nside: int) (ix: int64) (iy: int64) (face: int64) =
        (face <<< (2 * order nside)) + spread ix + (spread iy <<< 1)

    let private nest2xyf (nside: int) (pix: int64) =
        let o = order nside
        let face = pix >>> (2 * o)
        let p = pix &&& ((1L <<< (2 * o)) - 1L)
        compress p, compress (p >>> 1), face

    let private xyf2ring (nside: int) (ix: int64) (iy: int64) (face: int64) =
        let ns = int64 nside
        let nl4 = 4L * ns
        let np = npix nside
        let ncap = 2L * ns * (ns - 1L)
        let jr = jrll.[int face] * ns - ix - iy - 1L
        let nr, nBefore, kshift =
            if jr < ns then jr, 2L * jr * (jr - 1L), 0L
            elif jr > 3L * ns then
                let nr = nl4 - jr
                nr, np - 2L * (nr + 1L) * nr, 0L
            else ns, ncap + (jr - ns) * nl4, (jr - ns) &&& 1L
        let mutable jp = (jpll.[int face] * nr + ix - iy + 1L + kshift) / 2L
        if jp > nl4 then jp <- jp - nl4
        elif jp < 1L then jp <- jp + nl4
        nBefore + jp - 1L

    let private ring2xyf (nside: int) (pix: int64) =
        let ns = int64 nside
        let np = npix nside
        let ncap = 2L * ns * (ns - 1L)
        let nl2 = 2L * ns
        let iring, iphi, kshift, nr, face =
            if pix < ncap then
                let iring = (1L + isqrt (1L + 2L * pix)) >>> 1
                let iphi = pix + 1L - 2L * iring * (iring - 1L)
                iring, iphi, 0L, iring, (iphi - 1L) / iring
            elif pix < np - ncap then
                let ip = pix - ncap
                let tmp = ip / (4L * ns)
                let iring = tmp + ns
                let iphi = ip - tmp * 4L * ns + 1L
                let kshift = (iring + ns) &&& 1L
                let ire = tmp + 1L
                let irm = nl2 + 1L - tmp
                let ifm = (iphi - (ire >>> 1) + ns - 1L) / ns
                let ifp = (iphi - (irm >>> 1) + ns - 1L) / ns
                let face = if ifp = ifm then ifp ||| 4L elif ifp < ifm then ifp else ifm + 8L
                iring, iphi, kshift, ns, face
            else
                let ip = np - pix
                let ir = (1L + isqrt (2L * ip - 1L)) >>> 1
                let iphi = 4L * ir + 1L - (ip - 2L * ir * (ir - 1L))
                2L * nl2 - ir, iphi, 0L, ir, (iphi - 1L) / ir + 8L
        let irt = iring - (2L + (face >>> 2)) * ns + 1L
        let mutable ipt = 2L * iphi - jpll.[int face] * nr - kshift - 1L
        if ipt >= nl2 then ipt <- ipt - 8L * ns
        (ipt - irt) >>> 1, (-ipt - irt) >>> 1, face

    let private checkPix nside (pix: int64) =
        checkNside nside
        if pix < 0L || pix >= npix nside then
            inputError $"pixel {pix} out of range 0 … {npix nside - 1L} for Nside {nside}"

    /// RING index → NESTED index.
    let ring2nest (nside: int) (pix: int64) =
        checkPix nside pix
        let ix, iy, face = ring2xyf nside pix
        xyf2nest nside ix iy face

    /// NESTED index → RING index.
    let nest2ring (nside: int) (pix: int64) =
        checkPix nside pix
        let ix, iy, face = nest2xyf nside pix
        xyf2ring nside ix iy face

    /// θ from z = cos θ, using an accurate sin θ where one is known (as HEALPix C++ does near the poles).
    let private theta (z: float) (sth: float) = Math.Atan2(sth, z)

    /// Centre (θ, φ) of RING pixel pix.
    let pix2angRing (nside: int) (pix: int64) : struct (float * float) =
        checkPix nside pix
        let ns = int64 nside
        let np = npix nside
        let ncap = 2L * ns * (ns - 1L)
        let fact2 = 4.0 / float np
        let fact1 = float (2L * ns) * fact2
        if pix < ncap then
            let iring = (1L + isqrt (1L + 2L * pix)) >>> 1
            let iphi = pix + 1L - 2L * iring * (iring - 1L)
            let tmp = float (iring * iring) * fact2
            let z = 1.0 - tmp
            struct (theta z (sqrt (tmp * (2.0 - tmp))), (float iphi - 0.5) * halfPi / float iring)
        elif pix < np - ncap then
            let ip = pix - ncap
            let tmp = ip / (4L * ns)
            let iring = tmp + ns
            let iphi = ip - tmp * 4L * ns + 1L
            let fodd = if ((iring + ns) &&& 1L) <> 0L then 1.0 else 0.5
            let z = float (2L * ns - iring) * fact1
            struct (theta z (sqrt ((1.0 - z) * (1.0 + z))), (float iphi - fodd) * Math.PI / float (2L * ns))
        else
            let ip = np - pix
            let iring = (1L + isqrt (2L * ip - 1L)) >>> 1
            let iphi = 4L * iring + 1L - (ip - 2L * iring * (iring - 1L))
            let tmp = float (iring * iring) * fact2
            let z = tmp - 1.0
            struct (theta z (sqrt (tmp * (2.0 - tmp))), (float iphi - 0.5) * halfPi / float iring)

    /// Centre (θ, φ) of NESTED pixel pix.
    let pix2angNest (nside: int) (pix: int64) : struct (float * float) =
        checkPix nside pix
        let ns = int64 nside
        let fact2 = 4.0 / float (npix nside)
        let fact1 = float (2L * ns) * fact2
        let ix, iy, face = nest2xyf nside pix
        let jr = (jrll.[int face] <<< order nside) - ix - iy - 1L
        let nr, z, sth =
            if jr < ns then
                let tmp = float (jr * jr) * fact2
                jr, 1.0 - tmp, sqrt (tmp * (2.0 - tmp))
            elif jr > 3L * ns then
                let nr = 4L * ns - jr
                let tmp = float (nr * nr) * fact2
                nr, tmp - 1.0, sqrt (tmp * (2.0 - tmp))
            else
                let z = float (2L * ns - jr) * fact1
                ns, z, sqrt ((1.0 - z) * (1.0 + z))
        let mutable tmp = jpll.[int face] * nr + ix - iy
        if tmp < 0L then tmp <- tmp + 8L * nr
        let phi = if nr = ns then 0.75 * halfPi * float tmp * fact1 else 0.5 * halfPi * float tmp / float nr
        struct (theta z sth, phi)

    let private checkAngle (th: float) (phi: float) =
        if not (th >= 0.0 && th <= Math.PI) then inputError $"θ must lie in [0, π], got {th}"
        if not (Double.IsFinite phi) then inputError $"φ must be finite, got {phi}"

    /// (z, tt, za, sth, haveSth) as HEALPix C++ loc2pix sees a direction.
    let private loc (th: float) (phi: float) =
        let z = cos th
        let haveSth = th < 0.01 || th > 3.14159 - 0.01
        let mutable tt = (phi * invHalfPi) % 4.0
        if tt < 0.0 then tt <- tt + 4.0
        if tt >= 4.0 then tt <- 0.0
        z, tt, abs z, sin th, haveSth

    let private polarTmp (ns: float) (za: float) (sth: float) (haveSth: bool) =
        if za < 0.99 || not haveSth then ns * sqrt (3.0 * (1.0 - za)) else ns * sth / sqrt ((1.0 + za) / 3.0)

    /// RING pixel containing direction (θ, φ).
    let ang2pixRing (nside: int) (th: float) (phi: float) : int64 =
        checkNside nside
        checkAngle th phi
        let ns = int64 nside
        let nl4 = 4L * ns
        let z, tt, za, sth, haveSth = loc th phi
        if za <= 2.0 / 3.0 then
            let temp1 = float ns * (0.5 + tt)
            let temp2 = float ns * z * 0.75
            let jp = int64 (temp1 - temp2)
            let jm = int64 (temp1 + temp2)
            let ir = ns + 1L + jp - jm
            let kshift = 1L - (ir &&& 1L)
            let t1 = jp + jm - ns + kshift + 1L + nl4 + nl4
            let ip = (t1 >>> 1) &&& (nl4 - 1L)
            2L * ns * (ns - 1L) + (ir - 1L) * nl4 + ip
        else
            let tp = tt - floor tt
            let tmp = polarTmp (float ns) za sth haveSth
            let jp = int64 (tp * tmp)
            let jm = int64 ((1.0 - tp) * tmp)
            let ir = jp + jm + 1L
            let ip = min (int64 (tt * float ir)) (4L * ir - 1L)
            if z > 0.0 then 2L * ir * (ir - 1L) + ip else npix nside - 2L * ir * (ir + 1L) + ip

    /// NESTED pixel containing direction (θ, φ).
    let ang2pixNest (nside: int) (th: float) (phi: float) : int64 =
        checkNside nside
        checkAngle th phi
        let ns = int64 nside
        let o = order nside
        let z, tt, za, sth, haveSth = loc th phi
        if za <= 2.0 / 3.0 then
            let temp1 = float ns * (0.5 + tt)
            let temp2 = float ns * (z * 0.75)
            let jp = int64 (temp1 - temp2)
            let jm = int64 (temp1 + temp2)
            let ifp = jp >>> o
            let ifm = jm >>> o
            let face = if ifp = ifm then ifp ||| 4L elif ifp < ifm then ifp else ifm + 8L
            let ix = jm &&& (ns - 1L)
            let iy = ns - (jp &&& (ns - 1L)) - 1L
            xyf2nest nside ix iy face
        else
            let ntt = min 3 (int tt)
            let tp = tt - float ntt
            let tmp = polarTmp (float ns) za sth haveSth
            let jp = min (int64 (tp * tmp)) (ns - 1L)
            let jm = min (int64 ((1.0 - tp) * tmp)) (ns - 1L)
            if z >= 0.0 then xyf2nest nside (ns - jm - 1L) (ns - jp - 1L) (int64 ntt)
            else xyf2nest nside jp jm (int64 ntt + 8L)

    /// Ring i (1-based, 1 … 4Nside−1) of the RING scheme, as healpy.ringinfo reports it:
    /// first pixel, pixel count, cos θ, sin θ and whether it is shifted (φ0 = π/NPix instead of 0).
    let ringInfo (nside: int) (ring: int) : struct (int64 * int * float * float * bool) =
        checkNside nside
        if ring < 1 || ring > 4 * nside - 1 then
            inputError $"ring must lie in 1 … {4 * nside - 1}, got {ring}"
        let ns = int64 nside
        let np = npix nside
        let fact2 = 4.0 / float np
        let fact1 = float (2L * ns) * fact2
        let northRing = if ring > 2 * nside then 4 * nside - ring else ring
        let i = int64 northRing
        let start, count, z, sth, shifted =
            if i < ns then
                let tmp = float (i * i) * fact2
                2L * i * (i - 1L), int (4L * i), 1.0 - tmp, sqrt (tmp * (2.0 - tmp)), true
            else
                let z = float (2L * ns - i) * fact1
                2L * ns * (ns - 1L) + (i - ns) * 4L * ns, int (4L * ns), z, sqrt ((1.0 - z) * (1.0 + z)),
                ((i - ns) &&& 1L) = 0L
        if northRing = ring then struct (start, count, z, sth, shifted)
        else struct (np - start - int64 count, count, -z, sth, shifted)

    /// All 4Nside−1 rings, north to south, in the form the spherical-harmonic transforms take.
    let rings (nside: int) : Ring[] =
        checkNside nside
        Array.init (4 * nside - 1) (fun k ->
            let struct (start, count, z, sth, shifted) = ringInfo nside (k + 1)
            { Cos = z
              Sin = sth
              NPix = count
              Phi0 = (if shifted then Math.PI / float count else 0.0)
              FirstPix = start })
