#!/usr/bin/python3
"""Loss landscapes from `vna landscape` (Figs. 4 and 5 of Bhattacharya et al.): for each snapshot the loss
f(alpha, beta) = L(theta* + alpha delta + beta eta) per spin as a heat map, a contour plot and a 3D surface, with
the annealing trajectory projected onto each plane (white line, theta* as a star); with --rescale the values of
each panel are mapped to [-1, 1] as in Fig. 4. 1D scans (points [N, 1]) are drawn as curves with error bars.
The trajectory in its own PCA plane is a fourth figure. Non-finite or missing points are left blank.
Writes PNG and PDF: PREFIX_<kind>.png and PREFIX_<kind>.pdf for each kind."""
import argparse
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

KINDS = ("heatmap", "contour", "surface", "trajectory")


def rescale(values):
    """Map the finite values linearly onto [-1, 1] (Fig. 4 of the paper); NaN stays NaN."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    if not finite.any():
        return v.copy()
    lo, hi = v[finite].min(), v[finite].max()
    out = np.full_like(v, np.nan)
    out[finite] = 0.0 if hi == lo else 2.0 * (v[finite] - lo) / (hi - lo) - 1.0
    return out


def clip_percentiles(values, pct):
    """Clip the finite values to their [pct, 100 - pct] percentiles (pct = 0: unchanged)."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    if pct <= 0 or not finite.any():
        return v
    lo, hi = np.percentile(v[finite], [pct, 100.0 - pct])
    out = v.copy()
    out[finite] = np.clip(v[finite], lo, hi)
    return out


def landscape_data(path, labels=None, rescaled=False, clip=0.0):
    """The arrays the figures plot, so tests can compare them with the file. `plotted` is loss/N (clipped to
    its [clip, 100 - clip] percentiles when clip > 0, then rescaled to [-1, 1] when asked) with NaN where a
    point is not done or not finite; arrays are [Na][Nb]."""
    with h5py.File(path, "r") as f:
        if "landscape" not in f:
            raise KeyError("/landscape")
        top = f["landscape"]
        n = int(f["model"].attrs["num_spins"]) if "model" in f else 1
        names = [s.decode() if isinstance(s, bytes) else str(s) for s in top.attrs["snapshots"]]
        if labels:
            missing = [x for x in labels if x not in names]
            if missing:
                raise KeyError(f"snapshot(s) {', '.join(missing)} (the file has {', '.join(names)})")
            names = [x for x in names if x in labels]
        snaps = []
        for name in names:
            g = top[name]
            loss = g["loss"][()]
            done = g["done"][()].astype(bool)
            nonfinite = g["nonfinite"][()].astype(bool)
            per_spin = np.where(done & ~nonfinite & np.isfinite(loss), loss / n, np.nan)
            snaps.append({
                "label": name,
                "mode": g.attrs["mode"],
                "temperature": float(g.attrs["temperature"]),
                "gamma": float(g.attrs["gamma"]),
                "alpha": g["alpha"][()],
                "beta": g["beta"][()],
                "loss": loss,
                "loss_err": g["loss_err"][()],
                "done": done,
                "nonfinite": nonfinite,
                "plotted": (rescale if rescaled else np.asarray)(clip_percentiles(per_spin, clip)),
                "plotted_err": np.where(np.isfinite(per_spin), g["loss_err"][()] / n, np.nan),
                "trajectory": g["trajectory"][()] if "trajectory" in g else None,
            })
        traj = None
        if "trajectory" in f:
            t = f["trajectory"]
            traj = {"after_update": t["after_update"][()],
                    "pca": t["pca"][()] if "pca" in t else None,
                    "explained": t["pca_explained"][()] if "pca_explained" in t else None,
                    "origin": t.attrs.get("origin", "")}
        desc = f["model"].attrs.get("description", "") if "model" in f else ""
    return {"snapshots": snaps, "trajectory": traj, "num_spins": n, "rescaled": rescaled, "clip": clip,
            "description": desc}


def panel_title(s):
    control = f"Γ = {s['gamma']:.3g}" if s["mode"] == "quantum" else f"T = {s['temperature']:.3g}"
    return f"{s['label']} ({control})"


def value_label(d):
    return "rescaled loss" if d["rescaled"] else "loss / N"


def grid_axes(n):
    cols = min(n, 4)
    rows = (n + cols - 1) // cols
    return rows, cols


def overlay_trajectory(ax, s):
    """theta* and the trajectory in this plane; the view stays on the landscape (points outside are clipped)."""
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    ax.plot([0.0], [0.0], marker="*", color="w", mec="k", ms=12, ls="none", label="θ*")
    if s["trajectory"] is not None:
        t = s["trajectory"]
        ax.plot(t[:, 0], t[:, 1], "-o", color="w", mec="k", ms=3, lw=1, label="trajectory")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)


def cell_edges(v):
    """Extent whose pixel centres are the grid values."""
    h = 0.5 * (v[-1] - v[0]) / (len(v) - 1) if len(v) > 1 else 0.5
    return v[0] - h, v[-1] + h


