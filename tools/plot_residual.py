#!/usr/bin/python3
"""Residual energy per spin against the number of annealing steps, one curve per method, from one or
more `vna campaign` results: the median over instances with a band between two quantiles (default the
25th and 75th percentiles), on log-log axes, as in Figs. 3-6 of Hibat-Allah et al., Nature Machine
Intelligence 3, 952 (2021). The residual of an instance is (<E> - E0)/N of its row, E0 its ground
truth (/campaign/instances/ground_truth_origin). Residuals of exactly 0 (every replica at E0) cannot
be drawn on a log axis; the number of such instances is written next to the curve.

--x attempts draws the same curves against the work of each row in spin-flip attempts (the median over
instances of /campaign/results/attempts: equal work is a vertical line), for the Monte Carlo methods
(sa, sqa, pt, pa; VCA/VQA rows count no spin flips and are left out of that panel); --x steps attempts
draws both panels side by side. Several files (e.g. the Monte Carlo campaign and a VCA/VQA campaign on the
same instances) are drawn together, their methods labelled by file when a name repeats; --labels gives one
label per file, naming its ansatz: VCA and VQA carry it, other methods only when their name repeats
(`--labels "per site" shared` for a per-site and a shared-weight campaign). An instance without exact
ground truth has E0 = the best energy its own campaign found; drawn together, the files' instances of the
same description are measured against the best that any of them found (and "reached" means reaching
that). Writes PNG and PDF; --table also prints the comparison as a Markdown table (median [band], P(GS) = fraction of
instances whose row reached E0, median wall seconds per row from /campaign/timing/row_seconds).

Beside the PNG and PDF it writes OUT.json, the plotted arrays (what --json prints): a FILE ending in .json
is read back as such curves, drawn as saved (no longer re-referenced to another file's best found), so a
figure and its table can be redrawn, and extended by new campaigns, after the campaign files are gone.

  tools/plot_residual.py ea.campaign.h5 ea_shared.campaign.h5 --labels "per site" shared --table"""
import argparse
import json
import os
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _strings(values):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _is_saved(path):
    return path.endswith(".json")


def best_found_energies(paths):
    """{instance description: E0} over the instances that some file measures against its best found
    energy: the exact ground energy where another file has it, else the lowest of the files' best.
    Saved curves (.json) carry no instances and take no part."""
    best, exact = {}, {}
    for path in (p for p in paths if not _is_saved(p)):
        with h5py.File(path, "r") as f:
            inst = f["campaign/instances"]
            for desc, origin, e0 in zip(_strings(inst["description"][()]), _strings(inst["ground_truth_origin"][()]),
                                        inst["ground_energy"][()]):
                if not np.isfinite(e0):
                    continue
                if origin.startswith("best found"):
                    best[desc] = min(best.get(desc, np.inf), float(e0))
                else:
                    exact[desc] = float(e0)
    return {desc: exact.get(desc, e0) for desc, e0 in best.items()}


def _tolerance(e0):
    """The campaign's tolerance on reaching E0 (exactTolerance in src/campaign/campaign_runner.cpp)."""
    return 1e-9 * max(1.0, abs(e0))


def _rereference(f, res, reached, quantity, best_found):
    """res and reached of the rows whose instance is measured against best_found's E0 instead of its own."""
    inst = f["campaign/instances"]
    r = f["campaign/results"]
    row_instance = r["instance"][()]
    energy = r["min_energy" if quantity.startswith("min_") else "mean_energy"][()]
    min_energy = r["min_energy"][()]
    res, reached = res.copy(), reached.copy()
    for i, (desc, e0, n) in enumerate(zip(_strings(inst["description"][()]), inst["ground_energy"][()],
                                          inst["num_spins"][()])):
        if desc not in best_found or best_found[desc] == e0:
            continue
        common = best_found[desc]
        sel = row_instance == i
        res[sel] = (energy[sel] - common) / n
        reached[sel] = min_energy[sel] <= common + _tolerance(common)
    return res, reached


