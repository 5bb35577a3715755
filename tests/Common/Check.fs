/// Named tolerances and a table-wide closeness check that reports the worst offenders.
module SkyMix.Tests.Check

open Expecto

/// Tolerances used across the tests, by what they stand for.
module Tol =
    /// Double-precision special functions against high-precision references (sympy, mpmath).
    let special = 1e-12
    /// Angles of HEALPix pixel centres against healpy.
    let angle = 1e-13
    /// Spectra and transforms against healpy (the issue's 1e-10).
    let healpy = 1e-10

/// One comparison: a label, the reference, the computed value and the allowed |difference|.
type Case = { Label: string; Expected: float; Actual: float; Allowed: float }

let case label expected actual allowed = { Label = label; Expected = expected; Actual = actual; Allowed = allowed }

/// Relative tolerance rtol with an absolute floor atol.
let rel label expected actual rtol atol = case label expected actual (rtol * abs expected + atol)

/// Fails listing the worst cases (by |difference|/allowed) when any case is outside its tolerance.
let allClose (what: string) (cases: Case seq) =
    let cases = Seq.toArray cases
    Expect.isGreaterThan cases.Length 0 $"{what}: no cases compared"
    let ratio c =
        if System.Double.IsNaN c.Actual || System.Double.IsNaN c.Expected || System.Double.IsNaN c.Allowed then infinity
        elif c.Allowed = 0.0 then (if c.Actual = c.Expected then 0.0 else infinity)
        else abs (c.Actual - c.Expected) / c.Allowed
    let bad = cases |> Array.filter (fun c -> ratio c > 1.0) |> Array.sortByDescending ratio
    if bad.Length > 0 then
        let lines =
            bad
            |> Array.truncate 8
            |> Array.map (fun c -> $"  {c.Label}: expected {c.Expected:R}, got {c.Actual:R} (allowed ±{c.Allowed:E2})")
        failtestf "%s: %d of %d cases outside tolerance\n%s" what bad.Length cases.Length (String.concat "\n" lines)
