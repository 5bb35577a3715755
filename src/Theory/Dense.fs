namespace SkyMix.Theory

#nowarn "9" // native pointers inside the matrix-product kernel

open System
open System.Runtime.Intrinsics
open System.Threading.Tasks
open Microsoft.FSharp.NativeInterop

/// Dense row-major matrix products for the κ quadrature (the one place where SkyMix needs BLAS-3 speed).
///
/// Algorithm: the columns of B are packed in panels of 8; a 4 × 8 register block of C (eight Vector256
/// accumulators) is updated with one FMA per (row, half-panel) and step of the inner dimension; panels
/// are shared out over the cores. The same products and sums as the textbook triple loop, but fused
/// multiply-adds and another order of the additions change the last bits (tests compare with it).
[<RequireQualifiedAccess>]
module Dense =

    /// C (m × n) = A (m × k) · B (k × n), all row-major.
    let multiply (a: float[]) (m: int) (k: int) (b: float[]) (n: int) : float[] =
        if a.Length <> m * k || b.Length <> k * n then inputError "matrix dimensions do not match their data"
        let c = Array.zeroCreate (m * n)
        let panels = (n + 7) / 8
        Parallel.For(0, panels, (fun () -> Array.zeroCreate (k * 8)), (fun jp _ (packed: float[]) ->
            let j0 = jp * 8
            let width = min 8 (n - j0)
            // pack B[:, j0 .. j0+7] row by row (zero padding past n)
            for p in 0 .. k - 1 do
                for q in 0 .. 7 do
                    packed.[p * 8 + q] <- if q < width then b.[p * n + j0 + q] else 0.0
            use pb = fixed packed
            use pa = fixed a
            let mutable i = 0
            while i < m do
                let rows = min 4 (m - i)
                let mutable c00, c01, c10, c11 = Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero
                let mutable c20, c21, c30, c31 = Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero, Vector256<float>.Zero
                let r0 = NativePtr.add pa (i * k)
                let r1 = NativePtr.add pa ((i + min 1 (rows - 1)) * k)
                let r2 = NativePtr.add pa ((i + min 2 (rows - 1)) * k)
                let r3 = NativePtr.add pa ((i + min 3 (rows - 1)) * k)
                for p in 0 .. k - 1 do
                    let bp = NativePtr.add pb (p * 8)
                    let b0 = Vector256.Load bp
                    let b1 = Vector256.Load(NativePtr.add bp 4)
                    let a0 = Vector256.Create(NativePtr.get r0 p)
                    c00 <- Vector256.FusedMultiplyAdd(a0, b0, c00)
                    c01 <- Vector256.FusedMultiplyAdd(a0, b1, c01)
                    let a1 = Vector256.Create(NativePtr.get r1 p)
                    c10 <- Vector256.FusedMultiplyAdd(a1, b0, c10)
                    c11 <- Vector256.FusedMultiplyAdd(a1, b1, c11)
                    let a2 = Vector256.Create(NativePtr.get r2 p)
                    c20 <- Vector256.FusedMultiplyAdd(a2, b0, c20)
                    c21 <- Vector256.FusedMultiplyAdd(a2, b1, c21)
                    let a3 = Vector256.Create(NativePtr.get r3 p)
                    c30 <- Vector256.FusedMultiplyAdd(a3, b0, c30)
                    c31 <- Vector256.FusedMultiplyAdd(a3, b1, c31)
                let store (row: int) (lo: Vector256<float>) (hi: Vector256<float>) =
                    if row < rows then
                        for q in 0 .. width - 1 do
                            c.[(i + row) * n + j0 + q] <- if q < 4 then lo.GetElement q else hi.GetElement(q - 4)
                store 0 c00 c01
                store 1 c10 c11
                store 2 c20 c21
                store 3 c30 c31
                i <- i + 4
            packed), ignore)
        |> ignore
        c

    /// C (m × n) = A Bᵀ for A (m × k) and B (n × k), row-major.
    let multiplyTransposed (a: float[]) (m: int) (k: int) (b: float[]) (n: int) : float[] =
        let bt = Array.zeroCreate (k * n)
        for i in 0 .. n - 1 do
            for p in 0 .. k - 1 do bt.[p * n + i] <- b.[i * k + p]
        multiply a m k bt n
