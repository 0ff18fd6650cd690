#!/usr/bin/python3
"""The mode-collapse study (doc/reproduction.md): one `vna anneal` per run of a study file
(input/mode_collapse/study.yaml), each annealing several independent networks (replicas: the seeds) on the
Newman-Moore model and sampling them afresh; then a table and a plot of how many of the exact ground states
each network samples, and how evenly.

  mode_collapse_study.py list    STUDY [--quick]             the runs, their outputs and estimated cost
  mode_collapse_study.py run     STUDY [--runs 0,2,5] [--quick] [--vna PATH] [--ranks N] [--force]
  mode_collapse_study.py command STUDY INDEX [--quick]       the vna arguments of one run (for jobscripts)
  mode_collapse_study.py table   STUDY [--quick] [--out DIR]

Results go to --out (default out/mode_collapse, or out/mode_collapse_quick with --quick): NAME.anneal.h5 and
NAME.run.json (wall time, machine load) per run; mode_collapse_table.{md,csv,json} and mode_collapse.{png,pdf}.
A run whose result exists is skipped (--force recomputes it); an interrupted one resumes (vna --resume).

Per network (replica) of a run, from its /analysis: the fraction of fresh samples at the ground energy; the
number of distinct ground states sampled; the entropy H = -sum q ln q of the sampled distribution over
ground states (q = count / ground-state samples), whose uniform limit is ln(number of ground states); and the
share of the all-down state among the ground-state samples. A network "reaches the ground energy" when at
least half of its samples are ground states."""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import yaml

# Cost model of one network update on one core (float), for `list`'s estimate only, from runs on this
# project's 2-core VM (doc/reproduction.md): samples run in chunks of 16 lanes, VCA costs ~0.35 us per site
# and lane (sampling, gradient) at d_h = 40, VQA's flipped log-probabilities add ~0.15 us per cell step and
# lane (N(N-1)/2 per sample); an update never costs less than ~0.12 ms per network. Scaled by (d_h/40)^2.
VCA_US_PER_SITE_LANE = 0.35
VQA_US_PER_CELL_STEP_LANE = 0.15
MIN_MS_PER_UPDATE = 0.12


def load_study(path, quick=False):
    """The runs of a study file, in order, each with its config and --set overrides."""
    with open(path) as f:
        spec = yaml.safe_load(f)
    here = os.path.dirname(os.path.abspath(path))
    bases = {mode: os.path.normpath(os.path.join(here, p)) for mode, p in spec["base"].items()}
    variants = spec["variants"]
    quick_spec = spec.get("quick", {})
    runs = []
    for entry in spec["runs"]:
        mode = entry["mode"]
        if mode not in bases:
            raise SystemExit(f"{path}: run {entry}: no base config for mode '{mode}'")
        sizes = entry["L"] if isinstance(entry["L"], list) else [entry["L"]]
        names = entry["variant"] if isinstance(entry["variant"], list) else [entry["variant"]]
        for vname in names:
            if vname not in variants:
                raise SystemExit(f"{path}: unknown variant '{vname}' (known: {', '.join(variants)})")
            v = variants[vname] or {}
            for L in sizes:
                if quick and L not in quick_spec.get("sizes", sizes):
                    continue
                sets = dict(spec.get("set", {}))
                sets.update(v.get("set", {}))
                sets.update(v.get(mode, {}))
                sets["model.L"] = int(L)
                if quick:
                    sets.update(quick_spec.get("set", {}))
                runs.append({"index": len(runs), "name": f"{mode}_L{L}_{vname}", "mode": mode, "L": int(L),
                             "variant": vname, "label": v.get("label", vname), "config": bases[mode],
                             "set": sets})
    return runs


def yaml_value(v):
    """A --set value in YAML flow syntax."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    return str(v)


def vna_args(run, output):
    args = ["anneal", run["config"], "--output", output, "--resume"]
    for k, v in run["set"].items():
        args += ["--set", f"{k}={yaml_value(v)}"]
    return args


def resolved(run, key, default=None):
    """A protocol value of the run: its override, else the base config's, else `default`."""
    if key in run["set"]:
        return run["set"][key]
    with open(run["config"]) as f:
        cfg = yaml.safe_load(f)
    node = cfg
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def estimated_core_seconds(run):
    n = run["L"] ** 2
    ns = resolved(run, "anneal.samples", 100)
    updates = resolved(run, "anneal.warmup_steps", 1000) + resolved(run, "anneal.annealing_steps", 10000) * \
        resolved(run, "anneal.train_steps", 5)
    reps = resolved(run, "replicas.count", 1)
    lanes = 16 * math.ceil(ns / 16)
    per_update_us = VCA_US_PER_SITE_LANE * n * lanes
    if run["mode"] == "vqa" or resolved(run, "anneal.mode") in ("quantum", "regularized"):
        per_update_us += VQA_US_PER_CELL_STEP_LANE * n * (n - 1) / 2 * lanes
    per_update_us *= (resolved(run, "ansatz.hidden", 40) / 40.0) ** 2
    return reps * updates * max(per_update_us * 1e-6, MIN_MS_PER_UPDATE * 1e-3)


