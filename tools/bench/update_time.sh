#!/bin/bash
# Wall time per VCA update in a real annealing run (tools/bench/update_time.yaml: issue 14's per-site
# tensorized2d trial on the published EA 10x10 instance), pinned to one core; prints the mean, median,
# and the medians of the first and last 1000 updates (the samples concentrate as T falls, which changes
# what the kernels skip), with the machine. Not a test: speed is measured here, not asserted.
#
#   tools/bench/update_time.sh [--vna PATH] [--core N] [--set KEY=VALUE ...]
#
# e.g. --set ansatz.weight_sharing=true for the shared network, --set anneal.annealing_steps=100.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
vna="$here/build/src/vna"
core=1
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --vna) vna=$2; shift ;;
    --core) core=$2; shift ;;
    --set) sets+=(--set "$2"); shift ;;
    *) echo "update_time.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s.%N)
taskset -c "$core" "$vna" anneal "$here/tools/bench/update_time.yaml" "${sets[@]}" --output "$work/run.h5" > "$work/log" 2>&1 ||
  { cat "$work/log" >&2; exit 1; }
end=$(date +%s.%N)
echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), core $core; $(git -C "$here" describe --always --dirty 2>/dev/null)"
/usr/bin/python3 - "$work/run.h5" "$start" "$end" <<'PY'
import sys
import h5py
import numpy as np
t = h5py.File(sys.argv[1], "r")["anneal/timing/update_seconds"][()].ravel() * 1e3
wall = float(sys.argv[3]) - float(sys.argv[2])
k = min(1000, max(1, len(t) // 2))
print(f"{len(t)} updates in {wall:.1f} s: mean {t.mean():.2f} ms, median {np.median(t):.2f} ms, "
      f"first {k} {np.median(t[:k]):.2f} ms, last {k} {np.median(t[-k:]):.2f} ms (medians)")
PY
