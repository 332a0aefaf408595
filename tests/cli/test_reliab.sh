#!/usr/bin/env bash
# test_reliab.sh — malformed input decks and absurd options (docs/RELIABILITY.md): each exits 2
# with a message naming the deck/line or the option, writes nothing, and on 2 and 4 ranks every
# rank exits within 20 s. Also replays the fuzzing regression inputs (tests/fuzz/regress/).
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
A=(-synth_nx 20 -synth_ny 20 -synth_days 20 -synth_stations 1 -synth_png false -quiet)
d="$TMP/decks"; mkdir -p "$d"
deck() { printf '%b' "$2" >"$d/$1.opts"; }
deck zero_nx '-synth_nx 0\n';              deck neg_days '-synth_days -5\n'
deck nan_real '-progress_interval nan\n';  deck inf_real '-progress_interval inf\n'
deck huge_int '-synth_nx 1e99\n';          deck text_int '-seed abc\n'
deck unknown_key '-synth_nxx 20\n';        deck garbage '\x01\x02garbage\xff\n'
deck bool_bad '-quiet maybe\n';            deck empty_value '-synth_nx\n'
deck neg_seed '-seed -1\n';                deck empty ''
for c in zero_nx:synth_nx neg_days:synth_days nan_real:progress_interval inf_real:progress_interval huge_int:synth_nx \
         text_int:seed unknown_key:synth_nxx garbage:garbage bool_bad:quiet empty_value:synth_nx neg_seed:seed; do
  n=${c%%:*} pat=${c#*:}
  expect "deck_$n" 2 "$pat" -- $P synth -options_file "$d/$n.opts" -out_dir "$TMP/o_$n"
  [ -e "$TMP/o_$n" ] && fail "deck_${n}_no_output" "$(ls "$TMP/o_$n")" || ok "deck_${n}_no_output"
done
expect deck_empty_is_fine 0 'outputs in' -- $P synth -options_file "$d/empty.opts" "${A[@]}" -out_dir "$TMP/o_empty"
expect deck_missing 2 "cannot read input deck '$d/nope.opts'" -- $P synth -options_file "$d/nope.opts" "${A[@]}"
expect deck_is_a_directory 2 "$d" -- $P synth -options_file "$d" "${A[@]}"
expect deck_twice 2 'give -options_file once' -- $P synth -options_file "$d/empty.opts" -options_file "$d/empty.opts"
expect rst_threshold_negative 2 'rst_threshold' -- $P rst -rst_input "$TMP/o_empty/lst.h5" -rst_threshold -1 -out_dir "$TMP/o_rst"
expect vmd_k_zero 2 'vmd_kmin|vmd_k' -- $P vmd -vmd_kmin 0 -vmd_kmax 0 -out_dir "$TMP/o_vmd"
# every rank exits, within seconds, on 2 and 4 ranks
for np in 2 4; do
  for n in zero_nx garbage nan_real; do
    t0=$(date +%s)
    expect "deck_${n}_np$np" 2 '' -- timeout -k 2 20 $PRC_MPIRUN -n $np $P synth -options_file "$d/$n.opts" -out_dir "$TMP/p_$n"
  done
  expect "corrupt_input_np$np" 1 'not an HDF5|cannot|HDF5' -- timeout -k 2 20 $PRC_MPIRUN -n $np $P rst -rst_input "$d/garbage.opts" -out_dir "$TMP/p_rst"
done
# fuzzing regressions (inputs that once crashed or exhausted memory): must now be rejected cleanly
# (file name: <harness>-<what>, replayed through build/fuzz/fuzz_<harness>)
for f in tests/fuzz/regress/*; do
  h=$(basename "$f"); h=${h%%-*}; bin=build/fuzz/fuzz_$h
  if [ ! -x "$bin" ]; then skip "regress_$(basename "$f")" "$bin not built (make fuzz)"; continue; fi
  if ASAN_OPTIONS=detect_leaks=1 timeout 60 "$bin" -rss_limit_mb=1024 -timeout=20 "$f" >"$TMP/r.log" 2>&1; then ok "regress_$(basename "$f")"
  else fail "regress_$(basename "$f")" "$(grep -m 3 'ERROR\|SUMMARY\|timeout' "$TMP/r.log")"; fi
done
# the miniSEED one also through the real command (no fuzz build needed): a clean error, within seconds
expect regress_mseed_cli 1 "selflooping-blockette-chain': record 1 \\(byte 0\\): truncated or not miniSEED" -- timeout -k 2 30 $P import-mseed \
  -mseed_input tests/fuzz/regress/mseed-selflooping-blockette-chain -out_dir "$TMP/p_ms"
