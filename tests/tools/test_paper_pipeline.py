#!/usr/bin/python3
"""The paper's reproduction and the mode-collapse study end to end, in their --quick variants (seconds per
job): tools/reproduce_paper.sh --quick runs every job of Figs. 2-6 from input/paper/ and draws the figures;
tools/mode_collapse_study.py runs the study's runs shrunk and tabulates them. Checks that every figure and
table is made, that the landscape files carry their roughness, and that the table's numbers are the
analysis datasets of the runs (read here independently with h5py).

Run by ctest: test_paper_pipeline.py --vna BUILD/src/vna --source SOURCE --tmp DIR"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import unittest

import h5py
import numpy as np

ARGS = None


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith(("OMPI_", "PMIX_"))}
    e["MPLBACKEND"] = "Agg"
    return e


class ReproducePaperQuick(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(ARGS.tmp, "paper_quick")
        shutil.rmtree(cls.out, ignore_errors=True)  # the script reuses finished results
        cls.result = subprocess.run(["bash", os.path.join(ARGS.source, "tools", "reproduce_paper.sh"), "--quick",
                                  "--out", cls.out, "--vna", ARGS.vna, "--jobs", "2"],
                                 capture_output=True, text=True, env=env())

    def test_script_succeeds_and_reports_time(self):
        self.assertEqual(self.result.returncode, 0, self.result.stdout + self.result.stderr)
        self.assertIn("total time:", self.result.stdout)
        with open(os.path.join(self.out, "timings.txt")) as f:
            lines = f.read().splitlines()
        self.assertTrue(lines[-1].startswith("total "), lines)
        self.assertTrue(lines[0].startswith("== "), lines)  # the invocation's header (a fresh folder)
        self.assertEqual(len(lines), 10)  # the header, eight jobs and the total
        self.assertTrue(all("rc=0" in line for line in lines[1:-1]), lines)

    def test_every_figure_is_drawn(self):
        for name in ("fig2", "fig3", "fig4", "fig5", "fig6", "roughness"):
            for ext in ("png", "pdf"):
                path = os.path.join(self.out, "figures", f"{name}.{ext}")
                self.assertTrue(os.path.exists(path), path)
                self.assertGreater(os.path.getsize(path), 5000, path)

    def test_landscapes_carry_their_roughness(self):
        for name in ("fig4_landscape_vca_L5", "fig4_landscape_vqa_L5", "fig5_landscape_vca_L16"):
            with h5py.File(os.path.join(self.out, name + ".h5"), "r") as f:
                labels = [x.decode() if isinstance(x, bytes) else str(x) for x in f["landscape"].attrs["snapshots"]]
                self.assertGreaterEqual(len(labels), 4, name)
                for label in labels:
                    a = f["landscape"][label]["roughness"].attrs
                    # 9 x 9 points (the quick grid): 2·9·8 first and 2·9·7 second differences.
                    self.assertEqual(int(a["first_difference_stencils"]), 144)
                    self.assertEqual(int(a["second_difference_stencils"]), 126)
                    self.assertTrue(math.isfinite(a["first_difference_ratio"]), (name, label))
                    self.assertGreater(a["first_difference_ratio_err"], 0.0)

    def test_summary_quotes_the_runs(self):
        with open(os.path.join(self.out, "figures", "summary.json")) as f:
            s = json.load(f)
        self.assertTrue(s["quick"])
        self.assertEqual(sorted(s["fig2"]), ["16", "3", "5", "6"])
        self.assertEqual(sorted(s["fig3"]), ["3", "5"])
        with h5py.File(os.path.join(self.out, "fig2_vca_L3.anneal.h5"), "r") as f:
            np.testing.assert_allclose(s["fig2"]["3"]["analysis"]["ground_state_fraction"],
                                       f["analysis/ground_state_fraction"][()])
            self.assertEqual(s["fig2"]["3"]["analysis"]["exact_degeneracy"], 4)  # GF(2): L = 3 has 4
        self.assertEqual(len(s["fig6"]["VCA"]["ground_states"]), 4)


class ModeCollapseQuick(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(ARGS.tmp, "mode_collapse_quick")
        shutil.rmtree(cls.out, ignore_errors=True)
        cls.tool = os.path.join(ARGS.source, "tools", "mode_collapse_study.py")
        cls.study = os.path.join(ARGS.source, "input", "mode_collapse", "study.yaml")

    def call(self, command, *args):
        r = subprocess.run(["/usr/bin/python3", self.tool, command, self.study, *args, "--quick", "--out", self.out] +
                           (["--vna", ARGS.vna] if command == "run" else []),
                           capture_output=True, text=True, env=env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_runs_and_table(self):
        listing = self.call("list")
        self.assertIn("vca_L3_paper", listing)
        self.assertNotIn("_L12_", listing)  # --quick keeps L = 3 and 6 only
        self.call("run", "--runs", "0,1")
        table = self.call("table")
        self.assertIn("| VCA | 3 | paper protocol | 4 |", table)
        with open(os.path.join(self.out, "mode_collapse_table.json")) as f:
            rows = json.load(f)
        self.assertEqual(len(rows), 2)
        for row in rows:
            with h5py.File(os.path.join(self.out, row["name"] + ".anneal.h5"), "r") as f:
                a = f["analysis"]
                frac = a["ground_state_fraction"][()]
                self.assertEqual(row["ground_states"], int(a.attrs["exact_degeneracy"]))
                self.assertEqual(row["reached"], int((frac >= 0.5).sum()))
                self.assertAlmostEqual(row["distinct_mean"], float(a["distinct_ground_states"][()].mean()))
                # Entropy over the ground states sampled by replica 0, from the counts.
                c = a["ground_states_found_count"][()][a["ground_states_found_replica"][()] == 0].astype(float)
                if c.sum() > 0 and row["ground_states"] > 1:
                    q = c / c.sum()
                    self.assertAlmostEqual(row["per_seed_entropy_norm"][0],
                                           float(-(q * np.log(q)).sum() / np.log(row["ground_states"])))
        for ext in ("png", "pdf", "_table.md", "_table.csv"):
            self.assertTrue(os.path.exists(os.path.join(self.out, "mode_collapse" + ("." + ext if ext in ("png", "pdf")
                                                                                   else ext))))

    def test_command_lists_one_run(self):
        lines = self.call("command", "1").splitlines()
        self.assertEqual(lines[0], "vca_L6_paper")
        self.assertTrue(lines[1].endswith("fig2_vca_L5.yaml"))
        self.assertTrue(lines[2].endswith("vca_L6_paper.anneal.h5"))
        self.assertIn("model.L=6", lines[3:])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--vna", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--tmp", required=True)
    ARGS, rest = ap.parse_known_args()
    os.makedirs(ARGS.tmp, exist_ok=True)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
