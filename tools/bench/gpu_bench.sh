#!/bin/bash
# The CUDA backend on the lent GPU machine: build here, check and time there (doc/performance.md,
# "CUDA backend"; /work/shared/device/README.md for the machine).
#
#   tools/bench/gpu_bench.sh build   here (no GPU needed): configure and build build-gpu (CUDA for
#                                    sm_90, portable host code), collect the binaries and their run-time
#                                    libraries into devkit/ (ignored by git) and print the device-tool call
#   tools/bench/gpu_bench.sh run     on the GPU machine, from the repository root: the cross-backend
#                                    tests, the rank test with 2 ranks, compute-sanitizer (memcheck,
#                                    racecheck, synccheck, initcheck), `vna info`, then the timings; logs
#                                    under $OUT, a table at the end of the output
#
# Environment: JOBS (build parallelism, default 2), VNA_GPU_BUILD (build folder, default build-gpu).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${VNA_GPU_BUILD:-build-gpu}
kit=devkit
targets=(vna test_engine test_engine_flips test_engine_agreement test_network test_cuda_backend test_cuda_ranks bench_cuda)

case "${1:-}" in
build)
  cd "$here"
  # Host code without -march=native: the GPU machine's processor is another x86-64.
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DVNA_ENABLE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DVNA_NATIVE_ARCH=OFF >/dev/null
  cmake --build "$build" -j"${JOBS:-2}" --target "${targets[@]}"
  shared=("$build/tests/engine/test_engine" "$build/tests/engine/test_engine_flips"
          "$build/tests/engine/test_engine_agreement" "$build/tests/network/test_network")
  bins=("$build/src/vna" "$build/tests/cuda/test_cuda_backend" "$build/tests/cuda/test_cuda_ranks"
        "$build/tools/bench/bench_cuda" "${shared[@]}")
  "$here/../shared/device/make-kit" "${bins[@]}" --out "$kit" >/dev/null
  # The binaries in the build tree's layout: the tests find vna and their scratch folder through the
  # absolute paths compiled into them (VNA_EXECUTABLE, VNA_TEST_TMPDIR); `run` links that path to here.
  mkdir -p "$kit/tree/src" "$kit/tree/tests/cuda" "$kit/tree/tests/engine" "$kit/tree/tests/network" \
    "$kit/tree/tests/tmp" "$kit/tree/tools/bench"
  cp "${bins[0]}" "$kit/tree/src/"
  cp "${bins[1]}" "${bins[2]}" "$kit/tree/tests/cuda/"
  cp "${bins[3]}" "$kit/tree/tools/bench/"
  cp "${shared[0]}" "${shared[1]}" "${shared[2]}" "$kit/tree/tests/engine/"
  cp "${shared[3]}" "$kit/tree/tests/network/"
  # Host symbols are not needed there (device line info stays in the fat binaries); the carry limit is 64 MiB.
  strip --strip-unneeded "$kit"/tree/src/vna "$kit"/tree/tests/cuda/* "$kit"/tree/tests/engine/* \
    "$kit"/tree/tests/network/* "$kit"/tree/tools/bench/bench_cuda
  echo "$here/$build" >"$kit/build_path"
  size=$(du -sm "$kit" | cut -f1)
  echo "devkit: ${size} MiB (the whole working tree that travels must stay under 64 MiB)"
  cat <<'CALL'

Run it on the GPU machine with the device tool (one call, about 5 minutes):
  run(command="bash tools/bench/gpu_bench.sh run", carry=["devkit"], timeout_s=600)
Logs come back in $OUT: device.txt tests.log sanitizer.log bench.log
CALL
  ;;
run)
  cd "$here"
  out=${OUT:-$here/gpu-bench-out}
  mkdir -p "$out"
  [ -f "$kit/env.sh" ] || { echo "gpu_bench.sh: no $kit/ here: run 'gpu_bench.sh build' first and carry $kit" >&2; exit 2; }
  # shellcheck disable=SC1091
  . "$kit/env.sh"
  orig=$(cat "$kit/build_path")
  if [ ! -e "$orig/src/vna" ]; then
    mkdir -p "$(dirname "$orig")"
    ln -sfn "$here/$kit/tree" "$orig"
  fi
  T=$orig
  sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  status=0
  {
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv || true
    "$T/src/vna" info || true
  } >"$out/device.txt" 2>&1
  cat "$out/device.txt"

  echo "== the suite of every backend (its cuda instances), then the CUDA-only tests"
  : >"$out/tests.log"
  for t in engine/test_engine engine/test_engine_flips engine/test_engine_agreement network/test_network; do
    timeout 240 "$T/tests/$t" --gtest_color=no >>"$out/tests.log" 2>&1 || status=1
  done
  timeout 240 "$T/tests/cuda/test_cuda_backend" --gtest_color=no >>"$out/tests.log" 2>&1 || status=1
  timeout 60 orterun -np 2 "$T/tests/cuda/test_cuda_ranks" --gtest_color=no >>"$out/tests.log" 2>&1 || status=1
  grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[  FAILED  \]|tests? ran" "$out/tests.log" || true

  echo "== timings"
  timeout 300 "$T/tools/bench/bench_cuda" --tiles --cpu >"$out/bench.log" 2>&1 || status=1
  grep -v '^|' "$out/bench.log" || true

  echo "== compute-sanitizer"
  small='Backends/EngineGradient.RequiresKept*/cuda:Backends/EngineBatch.SetsAreIndependentOfTheBatch/cuda:Backends/EngineEnergies.*/cuda:Backends/NetworkTest.TransfersArePerSampleScalarsAndParameters/cuda'
  : >"$out/sanitizer.log"
  for tool in memcheck racecheck synccheck initcheck; do
    # The device tool stops a command at 600 s: leave room for the summary.
    if [ "$SECONDS" -gt 470 ]; then echo "  $tool: skipped (time)"; echo "$tool skipped (time)" >>"$out/sanitizer.log"; continue; fi
    filter=$small
    binary=$T/tests/engine/test_engine
    # memcheck is cheap enough for the whole cuda instance of the engine suite.
    [ "$tool" = memcheck ] && filter='*/cuda'
    ok=1
    for b in "$binary" "$T/tests/network/test_network"; do
      timeout 120 "$sanitizer" --tool "$tool" --error-exitcode 9 "$b" --gtest_color=no --gtest_filter="$filter" \
        >>"$out/sanitizer.log" 2>&1 || ok=0
    done
    if [ $ok = 1 ]; then
      echo "  $tool: clean"
    else
      echo "  $tool: FAILED (see sanitizer.log)"
      status=1
    fi
  done

  echo "== summary"
  grep -E "^\[  (PASSED|FAILED) |^\[  FAILED  \]" "$out/tests.log" || true
  grep '^|' "$out/bench.log" || true
  echo "gpu_bench.sh: $([ $status = 0 ] && echo all checks passed || echo SOME CHECKS FAILED)"
  exit $status
  ;;
*)
  echo "usage: $0 build|run" >&2
  exit 2
  ;;
esac
