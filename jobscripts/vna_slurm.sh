# shellcheck shell=bash
# Shared by vna's SLURM jobscripts (sourced, not run): finds the vna executable, starts it under srun
# (or mpiexec) in the background so that the batch shell can handle signals, turns SLURM's
# time-limit warning into a checkpoint-and-stop, resumes interrupted runs, and requeues the job when
# vna stopped early. See doc/cluster.md.
#
# Signals, and why the batch shell is involved:
#   --signal=B:USR1@T  SLURM sends SIGUSR1 to this batch shell only, T seconds before the time limit.
#                      The trap below asks every vna rank to checkpoint and stop (SIGTERM to the job
#                      steps with scancel; SIGUSR2 to mpiexec, which forwards it to every rank on every
#                      node); vna exits with 3 and the script requeues the job, which resumes from the
#                      checkpoint. (vna's own SIGUSR1 means "checkpoint and go on": useless right before
#                      a kill.)
#   SIGTERM            preemption, `scontrol requeue`, scancel, or the time limit itself: SLURM signals
#                      every process of the job (the ranks too) and kills them KillWait seconds later.
#                      vna checkpoints and exits with 3; the script only waits for it (calling scancel
#                      from here while SLURM ends the job would block), and SLURM decides what comes
#                      next (a preempted or requeued job restarts and resumes). mpiexec answers its own
#                      SIGTERM by ending the job with 1 whatever the ranks did: vna's rank 0 writes its
#                      exit code to $VNA_EXIT_STATUS_FILE, which the script reads instead.
#
# Threads: Kokkos' OpenMP backend runs OMP_NUM_THREADS threads per rank. The script sets it from
# SLURM_CPUS_PER_TASK (1 when unset: one CPU per task), never from an inherited value, and binds the
# threads (OMP_PROC_BIND=spread, OMP_PLACES=threads, unless set); VNA_THREADS overrides the count.
# vna prints the count in `vna info` and stores it in every result (threads_per_rank).
#
# Environment understood by every jobscript:
#   VNA             the vna executable (default: `vna` on PATH)
#   VNA_LAUNCHER    srun (default under SLURM) | mpiexec (single-node fallback) | none (one process)
#   VNA_SRUN_MPI    srun's --mpi plugin (default: pmix if `srun --mpi=list` has it, else pmi2, else
#                   the site's MpiDefault)
#   VNA_LAUNCH_ARGS extra options for srun or mpiexec (word-split)
#   VNA_FORCE=1     overwrite an existing result (first run only; a requeued run always resumes)
#   VNA_MAX_REQUEUE stop requeueing after this many restarts (default 20)

vna_log() { echo "vna-job [$(date '+%F %T')] $*"; }

vna_die() {
  vna_log "error: $*" >&2
  exit 2
}

