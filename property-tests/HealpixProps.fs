/// HEALPix round trips and the equal-area property on random pixels and directions.
module SkyMix.PropertyTests.HealpixProps

open System
open FsCheck
open FsCheck.FSharp
open Expecto
open SkyMix.Theory
open SkyMix.PropertyTests.Gen

let private pixelOf (maxOrder: int) =
    gen {
        let! n = nside maxOrder
        let! p = Gen.choose64 (0L, Healpix.npix n - 1L)
        return n, p
    }

let tests =
    testList "HEALPix properties" [
        testPropertyWithConfig config "ang2pix(pix2ang(p)) = p, RING and NEST, Nside ≤ 8192" (
            Prop.forAll (Arb.fromGen (pixelOf 13)) (fun (n, p) ->
                let struct (a, b) = Healpix.pix2angRing n p
                let struct (c, d) = Healpix.pix2angNest n p
                Healpix.ang2pixRing n a b = p && Healpix.ang2pixNest n c d = p))
        testPropertyWithConfig config "nest2ring ∘ ring2nest = id and the two schemes give the same centre" (
            Prop.forAll (Arb.fromGen (pixelOf 13)) (fun (n, p) ->
                let q = Healpix.ring2nest n p
                let struct (a, b) = Healpix.pix2angRing n p
                let struct (c, d) = Healpix.pix2angNest n q
                Healpix.nest2ring n q = p && abs (a - c) < 1e-13 && abs (b - d) < 1e-13))
        testPropertyWithConfig config "a random direction lies within one pixel size of its pixel's centre" (
            Prop.forAll (Arb.fromGen (Gen.zip (nside 10) theta)) (fun (n, th) ->
                let phi = 2.0 * Math.PI * (th * 1e4 - floor (th * 1e4))
                let struct (a, b) = Healpix.pix2angRing n (Healpix.ang2pixRing n th phi)
                // angular distance between (θ, φ) and the centre
                let cosd = cos th * cos a + sin th * sin a * cos (phi - b)
                let size = sqrt (4.0 * Math.PI / float (Healpix.npix n))
                acos (min 1.0 cosd) < 1.5 * size))
        testPropertyWithConfig { config with maxTest = 4 } "equal areas: a uniform (cos θ, φ) grid puts Npix⁻¹ of its points in every pixel (±4%)" (
            Prop.forAll (Arb.fromGen (Gen.zip (nside 3) (Gen.choose (0, 999)))) (fun (n, offset) ->
                let m = 1500
                let counts = Array.zeroCreate (int (Healpix.npix n))
                let shift = float offset / 1000.0
                for i in 0 .. m - 1 do
                    let th = acos (1.0 - 2.0 * (float i + 0.5) / float m)
                    for j in 0 .. m - 1 do
                        let phi = 2.0 * Math.PI * (float j + shift) / float m
                        let p = Healpix.ang2pixRing n th phi
                        counts.[int p] <- counts.[int p] + 1
                let expected = float (m * m) / float counts.Length
                counts |> Array.forall (fun c -> abs (float c - expected) < 0.04 * expected)))
    ]
