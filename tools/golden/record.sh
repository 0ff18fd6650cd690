#!/bin/bash
# Re-records the golden outputs (tests/golden/records) with build/src/vna at 1 rank and checks the new
# record at 2 ranks. Only after an intended change of results (say why in the commit message).
#   tools/golden/record.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$here/build}
/usr/bin/python3 "$here/tools/golden/golden.py" record --vna "$build/src/vna" --ranks 1
/usr/bin/python3 "$here/tools/golden/golden.py" check --vna "$build/src/vna" --ranks 2
