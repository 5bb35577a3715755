#!/usr/bin/env python3
"""The running diffusion coefficient K_zz(T) of a run against quasi-linear theory.

Make the input first (about a minute on 2 cores):

    ./skymix simulate --rigidity 10PV --realizations 4 --out runs/example

then

    python3 examples/kzz_vs_qlt.py runs/example kzz.png

K_zz(T) = <(Delta z)^2>/(2T) from diffusion.csv (units c^2/Omega, jackknife errors over realisations);
QLT's K_zz and Omega tau_s = 3 Omega K_zz from run.json. Ballistic at Omega T << Omega tau_s, K_zz(T) grows
as T/6 (<v_z^2> = c^2/3) and flattens once the particles have scattered.
"""
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

run, png = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "kzz.png"
d = pd.read_csv(os.path.join(run, "diffusion.csv"))
with open(os.path.join(run, "run.json")) as f:
    derived = json.load(f)["derived"]
kzz_qlt, tau = derived["K_zz_QLT"], derived["Omega_tau_s_QLT"]
print(f"QLT: K_zz = {kzz_qlt:.4g} c^2/Omega, Omega tau_s = {tau:.4g}")
print(" Omega T     K_zz(T)     +- err   K_zz/QLT")
for t, k, e in zip(d["T"], d["kzz"], d["kzz_err"]):
    print(f"{t:8.3g}  {k:10.4g}  {e:9.2g}  {k / kzz_qlt:9.3f}")
fig, ax = plt.subplots(figsize=(7, 5))
ax.errorbar(d["T"], d["kzz"], yerr=d["kzz_err"], fmt="o-", label="simulation, $K_{zz}(T)$")
ax.axhline(kzz_qlt, color="k", ls="--", label="QLT")
t = np.geomspace(d["T"].min(), d["T"].max(), 100)
ax.plot(t, t / 6, color="gray", ls=":", label="ballistic, $T/6$")
ax.axvline(tau, color="gray", lw=0.8)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"backtracking time $\Omega T$")
ax.set_ylabel(r"$K_{zz}$  [$c^2/\Omega$]")
ax.legend()
fig.savefig(png, dpi=120, bbox_inches="tight")
print(f"wrote {png}")
