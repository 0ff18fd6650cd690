#!/usr/bin/python3
"""Annealing curves from `vna anneal`: the variational free energy per spin against T (VCA) with the exact
curve from a `vna exact` file, or the variational energy per spin against Gamma (VQA) with Lanczos points,
as in Figs. 2 and 3 of the seed paper. Many replicas are drawn as the median and a 16-84 % band. A second
panel shows <E>/N along the run. Writes PNG and PDF."""
import argparse
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def step_means(trace, steps):
    """Average a [R][U] trace over the updates of each annealing step: returns step ids and [R][S]."""
    ids = np.unique(steps)
    return ids, np.stack([trace[:, steps == a].mean(axis=1) for a in ids], axis=1)


def curves(path):
    """The arrays the figure plots, so tests can compare them with the file."""
    with h5py.File(path, "r") as f:
        a = f["anneal"]
        tr = a["trace"]
        mode = a.attrs["mode"]
        n = int(f["model"].attrs["num_spins"])
        steps = tr["annealing_step"][()]
        control = tr["gamma"][()] if mode == "quantum" else tr["temperature"][()]
        ids, loss = step_means(tr["loss"][()], steps)
        _, energy = step_means(tr["energy"][()], steps)
        x = np.array([control[steps == s][0] for s in ids])
        desc = f["model"].attrs.get("description", "")
    return {"mode": mode, "x": x, "loss_per_spin": loss / n, "energy_per_spin": energy / n, "steps": ids,
            "description": desc}


def exact_curve(path, mode):
    with h5py.File(path, "r") as f:
        if mode == "quantum":
            if "exact/lanczos" not in f:
                return None
            return f["exact/lanczos/gamma"][()], f["exact/lanczos/e0_per_spin"][()]
        if "exact/thermo" not in f:
            return None
        return f["exact/thermo/temperature"][()], f["exact/thermo/free_energy_per_spin"][()]


def band(ax, x, y, label, color):
    med = np.median(y, axis=0)
    ax.plot(x, med, color=color, label=label)
    if y.shape[0] > 1:
        lo, hi = np.percentile(y, [16, 84], axis=0)
        ax.fill_between(x, lo, hi, color=color, alpha=0.25, lw=0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file", help="HDF5 file written by `vna anneal`")
    ap.add_argument("--exact", help="HDF5 file written by `vna exact` for the same model")
    ap.add_argument("--out", help="output path without extension (default: FILE without .h5 + _anneal)")
    args = ap.parse_args(argv)
    out = args.out or args.file.removesuffix(".h5") + "_anneal"
    try:
        c = curves(args.file)
    except KeyError as e:
        sys.exit(f"{args.file}: not a `vna anneal` result ({e})")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    quantum = c["mode"] == "quantum"
    xlabel = "transverse field Γ" if quantum else "temperature T"
    band(ax1, c["x"], c["loss_per_spin"], "variational " + ("E/N" if quantum else "F/N"), "C0")
    if args.exact:
        ex = exact_curve(args.exact, c["mode"])
        if ex is not None:
            order = np.argsort(ex[0])
            ax1.plot(ex[0][order], ex[1][order], "k--" if not quantum else "ks", ms=4,
                     label="exact E0(Γ)/N (Lanczos)" if quantum else "exact F/N")
    ax1.set_xlabel(xlabel)
    ax1.set_ylabel("per spin")
    ax1.invert_xaxis()
    ax1.grid(alpha=0.3)
    ax1.legend()
    ax1.set_title("annealing curve", fontsize=10)
    band(ax2, c["steps"], c["energy_per_spin"], "<E>/N", "C1")
    ax2.set_xlabel("annealing step")
    ax2.set_ylabel("<E>/N")
    ax2.grid(alpha=0.3)
    ax2.legend()
    fig.suptitle(f"{c['description']} ({c['mode']}, {c['loss_per_spin'].shape[0]} replica(s))", fontsize=11)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{out}.{ext}", dpi=130)
    print(f"wrote {out}.png and {out}.pdf")


if __name__ == "__main__":
    main()