def output_dir(args):
    return args.out or ("out/mode_collapse_quick" if args.quick else "out/mode_collapse")


def select(runs, spec):
    if not spec:
        return runs
    wanted = [int(x) for x in spec.split(",") if x.strip()]
    bad = [i for i in wanted if i < 0 or i >= len(runs)]
    if bad:
        raise SystemExit(f"--runs: no run {bad} (0..{len(runs) - 1})")
    return [runs[i] for i in wanted]


def cmd_list(args):
    runs = load_study(args.study, args.quick)
    total = 0.0
    for r in runs:
        est = estimated_core_seconds(r)
        total += est
        sets = " ".join(f"{k}={yaml_value(v)}" for k, v in r["set"].items() if not k.startswith(("analysis.",)))
        print(f"{r['index']:3d}  {r['name']:<28} ~{est / 60:7.1f} core-min  {os.path.relpath(r['config'])}  {sets}")
    print(f"{len(runs)} runs, about {total / 3600:.1f} core-hours on an idle core (doc/performance.md costs)")


def cmd_command(args):
    runs = load_study(args.study, args.quick)
    if not 0 <= args.index < len(runs):
        raise SystemExit(f"no run {args.index} (0..{len(runs) - 1})")
    r = runs[args.index]
    out = os.path.join(output_dir(args), r["name"] + ".anneal.h5")
    # One argument per line: config, output, then the --set options (for jobscripts' vna_run).
    print(r["name"])
    print(r["config"])
    print(out)
    for k, v in r["set"].items():
        print(f"{k}={yaml_value(v)}")


