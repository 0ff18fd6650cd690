#!/usr/bin/python3
"""Tests of the figure tools in tools/: each renders its figures from small result files that this test
makes with vna itself (Newman-Moore L = 3: `vna exact`, `vna anneal`, `vna landscape`; a Monte Carlo
`vna campaign` on SK N = 10), the images are non-empty, and the arrays the figures plot equal the file's
datasets (read here independently with h5py).

Run by ctest: test_plot_tools.py --vna BUILD/src/vna --tools SOURCE/tools --tmp DIR"""
import argparse
import os
import shutil
import subprocess
import sys
import unittest

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

ARGS = None

MODEL = "model: {type: newman_moore, L: 3}\n"
ANNEAL = MODEL + """ansatz: {cell: vanilla2d, hidden: 8, seed: 2}
anneal: {mode: classical, T0: 2.0, warmup_steps: 20, annealing_steps: 20, train_steps: 2, samples: 32,
         learning_rate: 2e-3, snapshots: [initial, after_warmup, "1.0", final]}
replicas: {count: 2, seed: 3}
analysis: {samples: 500, stored_samples: 40}
exact: {temperatures: [0.5, 1.0, 2.0, 0.25], gammas: [0.5, 1.0]}
"""


CAMPAIGN = """model: {type: sherrington_kirkpatrick, N: 10, seed: 2}
campaign: {methods: [sa, pt, pa], annealing_steps: [3, 30], realizations: 3}
sa: {replicas: 8, sweeps_per_step: 2, warmup_sweeps: 5}
pt: {temperatures: 4, runs: 3}
pa: {population: 20, beta_max: 3.0}
"""


