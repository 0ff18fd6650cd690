#!/usr/bin/python3
"""Mode collapse (Fig. 6 of the seed paper) from `vna anneal` or `vna analyze`: PCA scatter of the stored
samples coloured by their Hamming distance to the reference ground state, and the probability with which
each ground state found was sampled. One row per replica (at most --replicas). Writes PNG and PDF."""
import argparse
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def mode_data(path):
    """The arrays the figure plots, so tests can compare them with the file."""
    with h5py.File(path, "r") as f:
        if "analysis" not in f:
            raise KeyError("/analysis")
        a = f["analysis"]
        d = {
            "pca": a["pca"][()] if "pca" in a else None,
            "samples": a["samples"][()],
            "reference": a["hamming_reference"][()] if "hamming_reference" in a else None,
            "gs_replica": a["ground_states_found_replica"][()],
            "gs_probability": a["ground_states_found_probability"][()],
            "exact_degeneracy": a.attrs.get("exact_degeneracy", None),
            "description": f["model"].attrs.get("description", ""),
        }
    if d["reference"] is not None:
        d["hamming"] = (d["samples"] != d["reference"][None, None, :]).sum(axis=2)
    else:
        d["hamming"] = None
    return d


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file", help="HDF5 file with /analysis (from `vna anneal` or `vna analyze`)")
    ap.add_argument("--replicas", type=int, default=4, help="at most this many replicas (rows)")
    ap.add_argument("--out", help="output path without extension (default: FILE without .h5 + _modes)")
    args = ap.parse_args(argv)
    out = args.out or args.file.removesuffix(".h5") + "_modes"
    try:
        d = mode_data(args.file)
    except KeyError as e:
        sys.exit(f"{args.file}: no analysis to plot ({e})")
    if d["pca"] is None:
        sys.exit(f"{args.file}: no stored samples (analysis.stored_samples = 0)")
    rows = min(args.replicas, d["pca"].shape[0])
    fig, axes = plt.subplots(rows, 2, figsize=(10, 3.8 * rows), squeeze=False)
    for r in range(rows):
        ax = axes[r][0]
        color = d["hamming"][r] if d["hamming"] is not None else None
        sc = ax.scatter(d["pca"][r, :, 0], d["pca"][r, :, 1], c=color, s=8, cmap="viridis")
        if color is not None:
            fig.colorbar(sc, ax=ax, label="Hamming distance to reference")
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
        ax.set_title(f"replica {r}: samples in their PCA plane", fontsize=10)
        ax = axes[r][1]
        probs = d["gs_probability"][d["gs_replica"] == r]
        ax.bar(np.arange(len(probs)), probs, color="C2")
        total = d["exact_degeneracy"]
        ax.set_xlabel("ground state found (by probability)" + (f"; {total} exist" if total else ""))
        ax.set_ylabel("probability")
        ax.set_title(f"replica {r}: {len(probs)} distinct ground state(s) sampled", fontsize=10)
    fig.suptitle(d["description"], fontsize=11)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{out}.{ext}", dpi=130)
    print(f"wrote {out}.png and {out}.pdf")


if __name__ == "__main__":
    main()