def residual_curves(path, low=25.0, high=75.0, quantity="residual_energy_per_spin", best_found=None):
    """The arrays the figure plots, so tests can compare them with the file: per method, the annealing
    steps and the median, the low/high percentiles (numpy's linear interpolation, as vna's summary),
    the mean over instances, the number of instances at zero residual, and the median over instances of
    the spin-flip attempts of the rows (0 for VCA/VQA). best_found (best_found_energies): the E0 of the
    instances it lists, in place of the file's."""
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
        attempts = r["attempts"][()].astype(float)
        reached = r["reached_ground_state"][()] != 0
        seconds = f["campaign/timing/row_seconds"][()]
        origin = _strings(c["instances/ground_truth_origin"][()])
        if best_found:
            res, reached = _rereference(f, res, reached, quantity, best_found)
    out = {"methods": methods, "quantity": quantity, "low": low, "high": high,
           "best_found_instances": sum(o.startswith("best found") for o in origin), "curves": {}}
    for m, name in enumerate(methods):
        med, lo, hi, mean, zeros, count, work, p_gs, secs = [], [], [], [], [], [], [], [], []
        for s in steps:
            sel = (method == m) & (a == s) & done
            v = res[sel]
            w = attempts[sel]
            work.append(float(np.median(w)) if len(w) else np.nan)
            p_gs.append(float(np.mean(reached[sel])) if np.any(sel) else np.nan)
            secs.append(float(np.median(seconds[sel])) if np.any(sel) else np.nan)
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
                               "instances": np.array(count), "attempts": np.array(work),
                               "ground_state_probability": np.array(p_gs), "seconds": np.array(secs)}
    return out


def curves_json(d):
    """d as JSON text, NaN written as null."""
    def arrays(c):
        return {q: [None if not np.isfinite(v) else float(v) for v in arr] for q, arr in c.items()}
    return json.dumps({k: ({m: arrays(c) for m, c in v.items()} if k == "curves" else v) for k, v in d.items()})


def load_curves(path, low, high, quantity):
    """Curves saved by this tool (OUT.json or --json), their arrays as numpy with NaN for null; they must
    have been made for the same quantity and band."""
    with open(path) as f:
        d = json.load(f)
    if (d["quantity"], d["low"], d["high"]) != (quantity, low, high):
        raise ValueError(f"{path}: saved for {d['quantity']} with the band {d['low']:g}-{d['high']:g} %, "
                         f"not {quantity} with {low:g}-{high:g} %")
    counts = ("zeros", "instances")  # integers, as residual_curves makes them
    d["curves"] = {m: {q: np.array(arr, dtype=int) if q in counts else
                       np.array([np.nan if v is None else v for v in arr], dtype=float) for q, arr in c.items()}
                   for m, c in d["curves"].items()}
    return d


NETWORK_METHODS = ("vca", "vqa")  # the methods whose rows depend on the ansatz


def combined_curves(paths, low=25.0, high=75.0, quantity="residual_energy_per_spin", labels=None):
    """residual_curves of every file, their methods in one dict, instances without exact ground truth
    measured against the best any file found (best_found_energies). With labels (one per file, naming the
    ansatz variant) VCA and VQA are named "vca (label)", and any other method whose name repeats; without,
    a name met again is labelled with its file's stem. Saved curves (.json) keep their saved names, a label
    or stem added only where a name repeats."""
    if labels is not None and len(labels) != len(paths):
        raise ValueError(f"{len(labels)} label(s) for {len(paths)} file(s)")
    out = None
    best_found = best_found_energies(paths) if len(paths) > 1 else None
    for k, path in enumerate(paths):
        saved = _is_saved(path)
        d = load_curves(path, low, high, quantity) if saved else residual_curves(path, low, high, quantity, best_found)
        if out is None:
            out = {**d, "curves": {}, "methods": []}
        else:
            out["best_found_instances"] += d["best_found_instances"]
        stem = os.path.basename(path).removesuffix(".json" if saved else ".h5")
        suffix = labels[k] if labels is not None else stem
        for name, c in d["curves"].items():
            labelled = labels is not None and name in NETWORK_METHODS and not saved
            key = f"{name} ({suffix})" if labelled or name in out["curves"] else name
            out["curves"][key] = c
            out["methods"].append(key)
    if best_found:  # distinct instances, not one count per file (saved curves keep their own count)
        out["best_found_instances"] = len(best_found) + sum(
            load_curves(p, low, high, quantity)["best_found_instances"] for p in paths if _is_saved(p))
    return out


def _display(name):
    """VCA (per site): the method in capitals, a label as given."""
    method, sep, rest = name.partition(" (")
    return method.upper() + sep + rest


def _short(v):
    """6.7e-3 style (two significant digits), 0 as 0."""
    if not np.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    m, e = f"{v:.1e}".split("e")
    return f"{m}e{int(e)}"


