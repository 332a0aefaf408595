#!/usr/bin/env bash
# tests/run.sh — the whole test suite (`make test`; CI runs it through .ci/run).
#   build/tests/unit/test_*   C unit tests, one process
#   build/tests/mpi/test_*    C MPI tests, each on 1, 2 and 4 ranks
#   tests/cli/test_*.sh       the real binary: options, errors, rank-count agreement, atomicity
# Every test prints "ok NAME", "FAIL NAME" or "skip NAME: reason"; this script counts them
# and ends with the line "N passed, N failed, N skipped". Exit status 1 if anything failed.
# PRC_TEST_FILTER=regex runs only the programs/scripts whose name matches.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
export PRC_SHARED_DATA="${PRC_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
B="${PRC_BUILD:-build}"   # build tree (build-san for make test-sanitize)
log=$B/test-logs
rm -rf "$log"; mkdir -p "$log"
pass=0 fail=0 skip=0
failed=()
filter="${PRC_TEST_FILTER:-.}"

# run LABEL TIMEOUT CMD... : run one test program, count its verdict lines
run() {
  local label="$1" tmo="$2"; shift 2
  local out="$log/${label//[\/ ]/_}.out" err="$log/${label//[\/ ]/_}.err" rc
  timeout -k 10 "$tmo" "$@" >"$out" 2>"$err"; rc=$?
  grep -E '^(ok|FAIL|skip) ' "$out" | sed 's/^/  /'
  local p f s
  p=$(grep -c '^ok ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^skip ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "  FAIL $label: exited with status $rc$([ $rc -ge 124 ] && echo ' (timeout or signal)') before reporting a failure"
  fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  if [ "$f" -gt 0 ]; then
    failed+=("$label"); echo "  --- stderr of $label (last 40 lines):"; tail -n 40 "$err" | sed 's/^/  | /'
  fi
}

echo "== unit tests"
for t in $B/tests/unit/test_*; do
  [ -x "$t" ] || continue; [[ "$t" =~ $filter ]] || continue
  run "$(basename "$t")" 300 "$t"
done
echo "== MPI tests (1, 2, 4 ranks)"
for t in $B/tests/mpi/test_*; do
  [ -x "$t" ] || continue; [[ "$t" =~ $filter ]] || continue
  for np in 1 2 4; do run "$(basename "$t") np=$np" 300 $PRC_MPIRUN -n "$np" "$t"; done
done
echo "== command-line tests"
for t in tests/cli/test_*.sh; do
  [[ "$t" =~ $filter ]] || continue
  run "$(basename "$t" .sh)" 900 bash "$t"
done
echo
[ "${#failed[@]}" -gt 0 ] && echo "failed: ${failed[*]} (logs in $log/)"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
