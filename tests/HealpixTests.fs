/// HEALPix geometry against healpy 1.16.1 (reference section 3).
module SkyMix.Tests.HealpixTests

open System
open Expecto
open SkyMix.Theory
open SkyMix.Tests.Check

let private pixelTable nside =
    test $"Nside {nside}: pix2ang RING/NEST within 1e-13, ring2nest and nest2ring exact" {
        let t = Reference.read $"healpix_pix_nside{nside}.csv"
        let pix = t.Ints "ipix"
        let thR, phR, thN, phN = t.Floats "theta_ring", t.Floats "phi_ring", t.Floats "theta_nest", t.Floats "phi_nest"
        let r2n, n2r = t.Ints "ring2nest", t.Ints "nest2ring"
        let cases =
            [| for k in 0 .. pix.Length - 1 do
                   let p = pix.[k]
                   let struct (a, b) = Healpix.pix2angRing nside p
                   let struct (c, d) = Healpix.pix2angNest nside p
                   yield case $"θ_ring({p})" thR.[k] a Tol.angle
                   yield case $"φ_ring({p})" phR.[k] b Tol.angle
                   yield case $"θ_nest({p})" thN.[k] c Tol.angle
                   yield case $"φ_nest({p})" phN.[k] d Tol.angle
                   yield case $"ring2nest({p})" (float r2n.[k]) (float (Healpix.ring2nest nside p)) 0.0
                   yield case $"nest2ring({p})" (float n2r.[k]) (float (Healpix.nest2ring nside p)) 0.0 |]
        Expect.equal pix.Length (int (Healpix.npix nside)) "every pixel listed"
        allClose $"Nside {nside}" cases }

let tests =
    testList "HEALPix vs healpy" [
        for nside in [ 1; 2; 4; 8; 16; 32 ] do pixelTable nside
        test "ringinfo: start pixel, pixel count and shift exact, cos θ and sin θ to 1e-15" {
            let t = Reference.read "healpix_rings.csv"
            let cases =
                [| for r in t.Rows do
                       let nside, ring = Reference.i r.[0], Reference.i r.[1]
                       let struct (start, count, z, s, shifted) = Healpix.ringInfo nside ring
                       let label = $"Nside {nside} ring {ring}"
                       yield case $"{label} startpix" (Reference.f r.[2]) (float start) 0.0
                       yield case $"{label} ringpix" (Reference.f r.[3]) (float count) 0.0
                       yield case $"{label} cos θ" (Reference.f r.[4]) z 1e-15
                       yield case $"{label} sin θ" (Reference.f r.[5]) s 1e-15
                       yield case $"{label} shifted" (Reference.f r.[6]) (if shifted then 1.0 else 0.0) 0.0 |]
            allClose "ringinfo" cases }
        test "ang2pix RING and NEST exact, including the poles" {
            let t = Reference.read "healpix_ang2pix.csv"
            let cases =
                [| for r in t.Rows do
                       let nside, th, ph = Reference.i r.[0], Reference.f r.[1], Reference.f r.[2]
                       let label = $"Nside {nside} ({th:R}, {ph:R})"
                       yield case $"{label} ring" (Reference.f r.[3]) (float (Healpix.ang2pixRing nside th ph)) 0.0
                       yield case $"{label} nest" (Reference.f r.[4]) (float (Healpix.ang2pixNest nside th ph)) 0.0 |]
            allClose "ang2pix" cases }
        test "worked example of the module doc: ang2pix(16, π/2, 0) = 1440 (RING), 1216 (NEST)" {
            Expect.equal (Healpix.ang2pixRing 16 (Math.PI / 2.0) 0.0) 1440L "ring"
            Expect.equal (Healpix.ang2pixNest 16 (Math.PI / 2.0) 0.0) 1216L "nest" }
        test "Nside 8192: ring2nest ∘ nest2ring = id on a sample and Npix = 805306368" {
            let nside = 8192
            Expect.equal (Healpix.npix nside) 805306368L "Npix"
            for p in [ 0L; 1L; 12345678L; 402653184L; 805306367L ] do
                Expect.equal (Healpix.ring2nest nside (Healpix.nest2ring nside p)) p $"pixel {p}" }
        test "invalid Nside and pixel are rejected with a clear message" {
            Expect.throwsT<InputError> (fun () -> Healpix.pix2angRing 3 0L |> ignore) "Nside 3"
            Expect.throwsT<InputError> (fun () -> Healpix.pix2angRing 4 192L |> ignore) "pixel 192 at Nside 4" }
    ]