def run_vna(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_"))}
    r = subprocess.run([ARGS.vna, *args], capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"vna {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def check_png(test, path):
    """A real, non-blank image."""
    test.assertTrue(os.path.getsize(path) > 1000, path)
    img = mpimg.imread(path)
    test.assertGreater(img.shape[0], 50)
    test.assertGreater(img.shape[1], 50)
    test.assertGreater(float(np.std(img[..., :3])), 0.01, f"{path} is blank")


def check_pdf(test, path):
    with open(path, "rb") as f:
        test.assertEqual(f.read(5), b"%PDF-", path)
    test.assertTrue(os.path.getsize(path) > 1000, path)


def check_outputs(test, prefix):
    check_png(test, prefix + ".png")
    check_pdf(test, prefix + ".pdf")


def import_tool(name):
    if ARGS.tools not in sys.path:
        sys.path.insert(0, ARGS.tools)
    return __import__(name)


class Files:
    """The result files, made once."""
    made = False

    @classmethod
    def make(cls):
        if cls.made:
            return
        d = cls.dir = os.path.join(ARGS.tmp, "plot_tools")
        os.makedirs(d, exist_ok=True)
        cfg = write(os.path.join(d, "nm3.yaml"), ANNEAL)
        cls.exact = os.path.join(d, "nm3.exact.h5")
        cls.anneal = os.path.join(d, "nm3.anneal.h5")
        cls.landscape = os.path.join(d, "nm3.landscape.h5")
        cls.line = os.path.join(d, "nm3.line.h5")
        cls.nonfinite = os.path.join(d, "nm3.nonfinite.h5")
        run_vna("exact", cfg, "--output", cls.exact, "--force")
        run_vna("anneal", cfg, "--output", cls.anneal, "--force")
        base = f"landscape:\n  source: {cls.anneal}\n  samples: 16\n"
        lcfg = write(os.path.join(d, "ls.yaml"), base + "  snapshots: [initial, final]\n  points: [7, 5]\n"
                                                         "  directions: {normalize: block}\n")
        run_vna("landscape", lcfg, "--output", cls.landscape, "--force")
        lcfg = write(os.path.join(d, "line.yaml"), base + "  snapshots: [final]\n  points: [9, 1]\n  line: true\n")
        run_vna("landscape", lcfg, "--output", cls.line, "--force")
        lcfg = write(os.path.join(d, "nf.yaml"), base + "  snapshots: [final]\n  points: [3, 3]\n"
                                                      "  alpha: [-1.0e30, 1.0e30]\n  beta: [-1.0e30, 1.0e30]\n")
        run_vna("landscape", lcfg, "--output", cls.nonfinite, "--force")
        cls.campaign = os.path.join(d, "mc.campaign.h5")
        ccfg = write(os.path.join(d, "mc.yaml"), CAMPAIGN)
        run_vna("campaign", ccfg, "--output", cls.campaign, "--force")
        cls.made = True


class ToolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        Files.make()

    def tearDown(self):
        plt.close("all")

    def out(self, name):
        return os.path.join(Files.dir, name)


class HelpTest(unittest.TestCase):
    def test_every_tool_has_help(self):
        for tool in ("plot_anneal.py", "plot_modes.py", "plot_exact.py", "plot_landscape.py", "plot_residual.py"):
            r = subprocess.run(["/usr/bin/python3", os.path.join(ARGS.tools, tool), "--help"], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 0, tool)
            self.assertIn("usage:", r.stdout, tool)
            self.assertIn("PNG", r.stdout, tool)


class PlotLandscapeTest(ToolTest):
    def test_arrays_equal_the_file(self):
        pl = import_tool("plot_landscape")
        d = pl.landscape_data(Files.landscape)
        with h5py.File(Files.landscape, "r") as f:
            n = f["model"].attrs["num_spins"]
            self.assertEqual([s["label"] for s in d["snapshots"]], ["initial", "final"])
            for s in d["snapshots"]:
                g = f["landscape"][s["label"]]
                np.testing.assert_array_equal(s["alpha"], g["alpha"][()])
                np.testing.assert_array_equal(s["beta"], g["beta"][()])
                np.testing.assert_array_equal(s["plotted"], g["loss"][()] / n)  # all points finite and done
                np.testing.assert_array_equal(s["trajectory"], g["trajectory"][()])
                self.assertEqual(s["plotted"].shape, (7, 5))
            np.testing.assert_array_equal(d["trajectory"]["pca"], f["trajectory/pca"][()])
        # Rescaled as in Fig. 4: an affine map of each panel onto [-1, 1] (closed form).
        r = pl.landscape_data(Files.landscape, ["final"], rescaled=True)["snapshots"][0]
        raw = d["snapshots"][1]["plotted"]
        self.assertEqual(r["plotted"].min(), -1.0)
        self.assertEqual(r["plotted"].max(), 1.0)
        np.testing.assert_allclose(r["plotted"], 2 * (raw - raw.min()) / (raw.max() - raw.min()) - 1, rtol=0,
                                   atol=1e-12)

    def test_figures_show_the_file(self):
        pl = import_tool("plot_landscape")
        prefix = self.out("ls")
        pl.main([Files.landscape, "--out", prefix])
        for kind in pl.KINDS:
            check_outputs(self, f"{prefix}_{kind}")
        d = pl.landscape_data(Files.landscape)
        fig = pl.figure(d, "heatmap")
        axes = [ax for ax in fig.axes if ax.images]
        self.assertEqual(len(axes), 2)
        for ax, s in zip(axes, d["snapshots"]):
            # imshow draws [beta][alpha]; the overlay is the stored trajectory.
            np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), s["plotted"].T)
            traj = [l for l in ax.lines if l.get_label() == "trajectory"][0]
            np.testing.assert_array_equal(traj.get_xdata(), s["trajectory"][:, 0])
            np.testing.assert_array_equal(traj.get_ydata(), s["trajectory"][:, 1])
        fig = pl.figure(d, "trajectory")
        np.testing.assert_array_equal(fig.axes[0].collections[0].get_offsets(), d["trajectory"]["pca"])

    def test_line_scan_and_nonfinite_points(self):
        pl = import_tool("plot_landscape")
        pl.main([Files.line, "--out", self.out("line"), "--kind", "contour"])
        check_outputs(self, self.out("line_contour"))
        d = pl.landscape_data(Files.line)
        fig = pl.figure(d, "heatmap")
        with h5py.File(Files.line, "r") as f:
            n = f["model"].attrs["num_spins"]
            loss = f["landscape/final/loss"][()]
            np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), loss[:, 0] / n)
            np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), f["landscape/final/alpha"][()])
        d = pl.landscape_data(Files.nonfinite)
        with h5py.File(Files.nonfinite, "r") as f:
            flags = f["landscape/final/nonfinite"][()].astype(bool)
        self.assertTrue(flags.any())
        np.testing.assert_array_equal(np.isnan(d["snapshots"][0]["plotted"]), flags)
        pl.main([Files.nonfinite, "--out", self.out("nf"), "--kind", "heatmap", "contour", "--rescale"])
        check_outputs(self, self.out("nf_heatmap"))


