#!/bin/bash
# Submits the mode-collapse study as a SLURM job array (jobscripts/mode_collapse_array.sbatch, one task per
# run) and, after all of it (afterok), a job that writes the table and the plot (doc/reproduction.md).
#
#   jobscripts/submit_mode_collapse.sh [--quick] [--runs 0-9] [STUDY [OUT]]
#
# STUDY defaults to input/mode_collapse/study.yaml, OUT to out/mode_collapse (out/mode_collapse_quick with
# --quick). --runs limits the array to some runs (an sbatch --array list). Extra sbatch options:
# ARRAY_SBATCH_ARGS (the array tasks), TABLE_SBATCH_ARGS (the table job). vna is $VNA or the `vna` on PATH.
# Prints array_job=ID and table_job=ID.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
quick=() runs="" positional=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=(--quick) ;;
    --runs) runs=$2; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
study=${positional[0]:-$repo/input/mode_collapse/study.yaml}
default_out=$repo/out/mode_collapse
[ ${#quick[@]} = 0 ] || default_out=${default_out}_quick
out=${positional[1]:-$default_out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
study=$(cd "$(dirname "$study")" && pwd)/$(basename "$study")
tool=$repo/tools/mode_collapse_study.py
count=$(/usr/bin/python3 "$tool" list "$study" "${quick[@]}" | grep -c '^ *[0-9]')
[ -n "$runs" ] || runs=0-$((count - 1))
# shellcheck disable=SC2086  # the *_SBATCH_ARGS are lists of options
array=$(sbatch --parsable --array="$runs" ${ARRAY_SBATCH_ARGS:-} \
  --export=ALL,VNA_STUDY_ARGS="${quick[*]}" "$here/mode_collapse_array.sbatch" "$study" "$out")
[ -n "$array" ] || { echo "submit_mode_collapse: sbatch of the array failed" >&2; exit 1; }
array=${array%%;*}
table=(/usr/bin/python3 "$tool" table "$study" --out "$out" "${quick[@]}")
# shellcheck disable=SC2086
table_job=$(sbatch --parsable --job-name=vna-mode-collapse-table --dependency="afterok:$array" \
  --kill-on-invalid-dep=yes ${TABLE_SBATCH_ARGS:-} --wrap "$(printf '%q ' "${table[@]}")")
echo "array_job=$array"
echo "table_job=${table_job%%;*}"