# Sets up the executable, the launcher and the signal traps. Call once, before vna_run.
vna_setup() {
  VNA_BIN=${VNA:-$(command -v vna || true)}
  if [ -z "$VNA_BIN" ] || [ ! -x "$VNA_BIN" ]; then
    vna_die "vna not found: put it on PATH (module load / export PATH=...) or set VNA=/path/to/vna"
  fi
  if [ -z "${VNA_LAUNCHER:-}" ]; then
    if [ -n "${SLURM_JOB_ID:-}" ] && command -v srun >/dev/null 2>&1; then VNA_LAUNCHER=srun; else VNA_LAUNCHER=none; fi
  fi
  vna__launch=()
  case $VNA_LAUNCHER in
    srun)
      local mpi=${VNA_SRUN_MPI:-}
      if [ -z "$mpi" ]; then
        local list
        list=$(srun --mpi=list 2>&1 || true)
        if grep -qw pmix <<<"$list"; then mpi=pmix; elif grep -qw pmi2 <<<"$list"; then mpi=pmi2; fi
      fi
      # Slurm 22.05 stopped passing the job's --cpus-per-task on to srun: pass it explicitly.
      vna__launch=(srun ${mpi:+--mpi=$mpi} ${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK})
      ;;
    mpiexec)
      # When SLURM ends the job, mpiexec gets SIGTERM too and kills the ranks this many seconds later
      # (OpenMPI's default: 1): leave vna time to write its checkpoint. OpenMPI waits that long twice
      # whenever it ends a job early, which must fit in SLURM's KillWait (30 s by default).
      export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-10}
      # -x: ranks on other nodes get these variables too.
      vna__launch=(mpiexec -n "${SLURM_NTASKS:-1}" -x OMP_NUM_THREADS -x OMP_PROC_BIND -x OMP_PLACES
                   -x VNA_EXIT_STATUS_FILE)
      ;;
    none) ;;
    *) vna_die "VNA_LAUNCHER=$VNA_LAUNCHER: use srun, mpiexec or none" ;;
  esac
  # shellcheck disable=SC2206  # word splitting of user options is intended
  [ -n "${VNA_LAUNCH_ARGS:-}" ] && vna__launch+=($VNA_LAUNCH_ARGS)
  # Threads per rank: the task's CPUs (an inherited OMP_NUM_THREADS would oversubscribe them).
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    OMP_NUM_THREADS=${VNA_THREADS:-${SLURM_CPUS_PER_TASK:-1}}
  else
    OMP_NUM_THREADS=${VNA_THREADS:-${OMP_NUM_THREADS:-1}}
  fi
  export OMP_NUM_THREADS
  export OMP_PROC_BIND=${OMP_PROC_BIND:-spread} OMP_PLACES=${OMP_PLACES:-threads}
  # mpiexec binds each rank to one core by default: give it the task's cores instead.
  if [ "$VNA_LAUNCHER" = mpiexec ] && [ "${OMP_NUM_THREADS:-1}" -gt 1 ]; then
    vna__launch+=(--map-by "slot:PE=$OMP_NUM_THREADS" --bind-to core)
  fi
  vna__child="" vna__warned=0 vna__terminating=0
  trap vna__on_usr1 USR1
  trap vna__on_term TERM
  vna_log "job ${SLURM_JOB_ID:-(not under SLURM)}${SLURM_ARRAY_TASK_ID:+ array task $SLURM_ARRAY_TASK_ID}" \
    "restart ${SLURM_RESTART_COUNT:-0} on ${SLURM_JOB_NODELIST:-$(hostname -s)}: $VNA_BIN via ${vna__launch[*]:-(direct)}," \
    "${OMP_NUM_THREADS:-1} thread(s) per rank"
}

# Asks the running vna ranks to checkpoint and stop.
vna__stop_child() {
  [ -n "$vna__child" ] && kill -0 "$vna__child" 2>/dev/null || return 0
  case $VNA_LAUNCHER in
    # srun would turn a SIGTERM of its own into a kill of the step; signal the steps' tasks instead.
    # (timeout: scancel retries for as long as SLURM is already ending the job.)
    srun) timeout 20 scancel --signal=TERM "$SLURM_JOB_ID" || vna_log "scancel --signal=TERM failed" ;;
    # mpiexec forwards SIGUSR2 to every rank (on every node) and then reports vna's exit code; a
    # SIGTERM would make it kill the ranks and exit with 1.
    mpiexec) kill -USR2 "$vna__child" 2>/dev/null || true ;;
    none) kill -TERM "$vna__child" 2>/dev/null || true ;;
  esac
}

vna__on_usr1() {
  vna__warned=1
  vna_log "time-limit warning (SIGUSR1): asking vna to checkpoint and stop"
  vna__stop_child
}

vna__on_term() {
  vna__terminating=1
  vna_log "SIGTERM: SLURM is ending the job (preemption, requeue, scancel or time limit); waiting for vna's checkpoint"
  # SLURM signals every process of the job itself; a direct child only needs a nudge when it runs
  # outside any step (VNA_LAUNCHER=none or mpiexec, where it is harmless to repeat).
  [ "$VNA_LAUNCHER" = srun ] || vna__stop_child
}

