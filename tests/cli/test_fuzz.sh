#!/usr/bin/env bash
# test_fuzz.sh — smoke run of the libFuzzer harnesses (tests/fuzz/, `make fuzz`): each parser
# (catalog CSV, QuakeML, IAGA-2002, miniSEED, STEAD CSV, input decks) is fuzzed for a few
# seconds under ASan+UBSan; any crash, sanitizer report or leak fails. The long run is in
# tests/bench.sh. Skips when clang or libFuzzer is not installed.
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  skip fuzz "clang/libFuzzer not installed (apt-get install clang libclang-rt-14-dev)"; exit 0
fi
if ! make --no-print-directory fuzz >"$TMP/build.log" 2>&1; then fail build "make fuzz failed" "$(tail -n 20 "$TMP/build.log")"; exit 0; fi
ok build
tests/fuzz/run.sh "${PRC_FUZZ_SECONDS:-4}" "$TMP/results.txt" >"$TMP/run.log" 2>&1
for h in catalog_csv quakeml iaga2002 mseed stead_csv deck; do
  line=$(grep "^fuzz_$h " "$TMP/results.txt")
  if [[ "$line" =~ executions=([0-9]+)\ crashes=0 ]] && [ "${BASH_REMATCH[1]}" -gt 100 ]; then ok "$h"
  else fail "$h" "$line" "$(grep -m 8 'ERROR\|SUMMARY\|written' build/fuzz/fuzz_$h.log)"; fi
done
