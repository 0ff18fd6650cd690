#!/usr/bin/python3
"""Golden outputs: a fixed set of vna commands whose result files must stay identical, dataset by
dataset, through refactors (the guide: "a refactor keeps outputs identical: record golden outputs first
and compare after").

For every command the record (tests/golden/records/<case>.json) holds, per dataset, its dtype, shape
and the SHA-256 of its raw bytes, and per group or dataset the SHA-256 of its attributes. Left out:
the root attributes (provenance: times, hosts, paths, git commit, rank count), datasets under a
`timing` group or named `*_seconds` (wall times), and attributes whose name contains `time` or
`seconds`. Everything else must match to the bit, at any rank count, except the PCA datasets (a
dataset whose name contains `pca`): Eigen's SVD follows the host's vector units (-march=native), so
their last bits differ between CPUs (seen between the machines of 2026-12-03 and earlier); they are
recorded at 8 significant digits (-0 as 0), which rounding differences of ~1e-15 cross with a chance
of about 1e-7 per value.

  golden.py record --vna BUILD/src/vna [--ranks 1]      rewrites tests/golden/records/*.json
  golden.py check  --vna BUILD/src/vna --ranks 2        runs the same commands and compares
Both need --mpiexec (default: mpiexec on PATH) and a scratch folder (--work, default a temporary one).
tools/golden/record.sh records with build/ and checks the record at 2 ranks."""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
RECORDS = os.path.join(SOURCE, "tests", "golden", "records")


def sets(*pairs):
    out = []
    for p in pairs:
        out += ["--set", p]
    return out


# (case, vna arguments); {W} is the scratch folder. Paths are relative to the source tree. Each case is
# small (seconds) but goes through one driver path: VCA float vanilla2d (the default job, shortened,
# with a trajectory), VQA (logProbFlips), regularized double tensorized2d, dilated1d, `vna analyze`,
# landscapes (classical with block normalization; VQA with snapshot directions), a campaign with
# every method, and per-site networks of every cell on EA and SK.
CASES = [
    ("default_anneal", ["anneal", "input/default.yaml"] +
     sets("anneal.warmup_steps=40", "anneal.annealing_steps=60", "anneal.train_steps=2",
          "anneal.trajectory_every=10", "analysis.samples=3000", "analysis.stored_samples=100")),
    ("vqa_anneal", ["anneal", "input/nm_vqa_L3.yaml"] +
     sets("anneal.warmup_steps=20", "anneal.annealing_steps=30", "anneal.train_steps=2",
          "replicas.count=2", "analysis.samples=2000", "analysis.stored_samples=50")),
    ("double_anneal", ["anneal", "input/default.yaml"] +
     sets("ansatz.precision=double", "ansatz.cell=tensorized2d", "ansatz.hidden=8", "anneal.mode=regularized",
          "anneal.gamma0=1.0", "anneal.warmup_steps=10", "anneal.annealing_steps=20", "anneal.train_steps=2",
          "replicas.count=3", "analysis.samples=1500", "analysis.stored_samples=20")),
    ("dilated_anneal", ["anneal", "input/default.yaml"] +
     sets("ansatz.cell=dilated1d", "ansatz.hidden=10", "anneal.warmup_steps=10", "anneal.annealing_steps=20",
          "anneal.train_steps=2", "replicas.count=2", "analysis.samples=1200", "analysis.stored_samples=20")),
    ("double_analyze", ["analyze", "input/default.yaml"] +
     sets("analysis.source={W}/double_anneal.h5", "analysis.samples=2500", "analysis.stored_samples=30")),
    ("default_landscape", ["landscape", "tests/golden/landscape.yaml"] +
     sets("landscape.source={W}/default_anneal.h5")),
    ("vqa_landscape", ["landscape", "tests/golden/landscape_vqa.yaml"] +
     sets("landscape.source={W}/vqa_anneal.h5")),
    ("campaign", ["campaign", "tests/golden/campaign.yaml"]),
    # Per-site networks (the spin-glass defaults), every cell: their backward passes and gradient flush.
    ("ea_tensorized2d_per_site", ["anneal", "tests/golden/ea_per_site.yaml"]),
    ("ea_vanilla2d_per_site", ["anneal", "tests/golden/ea_per_site.yaml"] + sets("ansatz.cell=vanilla2d")),
    ("sk_dilated1d_per_site", ["anneal", "tests/golden/sk_per_site.yaml"]),
    ("sk_tensorized1d_per_site", ["anneal", "tests/golden/sk_per_site.yaml"] + sets("ansatz.cell=tensorized1d")),
    ("sk_vanilla1d_per_site", ["anneal", "tests/golden/sk_per_site.yaml"] + sets("ansatz.cell=vanilla1d")),
]


