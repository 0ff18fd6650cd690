#!/usr/bin/python3
"""Residual energy per spin against the number of annealing steps, one curve per method, from a
`vna campaign` result: the median over instances with a band between two quantiles (default the
25th and 75th percentiles), on log-log axes, as in Figs. 3-6 of Hibat-Allah et al., Nature Machine
Intelligence 3, 952 (2021). The residual of an instance is (<E> - E0)/N of its row, E0 its ground
truth (/campaign/instances/ground_truth_origin). Residuals of exactly 0 (every replica at E0) cannot
be drawn on a log axis; the number of such instances is written next to the curve. Writes PNG and PDF."""
import argparse
import json
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _strings(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def residual_curves(path, low=25.0, high=75.0, quantity="residual_energy_per_spin"):
    """The arrays the figure plots, so tests can compare them with the file: per method, the annealing
    steps and the median, the low/high percentiles (numpy's linear interpolation, as vna's summary),
    the mean over instances, and the number of instances at zero residual."""
    with h5py.File(path, "r") as f:
        if "campaign/results" not in f:
            raise KeyError("/campaign/results")
        c = f["campaign"]
        r = c["results"]
        if quantity not in r:
            raise KeyError(f"/campaign/results/{quantity} (the campaign is not finished)")
        methods = _strings(c.attrs["methods"])
        steps = np.asarray(c["annealing_steps"][()])
        method = r["method"][()]
        a = r["annealing_steps"][()]
        done = r["done"][()] != 0
        res = r[quantity][()]
        origin = _strings(c["instances/ground_truth_origin"][()])
    out = {"methods": methods, "quantity": quantity, "low": low, "high": high,
           "best_found_instances": sum(o.startswith("best found") for o in origin), "curves": {}}
    for m, name in enumerate(methods):
        med, lo, hi, mean, zeros, count = [], [], [], [], [], []
        for s in steps:
            v = res[(method == m) & (a == s) & done]
            v = v[np.isfinite(v)]
            count.append(len(v))
            if len(v) == 0:
                med.append(np.nan), lo.append(np.nan), hi.append(np.nan), mean.append(np.nan), zeros.append(0)
                continue
            med.append(np.median(v))
            lo.append(np.percentile(v, low))
            hi.append(np.percentile(v, high))
            mean.append(v.mean())
            zeros.append(int(np.sum(v <= 0)))
        out["curves"][name] = {"steps": steps.astype(float), "median": np.array(med), "low": np.array(lo),
                               "high": np.array(hi), "mean": np.array(mean), "zeros": np.array(zeros),
                               "instances": np.array(count)}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="HDF5 file written by `vna campaign`")
    ap.add_argument("--out", help="output path without extension (default: FILE without .h5 + _residual)")
    ap.add_argument("--band", nargs=2, type=float, default=[25.0, 75.0], metavar=("LOW", "HIGH"),
                    help="percentiles of the band (default 25 75)")
    ap.add_argument("--min", action="store_true",
                    help="plot the residual of the lowest energy per row instead of the mean energy")
    ap.add_argument("--json", action="store_true", help="also print the plotted arrays as JSON on stdout")
    args = ap.parse_args(argv)
    out = args.out or args.file.removesuffix(".h5") + "_residual"
    quantity = "min_residual_energy_per_spin" if args.min else "residual_energy_per_spin"
    try:
        d = residual_curves(args.file, args.band[0], args.band[1], quantity)
    except (KeyError, OSError) as e:
        sys.exit(f"{args.file}: not a finished `vna campaign` result ({e})")

    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for k, (name, c) in enumerate(d["curves"].items()):
        color = f"C{k}"
        x = c["steps"]
        pos = c["median"] > 0
        zero = x[c["median"] <= 0]
        label = name.upper() + (f" (median 0 at A = {', '.join(f'{v:g}' for v in zero)})" if len(zero) else "")
        ax.plot(x[pos], c["median"][pos], "o-", color=color, label=label)
        band = (c["low"] > 0) & (c["high"] > 0)
        ax.fill_between(x[band], c["low"][band], c["high"][band], color=color, alpha=0.2, lw=0)
        for xi, yi, z, n in zip(x, c["median"], c["zeros"], c["instances"]):
            if z and yi > 0:
                ax.annotate(f"{z}/{n} at 0", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7,
                            color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("annealing steps")
    what = "min E" if args.min else "<E>"
    ax.set_ylabel(f"residual energy per spin ({what} - E0)/N")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    note = f" ({d['best_found_instances']} instance(s) vs best found)" if d["best_found_instances"] else ""
    ax.set_title(f"median and {d['low']:g}-{d['high']:g} % band over instances{note}", fontsize=10)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{out}.{ext}", dpi=130)
    if args.json:
        print(json.dumps({k: ({m: {q: [None if not np.isfinite(v) else float(v) for v in arr]
                                   for q, arr in c.items()} for m, c in v.items()} if k == "curves" else v)
                          for k, v in d.items()}))
    print(f"wrote {out}.png and {out}.pdf", file=sys.stderr if args.json else sys.stdout)


if __name__ == "__main__":
    main()
