#!/usr/bin/python3
"""Figures and tables of docs/validation.md from run folders of `skymix simulate --mixing` and the CSV of
`skymix matrix` at the times reached (theory.csv in each folder). Usage:

    docs/tools/validation_figures.py weak   DIR...   # runs at one rho, several eta (weak turbulence)
    docs/tools/validation_figures.py map    DIR...   # runs at 1 PV, several eta, OmegaT up to tau_s

Prints Markdown tables and writes docs/fig_propagator_weak.png or docs/fig_propagator_map.png.
"""
import json, sys, os
import numpy as np, pandas as pd
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

here = os.path.dirname(os.path.abspath(__file__))


def load(d):
    m = pd.read_csv(os.path.join(d, "mixing.csv"))
    t = pd.read_csv(os.path.join(d, "theory.csv")).rename(columns={"omega_dt": "T", "m": "mt"})
    eta = json.load(open(os.path.join(d, "run.json")))["settings"]["eta"]
    x = m.merge(t, on=["T", "l0", "l"])
    x["dev"] = x.m - (x.l == x.l0)
    x["devt"] = x.mt - (x.l == x.l0)
    x["pull"] = (x.m - x.mt) / x.err
    return eta, x


def table(runs, lmax=8):
    print("| η | ΩT | 1 − M_ℓ0ℓ0 (theory), ℓ0 = " + ", ".join(str(l0) for l0 in sorted(runs[0][1].l0.unique())) +
          " | χ²/dof (ℓ ≤ %d) | largest \\|pull\\| | sim/theory of M − I at ℓ0 = 2, ℓ = 2 … 8 |" % lmax)
    print("|---|---|---|---|---|---|")
    for eta, x in runs:
        for T in sorted(x["T"].unique()):
            if T == 0:
                continue
            y = x[(x["T"] == T) & (x.l <= lmax)]
            diag = [f"{-y[(y.l0 == l0) & (y.l == l0)].devt.iloc[0]:.3f}" for l0 in sorted(y.l0.unique())]
            r = y[(y.l0 == 2) & (y.l >= 2)]
            ratios = " ".join(f"{a / b:.2f}" for a, b in zip(r.dev, r.devt))
            print(f"| {eta:g} | {T:.3g} | {', '.join(diag)} | {(y.pull ** 2).sum():.0f}/{len(y)} | {y.pull.abs().max():.1f} | {ratios} |")


def weak(dirs):
    runs = sorted((load(d) for d in dirs), key=lambda r: r[0])
    table(runs)
    fig, axes = plt.subplots(1, len(runs), figsize=(4.2 * len(runs), 4), sharey=True)
    for ax, (eta, x) in zip(np.atleast_1d(axes), runs):
        for k, T in enumerate(sorted(t for t in x["T"].unique() if t > 0)):
            y = x[(x["T"] == T) & (x.l0 == 2) & (x.l <= 12) & (x.l != 2)]
            ax.errorbar(y.l, y.m, y.err, fmt="o", ms=3, color=f"C{k}", label=f"simulated, ΩT = {T:.2f}")
            ax.plot(y.l, y.mt, "-", color=f"C{k}", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("ℓ")
        ax.set_title(f"η = {eta:g}: column ℓ0 = 2 (off-diagonal)")
    np.atleast_1d(axes)[0].set_ylabel("M_ℓ2(T)   (lines: I + 2M^(1a) + M^(1c))")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(here, "..", "fig_propagator_weak.png"), dpi=110)


def mapping(dirs):
    runs = sorted((load(d) for d in dirs), key=lambda r: r[0])
    table(runs)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for k, (eta, x) in enumerate(runs):
        for l0, mk in [(1, "o"), (3, "s")]:
            y = x[(x.l0 == l0) & (x.l == l0) & (x["T"] > 0)]
            axes[0].errorbar(y["T"], 1 - y.m, y.err, fmt=mk, ms=3, color=f"C{k}", label=f"η = {eta:g}, ℓ0 = {l0}")
            axes[0].plot(y["T"], 1 - y.mt, "-" if l0 == 1 else "--", color=f"C{k}", lw=1)
        y = x[(x.l0 == 2) & (x.l == 4) & (x["T"] > 0)]
        axes[1].errorbar(y["T"], y.m / y.mt, y.err / y.mt.abs(), fmt="o-", ms=3, color=f"C{k}", label=f"η = {eta:g}")
    axes[0].set_xscale("log"); axes[0].set_yscale("log")
    axes[0].set_xlabel("ΩT"); axes[0].set_ylabel("1 − M_ℓ0ℓ0(T)   (lines: first order)")
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].set_xscale("log"); axes[1].axhline(1, color="gray", lw=0.8)
    axes[1].set_xlabel("ΩT"); axes[1].set_ylabel("M_42 simulated / first order")
    axes[1].legend(fontsize=8)
    fig.suptitle("1 PV (ρ = 9e-3), λ_min = r_g/10, Nside 16, 100 realisations")
    fig.tight_layout()
    fig.savefig(os.path.join(here, "..", "fig_propagator_map.png"), dpi=110)


if __name__ == "__main__":
    {"weak": weak, "map": mapping}[sys.argv[1]](sys.argv[2:])