# Requeues this job (after vna checkpointed and stopped); exits the script.
vna_requeue() {
  local restarts=${SLURM_RESTART_COUNT:-0} max=${VNA_MAX_REQUEUE:-20}
  if [ -z "${SLURM_JOB_ID:-}" ]; then
    vna_log "interrupted outside SLURM: run the same command again to resume"
  elif [ "$restarts" -ge "$max" ]; then
    vna_log "not requeueing: the job was already restarted $restarts times (VNA_MAX_REQUEUE=$max)"
  elif scontrol requeue "$SLURM_JOB_ID"; then
    vna_log "requeued job $SLURM_JOB_ID: it resumes from the checkpoint when it starts again"
  else
    vna_log "scontrol requeue failed (was the job submitted with --requeue?): resubmit it to resume"
  fi
  exit 3
}

# vna_run COMMAND CONFIG OUTPUT [vna options...]
# Runs `vna COMMAND CONFIG --output OUTPUT --resume ...` (--resume continues OUTPUT.partial when it
# exists and starts afresh otherwise). Returns 0 when OUTPUT is complete; exits the script with 3
# (after requeueing when that is the right thing) when vna stopped at a checkpoint, and with vna's
# code on an error (1 runtime, 2 input).
vna_run() {
  local command=$1 config=$2 output=$3
  shift 3
  local args=("$command" "$config" --output "$output" --resume "$@")
  if [ "${VNA_FORCE:-0}" = 1 ] && [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
    args+=(--force)
  elif [ -e "$output" ] && [ ! -e "$output.partial" ]; then
    vna_log "$output is complete: nothing to do (VNA_FORCE=1 recomputes it)"
    return 0
  fi
  [ "$vna__warned" = 1 ] && vna_requeue  # the warning came before vna started
  [ "$vna__terminating" = 1 ] && exit 3
  if [ -e "$output.partial" ]; then vna_log "resuming $output.partial"; fi
  vna_log "${vna__launch[*]:+${vna__launch[*]} }$VNA_BIN ${args[*]}"
  # Rank 0 writes vna's own exit code here (next to the output: a file system rank 0 sees).
  local status_file="$output.exit-status"
  rm -f "$status_file"
  VNA_EXIT_STATUS_FILE=$status_file "${vna__launch[@]}" "$VNA_BIN" "${args[@]}" &
  vna__child=$!
  local rc
  # `wait` returns early (status > 128) whenever a trapped signal arrives: wait again while vna runs.
  while :; do
    wait "$vna__child"
    rc=$?
    kill -0 "$vna__child" 2>/dev/null || break
  done
  vna__child=""
  if [ "$rc" != 0 ] && [ -s "$status_file" ]; then
    local vna_rc
    vna_rc=$(head -c 8 "$status_file" | tr -dc 0-9)
    if [ -n "$vna_rc" ] && [ "$vna_rc" != "$rc" ]; then
      vna_log "the launcher ended with code $rc; vna itself ended with $vna_rc"
      rc=$vna_rc
    fi
  fi
  rm -f "$status_file"
  case $rc in
    0)
      vna_log "vna $command finished: $output"
      return 0
      ;;
    3)
      vna_log "vna stopped at a checkpoint: $output.partial"
      if [ "$vna__terminating" = 1 ]; then
        vna_log "SLURM is ending the job: a requeued or preempted job resumes by itself; after a time limit or" \
          "scancel, submit the same job again to resume"
        exit 3
      fi
      vna_requeue
      ;;
    *)
      if [ "$vna__terminating" = 1 ]; then
        # The launcher's code is not vna's here (mpiexec answers SIGTERM with 1, srun may report the signal).
        vna_log "the launcher ended with code $rc while SLURM was ending the job;" \
          "$output.partial keeps vna's last checkpoint"
      else
        vna_log "vna $command failed with exit code $rc (1: runtime error, 2: input error; see the messages above)"
      fi
      exit "$rc"
      ;;
  esac
}

# The stem vna names default results after: vna_stem input/run.yaml -> run (results run.anneal.h5, ...).
vna_stem() {
  local f
  f=$(basename "$1")
  [[ $f == ?*.* ]] && f=${f%.*}
  echo "$f"
}
