#!/usr/bin/env python3
"""A sky map of one realisation with healpy's mollview, before and after removing monopole and dipole.

Make the input first (about a minute on 2 cores):

    ./skymix simulate --rigidity 10PV --realizations 4 --out runs/example

then

    python3 examples/map_mollview.py runs/example/realizations/0000/map_011.fits map.png

SkyMix writes each map as healpy's write_map does (RING, float64, one column). The map is f(p)/<f> - 1 per
unit gradient, in units of (c/Omega)|grad <f>/<f>|, as a function of the momentum direction p; particles
arrive from -p, so a sky of arrival directions is the map seen through the origin (healpy: the antipode).
"""
import sys

import matplotlib
matplotlib.use("Agg")
import healpy as hp
import matplotlib.pyplot as plt

fits, png = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "map.png"
m = hp.read_map(fits, dtype=None)
nside = hp.get_nside(m)
print(f"{fits}: Nside {nside}, {m.size} pixels, mean {m.mean():.4g}, rms {m.std():.4g}")
cl = hp.anafast(m, iter=0)  # SkyMix's cl.csv uses iter=0 as well (healpy's default is 3)
print(f"C_1 = {cl[1]:.4g}, C_2 = {cl[2]:.4g} in (c/Omega)^2 |grad <f>/<f>|^2")
fig = plt.figure(figsize=(12, 4))
unit = r"$(c/\Omega)|\nabla\bar f/\bar f|$"
hp.mollview(m, fig=fig.number, sub=(1, 2, 1), title="f/<f> - 1", unit=unit, cmap="RdBu_r")
hp.mollview(hp.remove_dipole(m), fig=fig.number, sub=(1, 2, 2),
            title="monopole and dipole removed", unit=unit, cmap="RdBu_r")
fig.savefig(png, dpi=110, bbox_inches="tight")
print(f"wrote {png}")
