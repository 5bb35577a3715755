#!/usr/bin/python3
"""Independent references for SkyMix special functions not covered by the oracle set in tests/reference.

Run with Debian's python3 (mpmath 1.2.1):  /usr/bin/python3 tests/data/gen_special.py
Writes sici.csv (Si, Cin) and legendre_pq.csv (Legendre P_l and Ferrers Q_l on the cut),
each value evaluated at mp.dps = 40 for the exact double input and printed with %.17g.
"""
import mpmath as mp

mp.mp.dps = 40
here = __file__.rsplit('/', 1)[0]

with open(f"{here}/sici.csv", "w") as out:
    out.write("x,si,cin\n")
    xs = [1e-8, 1e-3, 0.01, 0.1, 0.5, 1.0, 1.5, 1.999, 2.0, 2.001, 3.0, 4.0, 5.0, 7.5, 10.0, 20.0,
          31.4, 50.0, 100.0, 333.3, 1e3, 1e4, 1e5, 1e6]
    for x in xs + [-v for v in xs[:8]]:
        xm = mp.mpf(x)
        si = mp.si(xm)
        # Cin(x) = gamma + ln|x| - Ci(|x|) = int_0^x (1 - cos t)/t dt
        cin = mp.quad(lambda t: (1 - mp.cos(t)) / t, [0, xm]) if abs(x) < 2 else mp.euler + mp.log(abs(xm)) - mp.ci(abs(xm))
        out.write("%.17g,%.17g,%.17g\n" % (x, float(si), float(cin)))

with open(f"{here}/legendre_pq.csv", "w") as out:
    out.write("l,x,p,q\n")
    for l in [0, 1, 2, 3, 4, 5, 10, 37, 50, 100, 200]:
        for x in [-0.99, -0.9, -0.3, 0.0, 0.2, 0.5, 0.75, 0.9, 0.99, 0.9999]:
            xm = mp.mpf(x)
            p = mp.legendre(l, xm)
            q = mp.legenq(l, 0, xm, type=2, zeroprec=400)
            out.write("%d,%.17g,%.17g,%.17g\n" % (l, x, float(p), float(mp.re(q))))