def line_panel(ax, d, s):
    ax.errorbar(s["alpha"], s["plotted"][:, 0], yerr=None if d["rescaled"] else s["plotted_err"][:, 0], fmt="-",
                ms=3, capsize=2)
    ax.axvline(0.0, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("α")
    ax.set_ylabel(value_label(d))
    ax.grid(alpha=0.3)


def figure(d, kind, trajectory=True, levels=20):
    """One figure of the given kind (heatmap, contour, surface, trajectory); returns it."""
    if kind == "trajectory":
        t = d["trajectory"]
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        if t is None or t["pca"] is None:
            ax.text(0.5, 0.5, "no PCA plane (fewer than 3 trajectory points)", ha="center", transform=ax.transAxes)
        else:
            p = t["pca"]
            ax.plot(p[:, 0], p[:, 1], "-", color="gray", lw=0.8)
            sc = ax.scatter(p[:, 0], p[:, 1], c=t["after_update"], cmap="viridis", s=18, zorder=3)
            fig.colorbar(sc, ax=ax, label="after update")
            ex = t["explained"]
            ax.set_xlabel(f"PC 1 ({100 * ex[0]:.1f} %)")
            ax.set_ylabel(f"PC 2 ({100 * ex[1]:.1f} %)")
            ax.set_title(f"trajectory in its PCA plane ({t['origin']})", fontsize=10)
            ax.grid(alpha=0.3)
        fig.suptitle(d["description"], fontsize=11)
        fig.tight_layout()
        return fig
    snaps = d["snapshots"]
    rows, cols = grid_axes(len(snaps))
    three_d = kind == "surface"
    fig = plt.figure(figsize=(max(4.6 * cols, 6.0), 4.2 * rows))
    for k, s in enumerate(snaps):
        ax = fig.add_subplot(rows, cols, k + 1, projection="3d" if three_d and s["beta"].size > 1 else None)
        if s["beta"].size == 1:
            line_panel(ax, d, s)
        elif kind == "heatmap":
            a, b = s["alpha"], s["beta"]
            cmap = plt.get_cmap("viridis").copy()
            cmap.set_bad("lightgray")
            im = ax.imshow(np.ma.masked_invalid(s["plotted"].T), origin="lower", aspect="auto", cmap=cmap,
                           extent=[*cell_edges(a), *cell_edges(b)], interpolation="nearest")
            fig.colorbar(im, ax=ax, label=value_label(d))
            if trajectory:
                overlay_trajectory(ax, s)
        elif kind == "contour":
            A, B = np.meshgrid(s["alpha"], s["beta"], indexing="ij")
            z = np.ma.masked_invalid(s["plotted"])
            if z.count() >= 3 and z.max() > z.min():
                cs = ax.contourf(A, B, z, levels=levels, cmap="viridis")
                ax.contour(A, B, z, levels=levels, colors="k", linewidths=0.3)
                fig.colorbar(cs, ax=ax, label=value_label(d))
            else:
                ax.text(0.5, 0.5, "too few finite points for contours", ha="center", transform=ax.transAxes)
            if trajectory:
                overlay_trajectory(ax, s)
        elif kind == "surface":
            A, B = np.meshgrid(s["alpha"], s["beta"], indexing="ij")
            ax.plot_surface(A, B, s["plotted"], cmap="viridis", linewidth=0, antialiased=True,
                            rstride=1, cstride=1)
            ax.set_zlabel(value_label(d))
        else:
            raise ValueError(f"unknown kind {kind}")
        ax.set_xlabel("α")
        if s["beta"].size > 1:
            ax.set_ylabel("β")
        ax.set_title(panel_title(s), fontsize=10)
    notes = (["rescaled to [-1, 1]"] if d["rescaled"] else []) + \
        ([f"clipped to the {d['clip']:g}-{100 - d['clip']:g} percentiles"] if d["clip"] > 0 else [])
    fig.suptitle(f"{d['description']}\nloss landscapes" + (f" ({', '.join(notes)})" if notes else ""), fontsize=10)
    fig.tight_layout()
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("file", help="HDF5 file written by `vna landscape`")
    ap.add_argument("--snapshots", nargs="+", help="labels to draw (default: all in the file)")
    ap.add_argument("--kind", nargs="+", choices=KINDS, default=list(KINDS), help="figures to make (default: all)")
    ap.add_argument("--rescale", action="store_true", help="map each panel's values to [-1, 1] (Fig. 4)")
    ap.add_argument("--clip", type=float, default=0.0, metavar="PCT",
                    help="clip each panel to its [PCT, 100-PCT] percentiles before drawing (default 0: off); "
                         "keeps rare extreme points from flattening the colour scale")
    ap.add_argument("--no-trajectory", action="store_true", help="leave out the trajectory overlay")
    ap.add_argument("--levels", type=int, default=20, help="contour levels (default 20)")
    ap.add_argument("--out", help="output prefix (default: FILE without .h5); writes PREFIX_<kind>.png/.pdf")
    args = ap.parse_args(argv)
    prefix = args.out or args.file.removesuffix(".h5")
    try:
        d = landscape_data(args.file, args.snapshots, args.rescale, args.clip)
    except KeyError as e:
        sys.exit(f"{args.file}: not a `vna landscape` result or no such snapshot ({e})")
    except OSError as e:
        sys.exit(f"{args.file}: cannot read ({e})")
    written = []
    for kind in args.kind:
        fig = figure(d, kind, trajectory=not args.no_trajectory, levels=args.levels)
        for ext in ("png", "pdf"):
            fig.savefig(f"{prefix}_{kind}.{ext}", dpi=130)
        written.append(f"{prefix}_{kind}")
        plt.close(fig)
    print("wrote " + ", ".join(w + ".png/.pdf" for w in written))


if __name__ == "__main__":
    main()
