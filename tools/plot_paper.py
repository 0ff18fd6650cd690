#!/usr/bin/python3
"""Figs. 2-6 of Inack, Morawetz, Melko (arXiv:2204.11272) and the landscape roughness, from the results of
tools/reproduce_paper.sh in DIR (file names as that script writes them). Writes PNG and PDF into --out:
  fig2  VCA free energy per spin against T for L = 3, 5, 6, 16, with the exact curve (inset: T <= 1)
  fig3  VQA energy per spin against Gamma for L = 3, 5, with Lanczos E0(Gamma) (inset: Gamma <= 1)
  fig4  loss landscapes at the beginning, middle and end of the annealing, L = 5, VCA and VQA, rescaled to [-1, 1]
  fig5  3D loss landscapes during VCA at L = 16 (rescaled)
  fig6  L = 3: the sampled configurations in their PCA plane, and the probability of each exact ground state
  roughness  landscape roughness (squared neighbour differences / sampling noise) against the snapshot
and summary.json with the numbers doc/reproduction.md quotes."""
import argparse
import json
import math
import os
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_anneal  # noqa: E402
import plot_landscape  # noqa: E402

FIG2_SIZES = (3, 5, 6, 16)
FIG3_SIZES = (3, 5)


def save(fig, out, name):
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(out, f"{name}.{ext}"), dpi=110)
    plt.close(fig)
    return name


def median_band(ax, x, y, color, label):
    ax.plot(x, np.median(y, axis=0), color=color, lw=1.2, label=label)
    if y.shape[0] > 1:
        ax.fill_between(x, y.min(axis=0), y.max(axis=0), color=color, alpha=0.25, lw=0)


def annealing_curve_panel(ax, run, exact, quantum, inset_max):
    c = plot_anneal.curves(run)
    n_rep = c["loss_per_spin"].shape[0]
    median_band(ax, c["x"], c["loss_per_spin"], "C0",
                f"vna {'VQA' if quantum else 'VCA'} ({n_rep} run{'s' if n_rep > 1 else ''})")
    ex = plot_anneal.exact_curve(exact, "quantum" if quantum else "classical") if exact else None
    if ex is not None and len(ex[0]):
        order = np.argsort(ex[0])
        if quantum:
            ax.plot(ex[0][order], ex[1][order], "ks", ms=4, label="Lanczos E0(Γ)/N")
        else:
            ax.plot(ex[0][order], ex[1][order], "k--", lw=1, label="exact F/N")
    ax.set_xlabel("Γ" if quantum else "T")
    ax.set_ylabel("E/N" if quantum else "F/N")
    ax.grid(alpha=0.3)
    # Inset: the end of the annealing.
    ins = ax.inset_axes([0.52, 0.1, 0.44, 0.4])
    sel = c["x"] <= inset_max
    if sel.any():
        median_band(ins, c["x"][sel], c["loss_per_spin"][:, sel], "C0", None)
        if ex is not None and len(ex[0]):
            m = ex[0] <= inset_max
            order = np.argsort(ex[0][m])
            ins.plot(ex[0][m][order], ex[1][m][order], "ks" if quantum else "k--", ms=3, lw=1)
    ins.set_xlim(0, inset_max)
    ins.tick_params(labelsize=7)
    ins.grid(alpha=0.3)
    return c, ex


def deviation(c, ex, at):
    """Variational minus exact per spin at control values `at` (median over runs; exact interpolated)."""
    out = {}
    if ex is None or not len(ex[0]):
        return out
    order = np.argsort(ex[0])
    med = np.median(c["loss_per_spin"], axis=0)
    for x in at:
        if x < ex[0].min() or x > ex[0].max():
            continue
        k = int(np.argmin(np.abs(c["x"] - x)))
        out[f"{x:g}"] = float(med[k] - np.interp(c["x"][k], ex[0][order], ex[1][order]))
    return out


