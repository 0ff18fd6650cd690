#!/usr/bin/env bash
# Reproduces Inack, Morawetz, Melko, "Neural annealing and visualization of autoregressive neural networks
# in the Newman-Moore model" (arXiv:2204.11272) from real runs at the paper's protocol (input/paper/, the
# source of every value in its comments) and draws Figs. 2-6 and the landscape roughness into one folder
# (doc/reproduction.md compares them with the paper).
#
#   tools/reproduce_paper.sh [--quick] [--out DIR] [--jobs J] [--vna PATH]
#
#   --quick   every job shortened to seconds (same inputs, fewer updates, samples and grid points; no
#             Lanczos at L = 5): the pipeline in about a minute, for CI. Figures, not results.
#   --out     results and figures (default out/paper, or out/paper_quick with --quick); figures in DIR/figures
#   --jobs    jobs at a time, one core each (default 2); landscapes run after their annealing
#   --vna     the vna executable (default $VNA, else build/src/vna)
#
# A finished result is reused (delete it or use a new --out to recompute); an interrupted job resumes from
# its checkpoint (vna --resume). Prints each job's wall time, the machine load and the total time. On a
# SLURM cluster: jobscripts/submit_paper.sh (dependent jobs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python=/usr/bin/python3
quick=0 out="" jobs=2 vna=${VNA:-$here/build/src/vna}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --out) out=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --vna) vna=$2; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "reproduce_paper: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$vna" ] || { echo "reproduce_paper: no vna executable at '$vna' (build first, or pass --vna)" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "reproduce_paper: --jobs needs a positive number" >&2; exit 2; }
if [ -z "$out" ]; then
  out=$here/out/paper
  [ $quick = 0 ] || out=${out}_quick
fi
mkdir -p "$out/logs" "$out/figures"
out=$(cd "$out" && pwd)
in=$here/input/paper
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# --quick: the same inputs with fewer updates, samples and points.
anneal_quick=() landscape_quick=() lanczos5=()
if [ $quick = 1 ]; then
  anneal_quick=(--set anneal.warmup_steps=100 --set anneal.annealing_steps=50 --set anneal.train_steps=4
                --set analysis.samples=2000 --set analysis.stored_samples=200)
  landscape_quick=(--set "landscape.points=[9, 9]")
  lanczos5=(--set "exact.gammas=[]")  # 2^25 amplitudes: minutes per field
fi

say() { printf '== %s\n' "$*"; }
# Each invocation appends its jobs' times (a job that found its result done takes ~0 s): the times of
# a reproduction spread over several invocations add up.
timings=$out/timings.txt
echo "== $(date -u '+%F %T') UTC: $([ $quick = 1 ] && echo quick || echo 'paper protocol'), $jobs job(s) at a time" >>"$timings"

