#!/usr/bin/env bash
# vna's one setup script (both README commands use it):
#   tools/setup.sh run    install Debian packages, build, run the default job and draw its plots
#   tools/setup.sh test   install Debian packages, build, run the whole test suite (and the engine and
#                         network suites once more against the CUDA kernels under host emulation)
#   tools/setup.sh deps | build
# Installing packages is idempotent: only missing ones are installed. Build folder: $VNA_BUILD_DIR
# (default build/). CUDA is used when nvcc is found (VNA_ENABLE_CUDA=AUTO); set VNA_ENABLE_CUDA=OFF to skip.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${VNA_BUILD_DIR:-$here/build}
jobs=${VNA_JOBS:-$(nproc 2>/dev/null || echo 2)}
python=/usr/bin/python3  # Debian's Python, which has numpy, h5py and matplotlib from apt

packages=(
  build-essential cmake git pkg-config
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev libyaml-cpp-dev libtrilinos-kokkos-dev libcli11-dev
  libgtest-dev libbenchmark-dev libeigen3-dev libfmt-dev nlohmann-json3-dev librandom123-dev
  python3-numpy python3-h5py python3-matplotlib python3-yaml
  slurmctld slurmd slurm-client munge
)

say() { printf '== %s\n' "$*"; }

install_deps() {
  local missing=()
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then missing+=("$p"); fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all ${#packages[@]} present"
    return
  fi
  say "installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "error: these Debian packages are missing and this user cannot install them (not root, no sudo):" >&2
      echo "  ${missing[*]}" >&2
      echo "Ask an administrator to run: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found: vna's setup expects Debian 12. Install the equivalent of: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get update -q || ! "${sudo[@]}" apt-get install -y -q "${missing[@]}"; then
    echo "error: apt-get could not install: ${missing[*]} (network or package sources?)" >&2
    exit 1
  fi
}

build() {
  say "building in $build_dir"
  cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DVNA_ENABLE_CUDA="${VNA_ENABLE_CUDA:-AUTO}" >/dev/null
  cmake --build "$build_dir" -j "$jobs"
}

run_default() {
  local out="$here/out" vna="$build_dir/src/vna" np=${VNA_RANKS:-2}
  mkdir -p "$out"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  say "exact results: vna exact input/default.yaml"
  (cd "$out" && "$vna" exact "$here/input/default.yaml" --output default_exact.h5 --force)
  say "annealing on $np MPI ranks: mpiexec -n $np vna anneal input/default.yaml"
  (cd "$out" && mpiexec -n "$np" --oversubscribe "$vna" anneal "$here/input/default.yaml" --output default.h5 --force)
  say "plotting"
  "$python" "$here/tools/plot_exact.py" "$out/default_exact.h5" --out "$out/default_exact"
  "$python" "$here/tools/plot_anneal.py" "$out/default.h5" --exact "$out/default_exact.h5" --out "$out/default_anneal"
  "$python" "$here/tools/plot_modes.py" "$out/default.h5" --out "$out/default_modes"
  say "done: results in $out/default.h5 and $out/default_exact.h5, plots $out/default_*.png (and .pdf)"
}

run_tests() {
  say "running the test suite"
  # MPI tests under a root account need OpenMPI's consent (the tests set it too).
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  (cd "$build_dir" && ctest --output-on-failure -j "$jobs")
  run_emulated_cuda_tests
}

# The CUDA backend's kernels under the host emulation (tools/cuda_emu): where no GPU is visible the suite
# above skips the cuda backend, so the engine and network suites run here once more against the emulated
# kernels (tests/cuda's every-tile and end-to-end tests take a quarter of an hour there: see
# tools/cuda_emu/README.md). VNA_CUDA_EMULATION_TESTS=0 skips this pass.
run_emulated_cuda_tests() {
  [ "${VNA_CUDA_EMULATION_TESTS:-1}" = 0 ] && return 0
  local emu_dir="${build_dir}-emu"
  local tests=(test_engine test_engine_agreement test_engine_flips test_network test_cuda_ranks)
  say "the CUDA backend under host emulation (tools/cuda_emu), in $emu_dir"
  cmake -S "$here" -B "$emu_dir" -DCMAKE_BUILD_TYPE=Release -DVNA_ENABLE_CUDA=EMULATE >/dev/null
  cmake --build "$emu_dir" -j "$jobs" --target "${tests[@]}"
  (cd "$emu_dir" && ctest --output-on-failure -j "$jobs" -R "^($(IFS='|'; echo "${tests[*]}"))(_np[0-9]+)?\$")
}

case "${1:-}" in
  deps) install_deps ;;
  build) install_deps; build ;;
  run) install_deps; build; run_default ;;
  test) install_deps; build; run_tests ;;
  *) echo "usage: tools/setup.sh run|test|deps|build" >&2; exit 2 ;;
esac
