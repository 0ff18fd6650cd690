#!/bin/bash
# Residual energy of VCA, SA and SQA at equal numbers of annealing steps, over disorder realizations:
# the 25 published 2D Edwards-Anderson 10x10 instances (exact ground states) and Sherrington-Kirkpatrick
# N = 20..100 over 25 realizations (N = 20 enumerated exactly, larger N against the best energy any
# method found, marked 'best found' in the file). Writes one campaign file per family, the summary
# tables (vna analyze) and the plots (tools/plot_residual.py) into OUT.
#
#   tools/bench/residual_campaigns.sh [--small] [--paper] [--shared-methods LIST] [--ranks N] [--vna PATH] [OUT]
#
# --small: 5 realizations, annealing_steps [10, 100], SK sizes 20 and 40 (a few minutes on 2 cores).
# The full run (default) uses the sizes of input/ea_10x10_campaign.yaml with annealing_steps
# [10, 100, 1000] and SK sizes [20, 40, 60, 80, 100]: hours on 2 cores, minutes on a GPU node; scale
# further with --set (see the notes in input/ea_10x10_campaign.yaml).
# --paper: the variational neural annealing paper's protocol instead, input/{ea_10x10,sk}_paper_campaign.yaml
# (with --small their _reduced variants), each run twice: per site (their setting) and with
# ansatz.weight_sharing=true (files *_shared.*): the per-site vs shared comparison of doc/performance.md.
# The shared run repeats only the network methods (--shared-methods, default [vca]: SA and SQA do not
# depend on the ansatz); both are then drawn together (OUT/FAMILY_compared.png) and tabulated
# (OUT/FAMILY_table.md: median [q25, q75], P(GS), seconds per row; tools/plot_residual.py --table).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
small=0
paper=0
ranks=2
vna=""
out=""
shared_methods="[vca]"
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1 ;;
    --paper) paper=1 ;;
    --ranks) ranks=$2; shift ;;
    --vna) vna=$2; shift ;;
    --shared-methods) shared_methods=$2; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) out=$1 ;;
  esac
  shift
done
vna=${vna:-$(command -v vna || echo "$here/build/src/vna")}
out=${out:-residual_campaigns}
mkdir -p "$out"
run() { if [ "$ranks" -gt 1 ]; then mpiexec -n "$ranks" "$vna" "$@"; else "$vna" "$@"; fi; }

if [ $small = 1 ]; then
  ea_set=(--set campaign.realizations=5 --set campaign.annealing_steps=[10,100])
  sk_set=(--set campaign.sizes=[20,40] --set campaign.realizations=5 --set campaign.annealing_steps=[10,100])
else
  ea_set=(--set campaign.annealing_steps=[10,100,1000])
  sk_set=(--set campaign.sizes=[20,40,60,80,100] --set campaign.realizations=25
          --set campaign.annealing_steps=[10,100,1000])
fi
# SK: N = 20 is enumerated (2^20 states); the RNN is the fully connected vanilla1d cell.
sk_set+=(--set campaign.max_enumeration_spins=20)

variants=(default)
if [ $paper = 1 ]; then variants=(per_site shared); fi
for family in ea sk; do for variant in "${variants[@]}"; do
  name=$family
  if [ $paper = 1 ]; then
    stem=sk; suffix=""
    if [ $family = ea ]; then stem=ea_10x10; fi
    if [ $small = 1 ]; then suffix=_reduced; fi
    cfg="$here/input/${stem}_paper_campaign$suffix.yaml"
    set_args=()
    if [ $variant = shared ]; then
      set_args=(--set ansatz.weight_sharing=true --set "campaign.methods=$shared_methods"); name=${family}_shared
    fi
  elif [ $family = ea ]; then cfg="$here/input/ea_10x10_campaign.yaml"; set_args=("${ea_set[@]}")
  else cfg="$here/input/sk_campaign.yaml"; set_args=("${sk_set[@]}"); fi
  result="$out/$name.campaign.h5"
  echo "== $family: $cfg ${set_args[*]}"
  start=$(date +%s)
  run campaign "$cfg" "${set_args[@]}" --output "$result" --force
  echo "== $family: $(( $(date +%s) - start )) s"
  "$vna" analyze "$cfg" "${set_args[@]}" --set analysis.source="$(realpath "$result")" \
    --output "$out/$name.analyze.h5" --force
  /usr/bin/python3 "$here/tools/plot_residual.py" "$result" --out "$out/${name}_residual"
done; done
if [ $paper = 1 ]; then for family in ea sk; do
  /usr/bin/python3 "$here/tools/plot_residual.py" "$out/$family.campaign.h5" "$out/${family}_shared.campaign.h5" \
    --labels "per site" shared --table --out "$out/${family}_compared" > "$out/${family}_table.md"
done; fi