class PlotAnnealTest(ToolTest):
    def test_curves_equal_the_file(self):
        pa = import_tool("plot_anneal")
        c = pa.curves(Files.anneal)
        with h5py.File(Files.anneal, "r") as f:
            n = f["model"].attrs["num_spins"]
            tr = f["anneal/trace"]
            steps = tr["annealing_step"][()]
            loss, temp = tr["loss"][()], tr["temperature"][()]
            ids = np.unique(steps)
            np.testing.assert_array_equal(c["steps"], ids)
            for k, a in enumerate(ids):
                sel = steps == a
                np.testing.assert_allclose(c["loss_per_spin"][:, k], loss[:, sel].mean(axis=1) / n, rtol=1e-14)
                self.assertEqual(c["x"][k], temp[sel][0])
        pa.main([Files.anneal, "--exact", Files.exact, "--out", self.out("anneal")])
        check_outputs(self, self.out("anneal"))
        ax1 = plt.gcf().axes[0]
        # The first line is the median over the 2 replicas of the curve; the exact curve is dashed.
        np.testing.assert_allclose(ax1.lines[0].get_ydata(), np.median(c["loss_per_spin"], axis=0), rtol=1e-14)
        with h5py.File(Files.exact, "r") as f:
            T, fe = f["exact/thermo/temperature"][()], f["exact/thermo/free_energy_per_spin"][()]
        order = np.argsort(T)
        np.testing.assert_array_equal(ax1.lines[1].get_xdata(), T[order])
        np.testing.assert_array_equal(ax1.lines[1].get_ydata(), fe[order])


class PlotModesTest(ToolTest):
    def test_modes_equal_the_file(self):
        pm = import_tool("plot_modes")
        d = pm.mode_data(Files.anneal)
        with h5py.File(Files.anneal, "r") as f:
            a = f["analysis"]
            np.testing.assert_array_equal(d["pca"], a["pca"][()])
            ref = a["hamming_reference"][()]
            np.testing.assert_array_equal(d["hamming"], (a["samples"][()] != ref).sum(axis=2))
            rep, prob = a["ground_states_found_replica"][()], a["ground_states_found_probability"][()]
        pm.main([Files.anneal, "--out", self.out("modes")])
        check_outputs(self, self.out("modes"))
        fig = plt.gcf()
        for r in range(2):  # subplots [replica][scatter, bars] come first, the colorbars after them
            np.testing.assert_array_equal(fig.axes[2 * r].collections[0].get_offsets(), d["pca"][r])
            bars = [p.get_height() for p in fig.axes[2 * r + 1].patches]
            np.testing.assert_array_equal(bars, prob[rep == r])