def load_average():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def cmd_run(args):
    runs = select(load_study(args.study, args.quick), args.runs)
    out_dir = output_dir(args)
    os.makedirs(out_dir, exist_ok=True)
    vna = args.vna or os.environ.get("VNA") or "vna"
    t_all = time.time()
    for r in runs:
        out = os.path.join(out_dir, r["name"] + ".anneal.h5")
        if os.path.exists(out) and not os.path.exists(out + ".partial") and not args.force:
            print(f"[{r['index']}] {r['name']}: done ({out})")
            continue
        cmd = ([] if args.ranks <= 1 else ["mpiexec", "-n", str(args.ranks), "--oversubscribe"]) + [vna] + \
            vna_args(r, out) + (["--force"] if args.force else [])
        print(f"[{r['index']}] {r['name']}: {' '.join(cmd)}", flush=True)
        load0, t0 = load_average(), time.time()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL if not args.verbose else None)
        wall = time.time() - t0
        if p.returncode != 0:
            raise SystemExit(f"[{r['index']}] {r['name']}: vna exited with {p.returncode}")
        info = {"name": r["name"], "command": cmd, "wall_seconds": wall, "load_average_before": load0,
                "load_average_after": load_average(), "cpus": os.cpu_count(), "ranks": max(1, args.ranks),
                "nice": os.nice(0), "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        with open(os.path.join(out_dir, r["name"] + ".run.json"), "w") as f:
            json.dump(info, f, indent=1)
        print(f"[{r['index']}] {r['name']}: {wall:.1f} s (load {load0[0] if load0 else '?':.2f} -> "
              f"{info['load_average_after'][0] if info['load_average_after'] else '?':.2f})", flush=True)
    print(f"study: {len(runs)} run(s) in {time.time() - t_all:.1f} s")


# ---- the table

def replica_stats(path):
    """Per-replica statistics of one anneal file's /analysis."""
    import h5py
    with h5py.File(path, "r") as f:
        a = f["analysis"]
        g = int(a.attrs["exact_degeneracy"])
        frac = a["ground_state_fraction"][()]
        distinct = a["distinct_ground_states"][()]
        bits = a["ground_states_found"][()]
        rep = a["ground_states_found_replica"][()]
        count = a["ground_states_found_count"][()]
        R = len(frac)
        samples = int(a.attrs["samples_per_replica"])
    out = []
    for r in range(R):
        c = count[rep == r].astype(float)
        b = bits[rep == r]
        tot = c.sum()
        q = c / tot if tot > 0 else c
        entropy = float(-(q[q > 0] * np.log(q[q > 0])).sum()) if tot > 0 else float("nan")
        all_down = float(c[(b == 0).all(axis=1)].sum() / tot) if tot > 0 else float("nan")
        out.append({"ground_state_fraction": float(frac[r]), "distinct": int(distinct[r]), "entropy": entropy,
                    "all_down_share": all_down, "reached": bool(frac[r] >= 0.5)})
    union = len({tuple(x) for x in bits}) if len(bits) else 0
    return {"degeneracy": g, "samples": samples, "replicas": out, "union": union}


def nanmean(values):
    v = np.asarray(values, float)
    return float(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")


def anneal_seconds(path):
    """Sum of the per-update wall times stored by vna (all pieces of a resumed run); an update that took over
    100 times the median (the process was stopped meanwhile) counts as the median."""
    import h5py
    with h5py.File(path, "r") as f:
        t = f["anneal/timing/update_seconds"][()]
    med = float(np.median(t)) if len(t) else 0.0
    return float(np.where(t > 100 * med, med, t).sum())


def summarize(run, path):
    st = replica_stats(path)
    reps = st["replicas"]
    g = st["degeneracy"]
    ent = np.array([x["entropy"] for x in reps], float)
    norm = ent / math.log(g) if g > 1 else np.full_like(ent, np.nan)
    dist = np.array([x["distinct"] for x in reps])
    row = {"index": run["index"], "name": run["name"], "mode": run["mode"], "L": run["L"], "variant": run["variant"],
           "label": run["label"], "ground_states": g, "seeds": len(reps),
           "reached": sum(x["reached"] for x in reps),
           "gs_fraction_mean": float(np.mean([x["ground_state_fraction"] for x in reps])),
           "distinct_mean": float(dist.mean()), "distinct_min": int(dist.min()), "distinct_max": int(dist.max()),
           "distinct_union": st["union"],
           "entropy_mean": nanmean(ent), "entropy_norm_mean": nanmean(norm),
           "entropy_norm_sd": float(np.nanstd(norm)) if np.isfinite(norm).sum() > 1 else float("nan"),
           "all_down_mean": nanmean([x["all_down_share"] for x in reps]),
           "per_seed_distinct": [int(x) for x in dist], "per_seed_entropy_norm": [float(x) for x in norm],
           "per_seed_gs_fraction": [x["ground_state_fraction"] for x in reps]}
    row["anneal_seconds"] = anneal_seconds(path)
    info_path = path.replace(".anneal.h5", ".run.json")
    if os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)
        row["wall_seconds"] = info["wall_seconds"]
        row["load_average"] = info["load_average_before"][0] if info.get("load_average_before") else None
    return row


def fmt(x, spec=".2f"):
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def markdown(rows):
    lines = ["| mode | L | variant | g | at E0 | GS fraction | distinct GS (mean [min–max]) | union | H / ln g "
             "(mean ± sd) | all-down share | wall/run |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]  # wall/run: the annealing's own time (vna)
    for r in rows:
        wall = f"{r['anneal_seconds'] / 60:.1f} min"
        lines.append(
            f"| {r['mode'].upper()} | {r['L']} | {r['label']} | {r['ground_states']} | {r['reached']}/{r['seeds']} | "
            f"{fmt(r['gs_fraction_mean'], '.3f')} | {fmt(r['distinct_mean'], '.1f')} [{r['distinct_min']}–"
            f"{r['distinct_max']}] | {r['distinct_union']} | {fmt(r['entropy_norm_mean'])} ± "
            f"{fmt(r['entropy_norm_sd'])} | {fmt(r['all_down_mean'])} | {wall} |")
    return "\n".join(lines) + "\n"


def plot(rows, prefix):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    modes = [m for m in ("vca", "vqa") if any(r["mode"] == m for r in rows)]
    fig, axes = plt.subplots(2, max(1, len(modes)), figsize=(6.4 * max(1, len(modes)), 9.5), squeeze=False)
    variants = []
    for r in rows:
        if r["variant"] not in variants:
            variants.append(r["variant"])
    # The sizes as categories (L = 6 and 7 would crowd a linear axis), variants side by side within one.
    ground_states = {r["L"]: r["ground_states"] for r in rows}
    sizes = sorted(ground_states)
    slot = {L: i for i, L in enumerate(sizes)}
    markers = "osD^v<>pPX*h"
    for c, mode in enumerate(modes):
        for k, v in enumerate(variants):
            sel = sorted((r for r in rows if r["mode"] == mode and r["variant"] == v), key=lambda r: r["L"])
            if not sel:
                continue
            x = np.array([slot[r["L"]] for r in sel]) + 0.5 * (k - (len(variants) - 1) / 2) / len(variants)
            label = sel[0]["label"]
            # Entropy is undefined for a run without ground-state samples; its distinct count (0) is shown.
            ent = np.array([r["entropy_norm_mean"] if math.isfinite(r["entropy_norm_mean"]) else np.nan for r in sel])
            sd = [0.0 if not math.isfinite(r["entropy_norm_sd"]) else r["entropy_norm_sd"] for r in sel]
            axes[0][c].errorbar(x, ent, yerr=sd, marker=markers[k % len(markers)], capsize=3, label=label, lw=1)
            axes[1][c].plot(x, [r["distinct_mean"] / r["ground_states"] for r in sel],
                            marker=markers[k % len(markers)], lw=1, label=label)
        for ax, ylabel in ((axes[0][c], "entropy over ground states / ln g"),
                           (axes[1][c], "distinct ground states sampled / g")):
            ax.set_xlabel("L (g: exact number of ground states, GF(2))")
            ax.set_ylabel(ylabel)
            ax.set_ylim(-0.05, 1.05)
            ax.axhline(1.0, color="gray", lw=0.8, ls="--")
            ax.grid(alpha=0.3)
            ax.set_xticks(range(len(sizes)))
            ax.set_xticklabels([f"{L}\ng = {ground_states[L]}" for L in sizes])
            ax.set_xlim(-0.5, len(sizes) - 0.5)
        axes[0][c].set_title(f"{mode.upper()}: 1 = uniform over all ground states, 0 = one state", fontsize=10)
        axes[1][c].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
    fig.suptitle("Mode collapse, Newman-Moore model\n(mean over the networks of a run; bars: standard deviation)",
                 fontsize=11)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{prefix}.{ext}", dpi=110, bbox_inches="tight")
    plt.close(fig)


def cmd_table(args):
    runs = load_study(args.study, args.quick)
    out_dir = output_dir(args)
    rows, missing = [], []
    for r in runs:
        path = os.path.join(out_dir, r["name"] + ".anneal.h5")
        if os.path.exists(path) and not os.path.exists(path + ".partial"):
            rows.append(summarize(r, path))
        else:
            missing.append(r["name"])
    if not rows:
        raise SystemExit(f"no finished runs in {out_dir} (run them first)")
    rows.sort(key=lambda r: (r["mode"], r["variant"] != "paper", r["variant"], r["L"]))
    md = markdown(rows)
    prefix = os.path.join(out_dir, "mode_collapse")
    with open(prefix + "_table.md", "w") as f:
        f.write(md)
        if missing:
            f.write(f"\nNot run (yet): {', '.join(missing)}\n")
    with open(prefix + "_table.json", "w") as f:
        json.dump(rows, f, indent=1)
    keys = [k for k in rows[0] if not k.startswith("per_seed")]
    with open(prefix + "_table.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    plot(rows, prefix)
    sys.stdout.write(md)
    if missing:
        print(f"not run (yet): {', '.join(missing)}")
    print(f"wrote {prefix}_table.md/.csv/.json and {prefix}.png/.pdf")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("list", "run", "command", "table"):
        p = sub.add_parser(name)
        p.add_argument("study", help="study file (input/mode_collapse/study.yaml)")
        p.add_argument("--quick", action="store_true", help="the study's quick variant (CI)")
        p.add_argument("--out", help="results folder (default out/mode_collapse[_quick])")
        if name == "run":
            p.add_argument("--runs", help="comma-separated run indices (default: all)")
            p.add_argument("--vna", help="the vna executable (default $VNA, else vna on PATH)")
            p.add_argument("--ranks", type=int, default=1, help="MPI ranks per run (mpiexec); replicas split over them")
            p.add_argument("--force", action="store_true", help="recompute finished runs")
            p.add_argument("--verbose", action="store_true", help="show vna's output")
        if name == "command":
            p.add_argument("index", type=int)
    args = ap.parse_args(argv)
    {"list": cmd_list, "run": cmd_run, "command": cmd_command, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    main()
