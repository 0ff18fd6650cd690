#!/usr/bin/python3
"""Plot the exact results of `vna exact`: free energy, energy and entropy per spin against T, and the
Lanczos ground energy per spin against Gamma when present. Writes PNG and PDF."""
import argparse
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file", help="HDF5 file written by `vna exact`")
    ap.add_argument("--out", default=None, help="output path without extension (default: FILE without .h5)")
    args = ap.parse_args(argv)
    out = args.out or args.file.removesuffix(".h5") + "_exact"

    with h5py.File(args.file, "r") as f:
        if "exact" not in f:
            sys.exit(f"{args.file}: no /exact group (not written by `vna exact`?)")
        ex = f["exact"]
        desc = f["model"].attrs.get("description", "")
        panels = []
        if "thermo" in ex:
            th = ex["thermo"]
            panels.append(("thermo", th["temperature"][()], {k: th[k][()] for k in
                           ("free_energy_per_spin", "energy_per_spin", "entropy_per_spin")}, th.attrs.get("method", "")))
        if "lanczos" in ex:
            la = ex["lanczos"]
            panels.append(("lanczos", la["gamma"][()], {"e0_per_spin": la["e0_per_spin"][()]}, "Lanczos"))
        e0 = ex.attrs.get("ground_energy_per_spin", None)

    if not panels:
        sys.exit(f"{args.file}: no thermodynamics or Lanczos results to plot")
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, (kind, x, ys, method) in zip(axes[0], panels):
        if kind == "thermo":
            order = x.argsort()
            for name, label in (("free_energy_per_spin", "f = F/N"), ("energy_per_spin", "e = E/N"),
                                ("entropy_per_spin", "s = S/N")):
                ax.plot(x[order], ys[name][order], "o-", ms=3, label=label)
            if e0 is not None:
                ax.axhline(e0, color="gray", lw=0.8, ls="--", label="E0/N")
            ax.set_xlabel("temperature T")
            ax.set_title(f"exact thermodynamics ({method})", fontsize=10)
        else:
            order = x.argsort()
            ax.plot(x[order], ys["e0_per_spin"][order], "s-", ms=4, label="E0(Γ)/N")
            ax.set_xlabel("transverse field Γ")
            ax.set_title("ground energy of H − Γ Σσˣ (Lanczos)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(desc, fontsize=11)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{out}.{ext}", dpi=130)
    print(f"wrote {out}.png and {out}.pdf")


if __name__ == "__main__":
    main()
