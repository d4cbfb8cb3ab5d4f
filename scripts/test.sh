#!/usr/bin/env bash
# Sets everything up and runs every test of every layer, then prints the one
# line CI reads: "N passed, N failed".
#
#   scripts/test.sh            gcc build (all layers) + clang build (compile,
#                              warnings are errors) + ASan/UBSan build (unit,
#                              golden and fuzz replay layers under sanitizers)
#   LOOM_TEST_QUICK=1 ...      gcc build only
#   LOOM_TEST_SUITES="unit golden" ...   only these meson suites
#
# Build directories: build/ (gcc), build-clang/, build-asan/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

log() { printf '== %s\n' "$*"; }

if [ "$(id -u)" -eq 0 ]; then
  ./scripts/setup-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
else
  ./scripts/setup-deps.sh --check || true
fi

suites=${LOOM_TEST_SUITES:-}
suite_args=()
for s in $suites; do suite_args+=(--suite "$s"); done

configure() { # dir, extra meson args...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
      cat "$dir.setup.log"; return 1; }
  fi
}

logs=()
status=0

log "gcc build"
if configure build -Dbuildtype=debugoptimized && ninja -C build >build.ninja.log 2>&1; then
  log "gcc tests"
  meson test -C build --no-rebuild --print-errorlogs "${suite_args[@]}" \
    --num-processes "${LOOM_TEST_JOBS:-2}" >build.test.log 2>&1
  tail -n 25 build.test.log
  logs+=("gcc=build/meson-logs/testlog.json")
else
  tail -n 60 build.ninja.log
  echo "FAILED gcc build"
  status=1
fi

if [ -z "${LOOM_TEST_QUICK:-}" ]; then
  log "clang build (warnings are errors)"
  if CC=clang configure build-clang -Db_lundef=false && \
     ninja -C build-clang >build-clang.ninja.log 2>&1; then
    echo "clang build ok"
  else
    tail -n 60 build-clang.ninja.log
    echo "FAILED clang build"
    status=1
  fi

  log "ASan+UBSan build"
  if CC=clang configure build-asan -Db_sanitize=address,undefined \
       -Db_lundef=false -Dbuildtype=debug && \
     ninja -C build-asan >build-asan.ninja.log 2>&1; then
    meson test -C build-asan --no-rebuild --print-errorlogs \
      --suite unit --suite golden --suite fuzz \
      --num-processes "${LOOM_TEST_JOBS:-2}" --timeout-multiplier 3 \
      >build-asan.test.log 2>&1
    tail -n 25 build-asan.test.log
    logs+=("asan=build-asan/meson-logs/testlog.json")
  else
    tail -n 60 build-asan.ninja.log
    echo "FAILED sanitizer build"
    status=1
  fi
fi

if [ ${#logs[@]} -eq 0 ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
if [ $status -ne 0 ]; then
  # A build that failed is one failed case on top of the counted ones.
  python3 scripts/count-tests.py "${logs[@]}" | sed '$d'
  last=$(python3 scripts/count-tests.py "${logs[@]}" | tail -n 1)
  passed=${last%% passed*}
  failed=${last#*, }; failed=${failed%% failed*}
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
fi
python3 scripts/count-tests.py "${logs[@]}"