class PlotResidualTest(ToolTest):
    def test_curves_against_steps_and_attempts_equal_the_file(self):
        pr = import_tool("plot_residual")
        pr.main([Files.campaign, "--out", self.out("residual"), "--x", "steps", "attempts"])
        check_outputs(self, self.out("residual"))
        fig = plt.gcf()
        self.assertEqual(len(fig.axes), 2)
        d = pr.residual_curves(Files.campaign)
        with h5py.File(Files.campaign, "r") as f:
            r = f["campaign/results"]
            methods = [m.decode() if isinstance(m, bytes) else m for m in f["campaign"].attrs["methods"]]
            for m, name in enumerate(methods):
                c = d["curves"][name]
                for k, a in enumerate(f["campaign/annealing_steps"][()]):
                    sel = (r["method"][()] == m) & (r["annealing_steps"][()] == a)
                    self.assertEqual(c["median"][k], np.median(r["residual_energy_per_spin"][()][sel]))
                    self.assertEqual(c["attempts"][k], np.median(r["attempts"][()][sel]))
        # Each panel draws the curves at their own x: steps on the left, attempts on the right.
        for line, (name, c) in zip(fig.axes[1].lines, d["curves"].items()):
            pos = c["median"] > 0
            np.testing.assert_array_equal(line.get_xdata(), c["attempts"][pos])
            np.testing.assert_array_equal(line.get_ydata(), c["median"][pos])

    def test_files_are_combined(self):
        pr = import_tool("plot_residual")
        d = pr.combined_curves([Files.campaign, Files.campaign])
        self.assertEqual(d["methods"], ["sa", "pt", "pa", "sa (mc.campaign)", "pt (mc.campaign)", "pa (mc.campaign)"])
        np.testing.assert_array_equal(d["curves"]["pt (mc.campaign)"]["median"], d["curves"]["pt"]["median"])
        # Labels name the ansatz: the Monte Carlo methods carry one only when their name repeats.
        d = pr.combined_curves([Files.campaign, Files.campaign], labels=["one", "two"])
        self.assertEqual(d["methods"], ["sa", "pt", "pa", "sa (two)", "pt (two)", "pa (two)"])
        # A network method carries its file's label even when its name is met once: the same rows,
        # their first method renamed vca.
        renamed = self.out("renamed.campaign.h5")
        shutil.copyfile(Files.campaign, renamed)
        with h5py.File(renamed, "r+") as f:
            f["campaign"].attrs["methods"] = ["vca", "pt", "pa"]
        d = pr.combined_curves([renamed, Files.campaign], labels=["per site", "mc"])
        self.assertEqual(d["methods"], ["vca (per site)", "pt", "pa", "sa", "pt (mc)", "pa (mc)"])
        np.testing.assert_array_equal(d["curves"]["vca (per site)"]["median"], d["curves"]["sa"]["median"])
        self.assertTrue(pr.markdown_table(d).startswith("| steps | VCA (per site), n = 3 | PT, n = 3 |"))
        with self.assertRaises(ValueError):
            pr.combined_curves([Files.campaign], labels=["one", "two"])

    def test_best_found_instances_share_the_lowest_e0(self):
        # Two copies of the campaign whose instances have no exact ground truth: in a, E0 is the
        # campaign's (the enumerated value); b's methods "found" E0 + 1 only, its residuals and
        # reached flags measured against that. Together both are measured against a's E0: b's curves
        # become a's (the same rows), origin of the equalities.
        pr = import_tool("plot_residual")
        a, b = self.out("best_a.campaign.h5"), self.out("best_b.campaign.h5")
        for path, shift in ((a, 0.0), (b, 1.0)):
            shutil.copyfile(Files.campaign, path)
            with h5py.File(path, "r+") as f:
                inst, r = f["campaign/instances"], f["campaign/results"]
                n = inst["ground_truth_origin"].shape[0]
                del inst["ground_truth_origin"]
                inst["ground_truth_origin"] = np.array([b"best found by the campaign (not exact)"] * n)
                e0 = inst["ground_energy"][()] + shift
                inst["ground_energy"][...] = e0
                rows = r["instance"][()]
                N = inst["num_spins"][()][rows]
                r["residual_energy_per_spin"][...] = (r["mean_energy"][()] - e0[rows]) / N
                r["min_residual_energy_per_spin"][...] = (r["min_energy"][()] - e0[rows]) / N
                if shift:
                    r["reached_ground_state"][...] = 1
        with h5py.File(a, "r") as f:
            descriptions = [x.decode() for x in f["campaign/instances/description"][()]]
            self.assertEqual(pr.best_found_energies([a, b]),
                             dict(zip(descriptions, f["campaign/instances/ground_energy"][()])))
        # An exact ground energy in another file wins over the best found.
        with h5py.File(Files.campaign, "r") as f:
            exact = dict(zip(descriptions, f["campaign/instances/ground_energy"][()] - 0.5))
        shifted = self.out("exact_shifted.campaign.h5")
        shutil.copyfile(Files.campaign, shifted)
        with h5py.File(shifted, "r+") as f:
            f["campaign/instances/ground_energy"][...] = f["campaign/instances/ground_energy"][()] - 0.5
        self.assertEqual(pr.best_found_energies([b, shifted]), exact)
        alone = pr.residual_curves(b)
        self.assertFalse(np.array_equal(alone["curves"]["pt"]["median"], pr.residual_curves(a)["curves"]["pt"]["median"]))
        for quantity in ("residual_energy_per_spin", "min_residual_energy_per_spin"):
            d = pr.combined_curves([a, b], quantity=quantity, labels=["a", "b"])
            self.assertEqual(d["best_found_instances"], len(descriptions))
            for m in ("sa", "pt", "pa"):
                for key in ("median", "low", "high", "ground_state_probability"):
                    np.testing.assert_array_equal(d["curves"][f"{m} (b)"][key], d["curves"][m][key],
                                                  err_msg=f"{quantity} {m} {key}")

    def test_saved_curves_redraw_the_figure(self):
        # OUT.json holds the plotted arrays: read back, they equal the file's curves (NaN where the
        # file has none), give the same table, and combine with a campaign file as a second file would.
        pr = import_tool("plot_residual")
        pr.main([Files.campaign, "--out", self.out("saved")])
        saved = self.out("saved.json")
        d = pr.residual_curves(Files.campaign)
        back = pr.combined_curves([saved])
        self.assertEqual(back["methods"], d["methods"])
        for name, c in d["curves"].items():
            for q, arr in c.items():
                np.testing.assert_array_equal(back["curves"][name][q], arr, err_msg=f"{name} {q}")
                self.assertEqual(back["curves"][name][q].dtype.kind, np.asarray(arr).dtype.kind, f"{name} {q}")
        self.assertEqual(pr.markdown_table(back), pr.markdown_table(d))
        both = pr.combined_curves([saved, Files.campaign])
        self.assertEqual(both["methods"], pr.combined_curves([Files.campaign, Files.campaign])["methods"])
        pr.main([saved, "--out", self.out("redrawn")])
        check_outputs(self, self.out("redrawn"))
        with open(saved) as f, open(self.out("redrawn.json")) as g:
            self.assertEqual(f.read(), g.read())
        # Saved for another quantity or band: refused, not drawn as if comparable.
        with self.assertRaises(ValueError):
            pr.combined_curves([saved], quantity="min_residual_energy_per_spin")
        with self.assertRaises(ValueError):
            pr.combined_curves([saved], low=10.0, high=90.0)
        # An input is never an output.
        with self.assertRaises(SystemExit):
            pr.main([saved, "--out", self.out("saved")])

    def test_table_equals_the_file(self):
        # P(GS) is the fraction of instances whose row reached E0, the time the median of
        # /campaign/timing/row_seconds: both read here from the rows.
        pr = import_tool("plot_residual")
        d = pr.residual_curves(Files.campaign)
        table = pr.markdown_table(d).splitlines()
        self.assertEqual(table[0], "| steps | SA, n = 3 | PT, n = 3 | PA, n = 3 |")
        with h5py.File(Files.campaign, "r") as f:
            r = f["campaign/results"]
            seconds = f["campaign/timing/row_seconds"][()]
            steps = f["campaign/annealing_steps"][()]
            for m, name in enumerate(d["methods"]):
                c = d["curves"][name]
                for k, a in enumerate(steps):
                    sel = (r["method"][()] == m) & (r["annealing_steps"][()] == a)
                    self.assertEqual(c["ground_state_probability"][k], np.mean(r["reached_ground_state"][()][sel] != 0))
                    self.assertEqual(c["seconds"][k], np.median(seconds[sel]))
                    cell = table[2 + k].split(" | ")[1 + m].rstrip(" |")
                    self.assertEqual(cell, f"{pr._short(c['median'][k])} [{pr._short(c['low'][k])}, "
                                           f"{pr._short(c['high'][k])}], {c['ground_state_probability'][k]:.2g}, "
                                           f"{c['seconds'][k]:.3g} s")
        self.assertEqual(pr._short(6.72e-3), "6.7e-3")
        self.assertEqual(pr._short(0.0), "0")


class PlotExactTest(ToolTest):
    def test_exact_curves_equal_the_file(self):
        pe = import_tool("plot_exact")
        pe.main([Files.exact, "--out", self.out("exact")])
        check_outputs(self, self.out("exact"))
        fig = plt.gcf()
        with h5py.File(Files.exact, "r") as f:
            th = f["exact/thermo"]
            T = th["temperature"][()]
            order = np.argsort(T)
            lines = fig.axes[0].lines
            for line, name in zip(lines, ("free_energy_per_spin", "energy_per_spin", "entropy_per_spin")):
                np.testing.assert_array_equal(line.get_xdata(), T[order])
                np.testing.assert_array_equal(line.get_ydata(), th[name][()][order])
            la = f["exact/lanczos"]
            g = la["gamma"][()]
            o = np.argsort(g)
            np.testing.assert_array_equal(fig.axes[1].lines[0].get_xdata(), g[o])
            np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(), la["e0_per_spin"][()][o])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--vna", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--tmp", required=True)
    ARGS, rest = ap.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
