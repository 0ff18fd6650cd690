#!/bin/bash
# The residual-energy campaigns of the Monte Carlo baselines (SA, SQA, PT, PA) on the fast kernels: the 25
# published EA 10x10 instances, 25 generated SK N = 100 realizations and the 25 published Wishart N = 32
# (alpha = 0.5) instances, 2^1 .. 2^13 annealing steps (input/*_mc_campaign.yaml). Writes one campaign file
# per family, its summary (vna analyze) and the residual-energy plots against annealing steps and against
# spin-flip attempts (tools/plot_residual.py) into OUT. Runs under nice -n 19.
#
#   tools/bench/mc_campaigns.sh [--ranks N] [--vna PATH] [--only ea|sk|wishart] [OUT]
#
# About 5 (EA), 35 (SK) and 15 (Wishart) minutes on 2 idle cores of the development machine.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
ranks=2
vna=""
out=""
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ranks) ranks=$2; shift ;;
    --vna) vna=$2; shift ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) out=$1 ;;
  esac
  shift
done
vna=${vna:-$(command -v vna || echo "$here/build/src/vna")}
out=${out:-mc_campaigns}
mkdir -p "$out"
run() { if [ "$ranks" -gt 1 ]; then nice -n 19 mpiexec -n "$ranks" "$vna" "$@"; else nice -n 19 "$vna" "$@"; fi; }

for family in ea_10x10 sk_100 wishart; do
  if [ -n "$only" ] && [ "${family%%_*}" != "$only" ]; then continue; fi
  cfg="$here/input/${family}_mc_campaign.yaml"
  result="$out/$family.campaign.h5"
  echo "== $family: $cfg (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  start=$(date +%s)
  run campaign "$cfg" --output "$result" --force
  echo "== $family: $(( $(date +%s) - start )) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$vna" analyze "$cfg" --set analysis.source="$(realpath "$result")" --output "$out/$family.analyze.h5" --force
  /usr/bin/python3 "$here/tools/plot_residual.py" "$result" --out "$out/${family}_residual" --x steps attempts
done
