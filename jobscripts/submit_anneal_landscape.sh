#!/bin/bash
# Submits an annealing job and, as a dependent job that starts only once the annealing has finished
# successfully (afterok: requeues of the annealing do not count), the loss landscapes around its
# snapshots (doc/cluster.md).
#
#   jobscripts/submit_anneal_landscape.sh CONFIG [ANNEAL_OUTPUT [LANDSCAPE_OUTPUT]]
#
# Outputs default to <config stem>.anneal.h5 and <config stem>.landscape.h5 in the current folder
# (where both jobs run). Extra sbatch options for each job (they override the #SBATCH lines):
#   ANNEAL_SBATCH_ARGS="--time=24:00:00 --ntasks-per-node=2"  LANDSCAPE_SBATCH_ARGS="--nodes=4"
# Prints the two job ids as `anneal_job=ID` and `landscape_job=ID`. If the annealing fails, the
# landscape job is cancelled (--kill-on-invalid-dep=yes) instead of waiting forever.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
config=$1
[ -f "$config" ] || { echo "submit_anneal_landscape: no config file '$config'" >&2; exit 2; }
stem=$(basename "$config")
[[ $stem == ?*.* ]] && stem=${stem%.*}
anneal_output=${2:-$stem.anneal.h5}
landscape_output=${3:-$stem.landscape.h5}

# shellcheck disable=SC2086  # the *_SBATCH_ARGS are lists of options
anneal_job=$(sbatch --parsable ${ANNEAL_SBATCH_ARGS:-} "$here/anneal.sbatch" "$config" "$anneal_output")
anneal_job=${anneal_job%%;*}  # --parsable prints "id[;cluster]"
# shellcheck disable=SC2086
landscape_job=$(sbatch --parsable --dependency="afterok:$anneal_job" --kill-on-invalid-dep=yes \
  ${LANDSCAPE_SBATCH_ARGS:-} "$here/landscape.sbatch" "$config" "$landscape_output" "$anneal_output")
landscape_job=${landscape_job%%;*}
echo "anneal_job=$anneal_job"
echo "landscape_job=$landscape_job"