# job NAME COMMAND...: runs vna (or a chain of vna commands separated by ';;'), logs to logs/NAME.log,
# records the wall time. A result that exists is kept (vna refuses to overwrite it; the job says so).
job() {
  local name=$1
  shift
  local t0=$EPOCHREALTIME rc=0
  {
    local cmd=()
    for a in "$@" ';;'; do
      if [ "$a" = ';;' ]; then
        if [ ${#cmd[@]} -gt 0 ]; then
          echo "+ ${cmd[*]}"
          "${cmd[@]}" || { rc=$?; break; }
        fi
        cmd=()
      else
        cmd+=("$a")
      fi
    done
  } >"$out/logs/$name.log" 2>&1 || rc=$?
  printf '%-14s %8.1f s  rc=%d  load %s\n' "$name" "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')" "$rc" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$timings"
  return $rc
}

# A vna result step that skips an existing complete result (and resumes a partial one).
anneal() {  # anneal CONFIG OUTPUT
  if [ -e "$2" ] && [ ! -e "$2.partial" ]; then echo "kept $2"; return 0; fi
  nice -n "${VNA_NICE:-0}" "$vna" anneal "$1" --output "$2" --resume "${anneal_quick[@]}"
}
landscape() {  # landscape CONFIG OUTPUT SOURCE
  if [ -e "$2" ] && [ ! -e "$2.partial" ]; then echo "kept $2"; return 0; fi
  nice -n "${VNA_NICE:-0}" "$vna" landscape "$1" --output "$2" --resume --set "landscape.source=$3" "${landscape_quick[@]}"
}
exact() {  # exact CONFIG OUTPUT [options]
  if [ -e "$2" ]; then echo "kept $2"; return 0; fi
  local c=$1 o=$2 force=()
  shift 2
  # vna exact has no checkpoints: an interrupted one starts over.
  [ -e "$o.partial" ] && force=(--force)
  nice -n "${VNA_NICE:-0}" "$vna" exact "$c" --output "$o" "${force[@]}" "$@"
}

# The jobs, longest first (they run $jobs at a time; a chain runs its steps in order).
tasks=(
  "vca_L16      anneal $in/fig2_vca_L16.yaml $out/fig2_vca_L16.anneal.h5 ;; landscape $in/fig5_landscape_vca_L16.yaml $out/fig5_landscape_vca_L16.h5 $out/fig2_vca_L16.anneal.h5"
  "vqa_L5       anneal $in/fig3_vqa_L5.yaml $out/fig3_vqa_L5.anneal.h5 ;; landscape $in/fig4_landscape_vqa_L5.yaml $out/fig4_landscape_vqa_L5.h5 $out/fig3_vqa_L5.anneal.h5"
  "exact_vqa_L5 exact $in/fig3_vqa_L5.yaml $out/fig3_exact_L5.h5 --set exact.temperatures=[] ${lanczos5[*]:-}"
  "vca_L5       anneal $in/fig2_vca_L5.yaml $out/fig2_vca_L5.anneal.h5 ;; landscape $in/fig4_landscape_vca_L5.yaml $out/fig4_landscape_vca_L5.h5 $out/fig2_vca_L5.anneal.h5"
  "vca_L6       anneal $in/fig2_vca_L6.yaml $out/fig2_vca_L6.anneal.h5"
  "vqa_L3       anneal $in/fig3_vqa_L3.yaml $out/fig3_vqa_L3.anneal.h5"
  "vca_L3       anneal $in/fig2_vca_L3.yaml $out/fig2_vca_L3.anneal.h5"
  "exact_small  exact $in/fig2_vca_L3.yaml $out/fig2_exact_L3.h5 ;; exact $in/fig2_vca_L5.yaml $out/fig2_exact_L5.h5 ;; exact $in/fig2_vca_L6.yaml $out/fig2_exact_L6.h5 ;; exact $in/fig2_vca_L16.yaml $out/fig2_exact_L16.h5 ;; exact $in/fig3_vqa_L3.yaml $out/fig3_exact_L3.h5 --set exact.temperatures=[]"
)

say "reproducing arXiv:2204.11272 into $out ($([ $quick = 1 ] && echo quick || echo 'paper protocol'), $jobs job(s) at a time, vna $vna)"
say "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
t_start=$(date +%s)
failed=0
running=0
for t in "${tasks[@]}"; do
  read -r -a words <<<"$t"
  name=${words[0]}
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  say "start $name"
  job "$name" "${words[@]:1}" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
cat "$timings"
if [ $failed = 1 ]; then
  echo "reproduce_paper: a job failed (rc != 0 above; its log is in $out/logs)" >&2
  exit 1
fi

say "figures"
plot_args=("$out" --out "$out/figures")
[ $quick = 1 ] && plot_args+=(--quick)
"$python" "$here/tools/plot_paper.py" "${plot_args[@]}"
t_end=$(date +%s)
total=$((t_end - t_start))
say "total time: ${total} s ($((total / 60)) min $((total % 60)) s) on $(nproc) cores, load now $(cut -d' ' -f1-3 /proc/loadavg)"
echo "total ${total} s" >>"$timings"
