#!/usr/bin/python3
"""Merges the result files of a `vna campaign` run as a SLURM job array (jobscripts/campaign_array.sbatch:
one file per block of realizations, PREFIX_0.h5, PREFIX_1.h5, ...) into one file laid out like a single
campaign over all their realizations: /campaign/instances and /campaign/results concatenated in realization
order (the `instance` column renumbered), the per-row networks /campaign/anneal/row_k renumbered,
/campaign/timing/row_seconds concatenated. The blocks must come from the same config apart from
campaign.first_realization and campaign.realizations, and must not overlap.

/campaign/summary is not written: it is a statistic over instances that vna computes; read the rows, or
draw the merged file with tools/plot_residual.py (which computes its curves from the rows). The root
attributes are those of the first block, plus `merged_from` (the block files, in order) and
`merged_realizations` [first, last]."""
import argparse
import re
import sys

import h5py
import numpy as np

NO_SPIN = 255  # padding of best_configuration beyond an instance's N (src/campaign/campaign_table.hpp)
BLOCK_KEYS = re.compile(r"^\s+(first_realization|realizations):.*$", re.MULTILINE)


def _config_without_block(text):
    """The resolved config with the keys that select the block removed (they differ between blocks)."""
    if isinstance(text, bytes):
        text = text.decode()
    return BLOCK_KEYS.sub("", text)


def _concat(arrays):
    """Concatenates along rows; fixed-length strings take the longest length, 2D arrays of different
    widths (best_configuration: N differs between sizes) are padded with NO_SPIN."""
    if arrays[0].ndim == 2 and len({a.shape[1] for a in arrays}) > 1:
        width = max(a.shape[1] for a in arrays)
        arrays = [np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=NO_SPIN) for a in arrays]
    return np.concatenate(arrays)


def merge_campaigns(paths, out):
    """Writes the merged campaign to `out`; returns {"realizations": [...], "rows": n, "instances": m}."""
    blocks = []
    for p in paths:
        f = h5py.File(p, "r")
        if "campaign/results" not in f or "campaign/instances" not in f:
            raise ValueError(f"{p}: not a finished `vna campaign` result (no /campaign/results)")
        if "checkpoint" in f or np.any(f["campaign/results/done"][()] == 0):
            raise ValueError(f"{p}: the campaign is not finished (resume it first)")
        blocks.append((int(np.min(f["campaign/instances/realization"][()])), p, f))
    blocks.sort(key=lambda b: b[0])
    first = blocks[0][2]
    reference = _config_without_block(first.attrs["config"])
    steps = first["campaign/annealing_steps"][()]
    methods = list(first["campaign"].attrs["methods"])
    seen = set()
    for _, p, f in blocks:
        if _config_without_block(f.attrs["config"]) != reference:
            raise ValueError(f"{p}: made with a different config than {blocks[0][1]} "
                             "(only campaign.first_realization and campaign.realizations may differ)")
        if list(f["campaign"].attrs["methods"]) != methods or not np.array_equal(f["campaign/annealing_steps"][()], steps):
            raise ValueError(f"{p}: different methods or annealing lengths")
        # Instances are (size, realization): with campaign.sizes a block holds every size of its realizations.
        inst = f["campaign/instances"]
        keys = set(zip(inst["size"][()].tolist(), inst["realization"][()].tolist()))
        if keys & seen:
            raise ValueError(f"{p}: realizations {sorted(r for _, r in keys & seen)} are also in another block")
        seen |= keys

    with h5py.File(out, "w") as o:
        for k, v in first.attrs.items():
            o.attrs[k] = v
        o.attrs["merged_from"] = [b[1] for b in blocks]
        realizations = sorted({r for _, r in seen})
        o.attrs["merged_realizations"] = np.array([realizations[0], realizations[-1]], dtype=np.int64)
        c = o.create_group("campaign")
        for k, v in first["campaign"].attrs.items():
            c.attrs[k] = v
        c["annealing_steps"] = steps
        inst_names = list(first["campaign/instances"].keys())
        res_names = list(first["campaign/results"].keys())
        instances, results = {n: [] for n in inst_names}, {n: [] for n in res_names}
        row_seconds, instance_offset, row_offset = [], 0, 0
        anneal = c.create_group("anneal") if any("campaign/anneal" in f for _, _, f in blocks) else None
        for _, p, f in blocks:
            n_inst = f["campaign/instances/realization"].shape[0]
            n_rows = f["campaign/results/instance"].shape[0]
            for n in inst_names:
                instances[n].append(f["campaign/instances"][n][()])
            for n in res_names:
                v = f["campaign/results"][n][()]
                results[n].append(v + instance_offset if n == "instance" else v)
            if "campaign/timing/row_seconds" in f:
                row_seconds.append(f["campaign/timing/row_seconds"][()])
            if anneal is not None and "campaign/anneal" in f:
                for name in f["campaign/anneal"]:
                    row = int(name.removeprefix("row_"))
                    f.copy(f["campaign/anneal"][name], anneal, name=f"row_{row + row_offset}")
            instance_offset += n_inst
            row_offset += n_rows
        gi, gr = c.create_group("instances"), c.create_group("results")
        for n in inst_names:
            gi[n] = _concat(instances[n])
        for n in res_names:
            gr[n] = _concat(results[n])
        if row_seconds:
            c.create_group("timing")["row_seconds"] = np.concatenate(row_seconds)
        c.attrs["num_instances"] = instance_offset
        c.attrs["num_rows"] = row_offset
    for _, _, f in blocks:
        f.close()
    return {"realizations": realizations, "rows": row_offset, "instances": instance_offset}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="the block files (any order), e.g. run.campaign_*.h5")
    ap.add_argument("-o", "--output", required=True, help="the merged HDF5 file (overwritten)")
    args = ap.parse_args(argv)
    try:
        d = merge_campaigns(args.files, args.output)
    except (ValueError, KeyError, OSError) as e:
        sys.exit(f"merge_campaign: {e}")
    r = d["realizations"]
    gaps = sorted(set(range(r[0], r[-1] + 1)) - set(r))
    print(f"wrote {args.output}: {d['instances']} instance(s), {d['rows']} row(s), realizations {r[0]}..{r[-1]}"
          + (f" (missing: {gaps})" if gaps else ""))


if __name__ == "__main__":
    main()
