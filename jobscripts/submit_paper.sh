#!/bin/bash
# Submits the reproduction of Inack, Morawetz, Melko (arXiv:2204.11272) as SLURM jobs: what
# tools/reproduce_paper.sh runs on one machine (doc/reproduction.md), with the landscapes as dependent jobs
# of their annealing (afterok) and the figures as a job after all of them.
#
#   jobscripts/submit_paper.sh [--quick] [--out DIR]
#
# DIR (default out/paper, or out/paper_quick with --quick) holds the results and DIR/figures the figures;
# the jobs run there. --quick shortens every job to seconds (the CI variant of tools/reproduce_paper.sh).
# Extra sbatch options per kind of job (they override the #SBATCH lines of the jobscripts):
#   ANNEAL_SBATCH_ARGS  (jobscripts/anneal.sbatch, 6 jobs)       LANDSCAPE_SBATCH_ARGS (landscape.sbatch, 3)
#   EXACT_SBATCH_ARGS   (vna exact, 6 short jobs)                FIGURES_SBATCH_ARGS   (the figures job)
# e.g. ANNEAL_SBATCH_ARGS="--ntasks-per-node=1 --time=02:00:00". vna is $VNA or the `vna` on PATH.
# Prints the job ids (anneal_L3=ID ... figures_job=ID); the figures job's log ends with the total time
# since submission. Failed prerequisites cancel their dependents (--kill-on-invalid-dep=yes).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
quick=0 out=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "submit_paper: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$out" ]; then
  out=$repo/out/paper
  [ $quick = 0 ] || out=${out}_quick
fi
mkdir -p "$out/figures"
out=$(cd "$out" && pwd)
vna=${VNA:-$(command -v vna || true)}
[ -n "$vna" ] && [ -x "$vna" ] || { echo "submit_paper: vna not found: put it on PATH or set VNA" >&2; exit 2; }
export VNA=$vna
in=$repo/input/paper
cd "$out"

# --quick: the overrides of tools/reproduce_paper.sh --quick.
anneal_quick=() landscape_quick=() lanczos5=()
if [ $quick = 1 ]; then
  anneal_quick=(--set anneal.warmup_steps=100 --set anneal.annealing_steps=50 --set anneal.train_steps=4
                --set analysis.samples=2000 --set analysis.stored_samples=200)
  landscape_quick=(--set "landscape.points=[9,9]")
  lanczos5=(--set "exact.gammas=[]")
fi

submitted=$(date +%s)
ids=()
# shellcheck disable=SC2086  # the *_SBATCH_ARGS are lists of options
submit() {  # submit KIND_ARGS sbatch-arguments... ; prints the job id
  local extra=$1
  shift
  local id
  id=$(sbatch --parsable $extra "$@") || { echo "submit_paper: sbatch $* failed" >&2; exit 1; }
  echo "${id%%;*}"
}

declare -A anneal_job
for run in fig2_vca_L3 fig2_vca_L5 fig2_vca_L6 fig2_vca_L16 fig3_vqa_L3 fig3_vqa_L5; do
  anneal_job[$run]=$(submit "${ANNEAL_SBATCH_ARGS:-}" --job-name="vna-$run" "$here/anneal.sbatch" \
    "$in/$run.yaml" "$out/$run.anneal.h5" "${anneal_quick[@]}")
  ids+=("${anneal_job[$run]}")
  echo "anneal_${run}=${anneal_job[$run]}"
done

exact() {  # exact NAME CONFIG OUTPUT [vna options]
  local name=$1 cfg=$2 output=$3
  shift 3
  local q=("$vna" exact "$cfg" --output "$output" --force "$@")
  local id
  id=$(submit "${EXACT_SBATCH_ARGS:-}" --job-name="vna-$name" --wrap "$(printf '%q ' "${q[@]}")")
  ids+=("$id")
  echo "exact_${name}=$id"
}
for L in 3 5 6 16; do exact "fig2_L$L" "$in/fig2_vca_L$L.yaml" "$out/fig2_exact_L$L.h5"; done
exact fig3_L3 "$in/fig3_vqa_L3.yaml" "$out/fig3_exact_L3.h5" --set "exact.temperatures=[]"
exact fig3_L5 "$in/fig3_vqa_L5.yaml" "$out/fig3_exact_L5.h5" --set "exact.temperatures=[]" "${lanczos5[@]}"

landscape() {  # landscape CONFIG SOURCE_RUN
  local id
  id=$(submit "${LANDSCAPE_SBATCH_ARGS:-}" --job-name="vna-$1" --dependency="afterok:${anneal_job[$2]}" \
    --kill-on-invalid-dep=yes "$here/landscape.sbatch" "$in/$1.yaml" "$out/$1.h5" "$out/$2.anneal.h5" \
    "${landscape_quick[@]}")
  ids+=("$id")
  echo "landscape_$1=$id"
}
landscape fig4_landscape_vca_L5 fig2_vca_L5
landscape fig4_landscape_vqa_L5 fig3_vqa_L5
landscape fig5_landscape_vca_L16 fig2_vca_L16

deps=$(IFS=:; echo "${ids[*]}")
plot=(/usr/bin/python3 "$repo/tools/plot_paper.py" "$out" --out "$out/figures")
[ $quick = 0 ] || plot+=(--quick)
figures=$(submit "${FIGURES_SBATCH_ARGS:-}" --job-name=vna-paper-figures --dependency="afterok:$deps" \
  --kill-on-invalid-dep=yes --wrap "$(printf '%q ' "${plot[@]}") && echo \"total time since submission: \$(( \$(date +%s) - $submitted )) s\"")
echo "figures_job=$figures"
