#!/usr/bin/env python3
"""Simulated C_l/C_1 (noise-subtracted, jackknife errors) against the fitted mixing-equation spectrum.

Make the inputs first (about a minute on 2 cores):

    ./skymix simulate --rigidity 10PV --realizations 4 --out runs/example
    ./skymix fit runs/example --out fit-example

then

    python3 examples/spectrum_vs_theory.py fit-example/fit.json spectrum.png

Reads fit.json (the fit and the model spectrum) and the run's cl.csv (the ensemble spectra at every
output time) with pandas, prints data, error and model for l = 2 ... l_fit with the chi^2, and draws both.
"""
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

fit_json, png = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "spectrum.png"
with open(fit_json) as f:
    fit = json.load(f)

fig, ax = plt.subplots(figsize=(7, 5))
for run in fit["rigidities"]:
    cl = pd.read_csv(os.path.join(run["run"], "cl.csv"))
    # the rows of the time the fit used (T is written to full precision in both files)
    at = cl[np.isclose(cl["T"], run["T"], rtol=1e-12)]
    l = at["l"].to_numpy()
    data, err = at["ratio"].to_numpy(), at["ratio_err"].to_numpy()
    model = np.array(run["model_ratio"])
    lfit = run["l_fit"]
    fitted = (l >= 2) & (l <= lfit)
    chi2 = np.sum(((data[fitted] - model[l[fitted]]) / err[fitted]) ** 2)
    label = run.get("rigidity_V")
    label = f"{label / 1e15:g} PV" if label else f"rho = {run['rho']:.3g}"
    print(f"{label}: Omega T = {run['T']:.4g}, best Omega Delta T = {run['omega_dt']:.2f}, "
          f"chi^2 = {chi2:.2f} for {fitted.sum()} multipoles (fit.json: {run['chi2']:.2f}, {run['dof']} dof)")
    print("   l   C_l/C_1 (sim)   +- jackknife   mixing equation")
    for k in np.flatnonzero(fitted):
        print(f"{l[k]:4d}   {data[k]:13.4e}   {err[k]:12.2e}   {model[l[k]]:15.4e}")
    shown = (l >= 2) & (l <= max(lfit, 10)) & (data > 0)
    points = ax.errorbar(l[shown], data[shown], yerr=err[shown], fmt="o", label=f"{label}, simulated")
    lm = np.arange(1, min(len(model), 61))
    ax.plot(lm, model[lm], color=points[0].get_color(), label=f"mixing equation, $\\Omega\\Delta T$ = {run['omega_dt']:.1f}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel(r"multipole $\ell$")
ax.set_ylabel(r"$C_\ell / C_1$, noise-subtracted")
ax.legend()
fig.savefig(png, dpi=120, bbox_inches="tight")
print(f"wrote {png}")