def annealing_figure(d, out, summary, fig_name, files, sizes, quantum, title):
    """Figs. 2 and 3: one annealing-curve panel per size; the numbers go to summary[fig_name]."""
    cols = 2
    rows = (len(sizes) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(10.5 if rows > 1 else 11, 4.0 * rows + 0.4), squeeze=False)
    key, at = (("E", (0.0, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)) if quantum else ("F", (0.0, 0.5, 1.0, 2.0, 5.0, 10.0)))
    for ax, L in zip(axes.flat, sizes):
        run, ex = f"{d}/{files[0].format(L=L)}", f"{d}/{files[1].format(L=L)}"
        if not os.path.exists(run):
            ax.text(0.5, 0.5, f"L = {L}: no result", ha="center", transform=ax.transAxes)
            continue
        c, e = annealing_curve_panel(ax, run, ex if os.path.exists(ex) else None, quantum, 1.0)
        ax.set_title(f"L = {L} (N = {L * L})", fontsize=10)
        ax.legend(fontsize=8, loc="upper left")
        summary.setdefault(fig_name, {})[str(L)] = {
            f"final_{key}_per_spin": [float(x) for x in c["loss_per_spin"][:, -1]],
            f"{key}_minus_exact": deviation(c, e, at), "analysis": analysis_summary(run)}
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return save(fig, out, fig_name)


def fig2(d, out, summary):
    return annealing_figure(d, out, summary, "fig2", ("fig2_vca_L{L}.anneal.h5", "fig2_exact_L{L}.h5"), FIG2_SIZES,
                            False, "Fig. 2: variational classical annealing, free energy per spin "
                                   "(band: min-max over runs; inset: T ≤ 1)")


def fig3(d, out, summary):
    return annealing_figure(d, out, summary, "fig3", ("fig3_vqa_L{L}.anneal.h5", "fig3_exact_L{L}.h5"), FIG3_SIZES,
                            True, "Fig. 3: variational quantum annealing, energy per spin (inset: Γ ≤ 1)")


def analysis_summary(run):
    with h5py.File(run, "r") as f:
        if "analysis" not in f:
            return None
        a = f["analysis"]
        return {"ground_state_fraction": [float(x) for x in a["ground_state_fraction"][()]],
                "distinct_ground_states": [int(x) for x in a["distinct_ground_states"][()]],
                "exact_degeneracy": int(a.attrs["exact_degeneracy"]) if "exact_degeneracy" in a.attrs else None,
                "mean_energy_per_spin": [float(x) for x in a["mean_energy_per_spin"][()]]}


