#!/usr/bin/env bash
# The whole test suite: installs missing packages, then builds and runs every CTest test twice,
# once optimised (build-test/) and once under AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/). Needs no dataset and no PyTorch: tests generate their data and compare against
# committed fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --deps

jobs=$(nproc)
run_suite() {
    local dir=$1
    shift
    cmake -S . -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j"$jobs" >/dev/null
    ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

echo "== optimised build =="
run_suite build-test -DCMAKE_BUILD_TYPE=Release
echo "== AddressSanitizer + UndefinedBehaviorSanitizer build =="
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DPRISM_SANITIZE=ON