def markdown_table(d):
    """The curves as a Markdown table: a row per number of annealing steps, a column per method, each
    cell the median [low, high] percentiles over instances, P(GS) (the fraction of instances whose
    row reached the ground truth) and the median wall time of a row."""
    names = list(d["curves"])
    steps = sorted({float(s) for c in d["curves"].values() for s in c["steps"]})
    head = [f"{_display(n)}, n = {int(np.max(c['instances'], initial=0))}" for n, c in d["curves"].items()]
    lines = ["| steps | " + " | ".join(head) + " |", "|---" * (len(names) + 1) + "|"]
    for s in steps:
        cells = []
        for c in d["curves"].values():
            k = np.flatnonzero(c["steps"] == s)
            if len(k) == 0 or c["instances"][k[0]] == 0:
                cells.append("–")
                continue
            k = k[0]
            cells.append(f"{_short(c['median'][k])} [{_short(c['low'][k])}, {_short(c['high'][k])}], "
                         f"{c['ground_state_probability'][k]:.2g}, {c['seconds'][k]:.3g} s")
        lines.append(f"| {s:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _draw(ax, d, x_kind, what):
    for k, (name, c) in enumerate(d["curves"].items()):
        color = f"C{k}"
        x = c["steps"] if x_kind == "steps" else c["attempts"]
        if x_kind == "attempts" and not np.any(np.nan_to_num(x) > 0):
            continue  # VCA/VQA: no spin flips
        ok = np.isfinite(x) & (x > 0)
        pos = ok & (c["median"] > 0)
        zero = x[ok & (c["median"] <= 0)]
        label = _display(name) + (f" (median 0 at {', '.join(f'{v:g}' for v in zero)})" if len(zero) else "")
        ax.plot(x[pos], c["median"][pos], "o-", color=color, label=label)
        band = ok & (c["low"] > 0) & (c["high"] > 0)
        ax.fill_between(x[band], c["low"][band], c["high"][band], color=color, alpha=0.2, lw=0)
        for xi, yi, z, n in zip(x, c["median"], c["zeros"], c["instances"]):
            if z and yi > 0 and np.isfinite(xi) and xi > 0:
                ax.annotate(f"{z}/{n} at 0", (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=7,
                            color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("annealing steps" if x_kind == "steps" else "spin-flip attempts per row (all replicas)")
    ax.set_ylabel(f"residual energy per spin ({what} - E0)/N")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", metavar="file",
                    help="HDF5 file(s) written by `vna campaign`, or curves saved by this tool (.json)")
    ap.add_argument("--out", help="output path without extension (default: first FILE without .h5 + _residual)")
    ap.add_argument("--band", nargs=2, type=float, default=[25.0, 75.0], metavar=("LOW", "HIGH"),
                    help="percentiles of the band (default 25 75)")
    ap.add_argument("--min", action="store_true",
                    help="plot the residual of the lowest energy per row instead of the mean energy")
    ap.add_argument("--x", nargs="+", choices=["steps", "attempts"], default=["steps"],
                    help="horizontal axis: annealing steps, spin-flip attempts, or both (two panels)")
    ap.add_argument("--labels", nargs="+", metavar="LABEL",
                    help="one label per file (its ansatz): VCA and VQA, and repeated names, are named 'method (LABEL)'")
    ap.add_argument("--table", action="store_true",
                    help="also print a Markdown table: per method and length the median [band] over instances, "
                         "P(GS) and the median seconds per row")
    ap.add_argument("--json", action="store_true", help="also print the plotted arrays as JSON on stdout")
    args = ap.parse_args(argv)
    if args.labels and len(args.labels) != len(args.files):
        ap.error(f"--labels: {len(args.labels)} label(s) for {len(args.files)} file(s)")
    out = args.out or args.files[0].removesuffix(".json" if _is_saved(args.files[0]) else ".h5") + "_residual"
    for path in args.files:
        if os.path.exists(path) and os.path.exists(f"{out}.json") and os.path.samefile(path, f"{out}.json"):
            ap.error(f"{path} is an input and would be the output {out}.json: give another --out")
    quantity = "min_residual_energy_per_spin" if args.min else "residual_energy_per_spin"
    try:
        d = combined_curves(args.files, args.band[0], args.band[1], quantity, args.labels)
    except (KeyError, OSError, ValueError) as e:
        sys.exit(f"{' '.join(args.files)}: not a finished `vna campaign` result or saved curves ({e})")

    fig, axes = plt.subplots(1, len(args.x), figsize=(6.4 * len(args.x), 4.6), squeeze=False)
    what = "min E" if args.min else "<E>"
    for ax, x_kind in zip(axes[0], args.x):
        _draw(ax, d, x_kind, what)
    note = f" ({d['best_found_instances']} instance(s) vs best found)" if d["best_found_instances"] else ""
    fig.suptitle(f"median and {d['low']:g}-{d['high']:g} % band over instances{note}", fontsize=10)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{out}.{ext}", dpi=130)
    text = curves_json(d)
    with open(f"{out}.json.tmp", "w") as f:  # temporary file + rename: never half a record
        f.write(text + "\n")
    os.replace(f"{out}.json.tmp", f"{out}.json")
    if args.json:
        print(text)
    if args.table:
        print(markdown_table(d), end="")
    print(f"wrote {out}.png, {out}.pdf and {out}.json", file=sys.stderr if args.json or args.table else sys.stdout)


if __name__ == "__main__":
    main()