def middle_label(labels, mode):
    want = "gamma=5.0" if mode == "quantum" else "T=5.0"
    return want if want in labels else labels[len(labels) // 2]


def contour(ax, s, levels=20):
    A, B = np.meshgrid(s["alpha"], s["beta"], indexing="ij")
    z = np.ma.masked_invalid(s["plotted"])
    if z.count() >= 3 and z.max() > z.min():
        cs = ax.contourf(A, B, z, levels=levels, cmap="viridis", vmin=-1, vmax=1)
        ax.contour(A, B, z, levels=levels, colors="k", linewidths=0.2)
        return cs
    ax.text(0.5, 0.5, "too few finite points", ha="center", transform=ax.transAxes)
    return None


def fig4(d, out, clip, summary):
    rows = [("VCA", f"{d}/fig4_landscape_vca_L5.h5"), ("VQA", f"{d}/fig4_landscape_vqa_L5.h5")]
    fig, axes = plt.subplots(2, 3, figsize=(12, 7.6), squeeze=False)
    cs = None
    for r, (name, path) in enumerate(rows):
        if not os.path.exists(path):
            axes[r][0].text(0.5, 0.5, f"{name}: no landscape", ha="center", transform=axes[r][0].transAxes)
            continue
        every = plot_landscape.landscape_data(path)
        labels = [s["label"] for s in every["snapshots"]]
        mode = every["snapshots"][0]["mode"]
        chosen = ["after_warmup" if "after_warmup" in labels else labels[0], middle_label(labels, mode), "final"]
        dd = plot_landscape.landscape_data(path, chosen, rescaled=True, clip=clip)
        by = {s["label"]: s for s in dd["snapshots"]}
        for c, (title, label) in enumerate(zip(("beginning (after warmup)", "middle", "end"), chosen)):
            s = by[label]
            cs = contour(axes[r][c], s) or cs
            axes[r][c].set_title(f"{name}, {title}\n{plot_landscape.panel_title(s)}", fontsize=9)
            axes[r][c].set_xlabel("α")
            axes[r][c].set_ylabel("β")
        summary.setdefault("fig4", {})[name] = {"snapshots": chosen}
    if cs is not None:
        fig.colorbar(cs, ax=axes.ravel().tolist(), label="loss rescaled to [-1, 1]", shrink=0.8)
    note = f", clipped to the {clip:g}-{100 - clip:g} percentiles" if clip > 0 else ""
    fig.suptitle(f"Fig. 4: loss landscapes, Newman-Moore L = 5 (rescaled to [-1, 1]{note})", fontsize=11)
    return save(fig, out, "fig4")


def fig5(d, out, clip):
    path = f"{d}/fig5_landscape_vca_L16.h5"
    if not os.path.exists(path):
        return None
    dd = plot_landscape.landscape_data(path, rescaled=True, clip=clip)
    snaps = dd["snapshots"]
    cols = 3
    rows = (len(snaps) + cols - 1) // cols
    fig = plt.figure(figsize=(4.4 * cols, 3.9 * rows))
    for k, s in enumerate(snaps):
        ax = fig.add_subplot(rows, cols, k + 1, projection="3d")
        A, B = np.meshgrid(s["alpha"], s["beta"], indexing="ij")
        ax.plot_surface(A, B, s["plotted"], cmap="viridis", linewidth=0, antialiased=True, vmin=-1, vmax=1)
        ax.set_title(plot_landscape.panel_title(s), fontsize=9)
        ax.set_xlabel("α")
        ax.set_ylabel("β")
        ax.set_zlim(-1, 1)
    fig.suptitle("Fig. 5: VCA loss landscapes during the annealing, Newman-Moore L = 16 (rescaled)", fontsize=11)
    fig.tight_layout()
    return save(fig, out, "fig5")


def fig6(d, out, summary):
    runs = [("VCA", f"{d}/fig2_vca_L3.anneal.h5"), ("VQA", f"{d}/fig3_vqa_L3.anneal.h5")]
    exact = f"{d}/fig2_exact_L3.h5"
    gs = None
    if os.path.exists(exact):
        with h5py.File(exact, "r") as f:
            if "exact/ground_states" in f:
                gs = f["exact/ground_states"][()]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), squeeze=False)
    for r, (name, path) in enumerate(runs):
        if not os.path.exists(path):
            axes[r][0].text(0.5, 0.5, f"{name}: no result", ha="center", transform=axes[r][0].transAxes)
            continue
        with h5py.File(path, "r") as f:
            a = f["analysis"]
            samples, pca, energy = a["samples"][()], a["pca"][()], a["samples_energy"][()]
            found, rep, prob = (a["ground_states_found"][()], a["ground_states_found_replica"][()],
                                a["ground_states_found_probability"][()])
            e0 = a.attrs["ground_energy"]
        # Replica 0: each distinct configuration once, its area the number of times it was sampled.
        keys, inverse, counts = np.unique(samples[0], axis=0, return_inverse=True, return_counts=True)
        first = np.array([np.flatnonzero(inverse.ravel() == k)[0] for k in range(len(keys))])
        xy, en = pca[0][first], energy[0][first]
        is_gs = np.isclose(en, e0)
        ax = axes[r][0]
        ax.scatter(xy[~is_gs, 0], xy[~is_gs, 1], s=8 + 400 * counts[~is_gs] / counts.sum(), c="C7", alpha=0.6,
                   label="excited")
        ax.scatter(xy[is_gs, 0], xy[is_gs, 1], s=8 + 400 * counts[is_gs] / counts.sum(), c="C3",
                   label="ground states")
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
        ax.set_title(f"{name}, run 0: stored samples in their PCA plane (area ∝ frequency)", fontsize=9)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        # Probability of each exact ground state, per run.
        ax = axes[r][1]
        ref = gs if gs is not None else np.unique(found, axis=0)
        R = int(rep.max()) + 1 if len(rep) else 0
        width = 0.8 / max(R, 1)
        table = np.zeros((R, len(ref)))
        for j, g in enumerate(ref):
            for rr in range(R):
                hit = (rep == rr) & (found == g).all(axis=1)
                table[rr, j] = prob[hit].sum() if hit.any() else 0.0
            ax.bar(j + width * (np.arange(R) - (R - 1) / 2), table[:, j], width, color=[f"C{k}" for k in range(R)])
        ax.set_xticks(range(len(ref)))
        ax.set_xticklabels(["".join(str(int(b)) for b in g) for g in ref], rotation=30, fontsize=7)
        ax.set_xlabel("exact ground state (bits, 1 = up)")
        ax.set_ylabel("probability")
        ax.set_title(f"{name}: probability of each of the {len(ref)} ground states ({R} run(s))", fontsize=9)
        ax.grid(alpha=0.3, axis="y")
        summary.setdefault("fig6", {})[name] = {"ground_state_probability": table.tolist(),
                                                "ground_states": ["".join(str(int(b)) for b in g) for g in ref]}
    fig.suptitle("Fig. 6: mode collapse at L = 3", fontsize=11)
    fig.tight_layout()
    return save(fig, out, "fig6")


