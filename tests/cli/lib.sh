# tests/cli/lib.sh — helpers for the command-line tests (sourced).
. tests/env.sh
P=${PRC_BIN:-bin/precursor}
TMP=$(mktemp -d /tmp/precursor-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
SUITE=$(basename "$0" .sh)
ok()   { echo "ok $SUITE/$1"; }
fail() { echo "FAIL $SUITE/$1"; shift; printf '  %s\n' "$@" >&2; }
skip() { echo "skip $SUITE/$1: $2"; }

# expect NAME RC 'pattern1' ['pattern2' ...] -- CMD... : CMD must exit with status RC
# within 60 s and its stderr+stdout must contain every pattern (grep -E).
expect() {
  local name="$1" want="$2"; shift 2
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done; shift
  local out="$TMP/$name.out" rc
  timeout -k 5 60 "$@" >"$out" 2>&1; rc=$?
  if [ "$rc" -ne "$want" ]; then fail "$name" "exit status $rc, expected $want: $*" "$(tail -n 15 "$out")"; return; fi
  for p in "${pats[@]}"; do
    if ! grep -qE -- "$p" "$out"; then fail "$name" "output lacks /$p/: $*" "$(tail -n 15 "$out")"; return; fi
  done
  ok "$name"
}

# h5same NAME A B : the two HDF5 files hold identical data (provenance excluded)
h5same() {
  local name="$1" a="$2" b="$3" out
  if out=$(h5diff --exclude-path /provenance "$a" "$b" 2>&1); then ok "$name"; else fail "$name" "h5diff $a $b:" "$(echo "$out" | head -n 20)"; fi
}
