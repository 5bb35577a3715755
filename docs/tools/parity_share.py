#!/usr/bin/python3
"""The share of the ensemble <C_l> carried by the ensemble-mean sky map, at the fit time of each run of a
`skymix reproduce` folder (needs the FITS maps): (N C_l[mean map] - <C_l>) / ((N - 1) <C_l>), unbiased for N
realisations. Usage: docs/tools/parity_share.py REPRODUCE_DIR  (prints Markdown rows for docs/validation.md)."""
import healpy as hp, numpy as np, json, sys, glob, os
root = sys.argv[1]
print("| run | N | ΩT | " + " | ".join(f"ℓ = {l}" for l in range(1, 11)) + " | odd 3–11 | even 2–10 |")
print("|" + "---|" * 15)
fit=json.load(open(os.path.join(root,'fit.json')))
for r in fit['rigidities']:
    run=r['run']; T=r['T']
    rr=json.load(open(os.path.join(run,'run.json'))); times=rr['derived']['times']
    t=int(np.argmin([abs(x-T) for x in times]))
    reals=sorted(glob.glob(os.path.join(run,'realizations','[0-9]*')))
    maps=np.array([hp.read_map(os.path.join(d,f'map_{t:03d}.fits')) for d in reals])
    N=len(maps)
    cl=np.array([hp.anafast(m,iter=0) for m in maps]).mean(0)
    clm=hp.anafast(maps.mean(0),iter=0)
    coh=(N*clm-cl)/(N-1)
    share=coh/cl
    odd=np.mean(share[3:12:2]); even=np.mean(share[2:12:2])
    print(f"| {os.path.basename(run)} | {N} | {T:.0f} | " + " | ".join(f"{share[l]:.2f}" for l in range(1, 11)) + f" | {odd:.2f} | {even:.2f} |")