def roughness(d, out, summary):
    files = [("VCA L = 5", f"{d}/fig4_landscape_vca_L5.h5"), ("VQA L = 5", f"{d}/fig4_landscape_vqa_L5.h5"),
             ("VCA L = 16", f"{d}/fig5_landscape_vca_L16.h5")]
    files = [(n, p) for n, p in files if os.path.exists(p)]
    if not files:
        return None
    fig, axes = plt.subplots(1, len(files), figsize=(5.2 * len(files), 4.2), squeeze=False)
    for ax, (name, path) in zip(axes[0], files):
        rows = []
        with h5py.File(path, "r") as f:
            top = f["landscape"]
            for label in top.attrs["snapshots"]:
                label = label.decode() if isinstance(label, bytes) else str(label)
                g = top[label]
                if "roughness" not in g:
                    continue
                a = g["roughness"].attrs
                rows.append({"label": label, "after_update": int(g.attrs["after_update"]),
                             "control": float(g.attrs["gamma" if g.attrs["mode"] == "quantum" else "temperature"]),
                             **{k: float(a[k]) for k in a if k != "definition"}})
        rows.sort(key=lambda r: r["after_update"])
        x = np.arange(len(rows))
        for kind, marker in (("first_difference", "o"), ("second_difference", "s")):
            y = np.array([r[f"{kind}_ratio"] for r in rows])
            e = np.array([r[f"{kind}_ratio_err"] for r in rows])
            ax.errorbar(x, y, yerr=e, marker=marker, capsize=3, lw=1, label=kind.replace("_", " ") + "s")
        ax.axhline(1.0, color="gray", ls="--", lw=0.8, label="sampling noise only")
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([r["label"] for r in rows], rotation=35, fontsize=7, ha="right")
        ax.set_ylabel("Σ (neighbour differences)² / noise expectation")
        ax.set_title(f"{name}", fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
        summary.setdefault("roughness", {})[name] = rows
    fig.suptitle("Landscape roughness against the annealing snapshot (error bars: Monte Carlo, 1σ)", fontsize=11)
    fig.tight_layout()
    return save(fig, out, "roughness")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="results folder of tools/reproduce_paper.sh")
    ap.add_argument("--out", help="figures folder (default DIR/figures)")
    ap.add_argument("--clip", type=float, default=0.5, metavar="PCT",
                    help="clip each landscape to its [PCT, 100-PCT] percentiles before rescaling (default 0.5: "
                         "a few extreme estimator points would otherwise flatten the colour scale)")
    ap.add_argument("--quick", action="store_true", help="mark the figures as coming from the --quick run")
    args = ap.parse_args(argv)
    out = args.out or os.path.join(args.dir, "figures")
    os.makedirs(out, exist_ok=True)
    summary = {"quick": args.quick, "clip_percent": args.clip}
    made = [fig2(args.dir, out, summary), fig3(args.dir, out, summary), fig4(args.dir, out, args.clip, summary),
            fig5(args.dir, out, args.clip), fig6(args.dir, out, summary), roughness(args.dir, out, summary)]
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, default=lambda x: None if isinstance(x, float) and math.isnan(x) else x)
    made = [m for m in made if m]
    print(f"wrote {', '.join(made)} (.png/.pdf) and summary.json into {out}")


if __name__ == "__main__":
    main()