def skipped_dataset(path):
    parts = path.split("/")
    return "timing" in parts or parts[-1].endswith("_seconds")


def skipped_attribute(name):
    return "time" in name or "seconds" in name


def value_bytes(value):
    if isinstance(value, (bytes, str)):
        return value.encode() if isinstance(value, str) else value
    a = np.asarray(value)
    if a.dtype.kind in "OSU":
        items = [x.decode() if isinstance(x, bytes) else str(x) for x in a.reshape(-1)]
        return ("\0".join(items) + "|" + str(a.shape)).encode()
    return a.dtype.str.encode() + str(a.shape).encode() + np.ascontiguousarray(a).tobytes()


def rounded(a, digits=8):
    a = np.asarray(a, dtype=np.float64)
    flat = np.array([float(f"{v:.{digits - 1}e}") for v in a.reshape(-1)], dtype=np.float64)
    return flat.reshape(a.shape) + 0.0


def digest(data):
    return hashlib.sha256(data).hexdigest()[:24]


def file_record(path):
    """{'/dataset': 'dtype[shape] hash', '@/group': 'hash of its attributes'}"""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            full = "/" + name
            attrs = sorted(k for k in obj.attrs.keys() if not skipped_attribute(k))
            if attrs:
                h = hashlib.sha256()
                for k in attrs:
                    h.update(k.encode() + b"=" + value_bytes(obj.attrs[k]) + b";")
                out["@" + full] = h.hexdigest()[:24]
            if isinstance(obj, h5py.Dataset) and not skipped_dataset(full):
                data = obj.asstr()[()] if h5py.check_string_dtype(obj.dtype) else obj[()]
                if "pca" in name.split("/")[-1]:
                    data = rounded(data)
                shape = "x".join(str(d) for d in obj.shape)
                out[full] = f"{obj.dtype.str}[{shape}] {digest(value_bytes(data))}"
        f.visititems(visit)
    return dict(sorted(out.items()))


def run_case(args, case, vna_args, work):
    argv = [a.replace("{W}", work) for a in vna_args]
    out = os.path.join(work, case + ".h5")
    cmd = [args.mpiexec, "-n", str(args.ranks), args.vna] + argv + ["--output", out, "--force"]
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    for k in list(env):
        if k.startswith(("PMIX_", "OPAL_")) or (k.startswith("OMPI_") and not k.startswith(("OMPI_ALLOW", "OMPI_MCA_rmaps"))):
            del env[k]
    r = subprocess.run(cmd, cwd=SOURCE, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return out, " ".join(["vna"] + vna_args)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["record", "check"])
    p.add_argument("--vna", required=True)
    p.add_argument("--mpiexec", default=shutil.which("mpiexec") or "mpiexec")
    p.add_argument("--ranks", type=int, default=1)
    p.add_argument("--work", default=None)
    p.add_argument("--cases", nargs="*", default=None, help="only these cases (default: all)")
    args = p.parse_args()
    args.vna = os.path.abspath(args.vna)
    work = args.work or tempfile.mkdtemp(prefix="vna-golden-")
    os.makedirs(work, exist_ok=True)
    os.makedirs(RECORDS, exist_ok=True)
    failures = []
    for case, vna_args in CASES:
        if args.cases and case not in args.cases:
            continue
        out, command = run_case(args, case, vna_args, work)
        rec = file_record(out)
        path = os.path.join(RECORDS, case + ".json")
        if args.mode == "record":
            with open(path, "w") as f:
                json.dump({"command": command, "entries": rec}, f, indent=1)
                f.write("\n")
            print(f"recorded {case}: {len(rec)} entries")
            continue
        with open(path) as f:
            want = json.load(f)
        if want["command"] != command:
            failures.append(f"{case}: the record was made with another command: {want['command']}")
        got, exp = rec, want["entries"]
        diff = [k for k in sorted(set(got) | set(exp)) if got.get(k) != exp.get(k)]
        for k in diff:
            failures.append(f"{case} {k}: expected {exp.get(k, '(absent)')}, got {got.get(k, '(absent)')}")
        print(f"{case}: {len(exp)} entries, {len(diff)} different ({args.ranks} rank(s))")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
