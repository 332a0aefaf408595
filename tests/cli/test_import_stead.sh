# tests/cli/test_import_stead.sh — `precursor import-stead`: the real STEAD-style file of
# ../shared/data/waveforms (skipped when absent) checked value by value against an
# independent h5py/csv reading (tests/oracle/stead_check.py), 1 vs 2 vs 3 ranks identical;
# small generated files (tests/oracle/stead_make.py) for the standard STEAD column names,
# unlabelled traces, HDF5 traces missing from the CSV, and 22 malformed inputs, each a
# named error with no output.
. tests/cli/lib.sh
PY=/usr/bin/python3
G=$TMP/gen
if ! $PY -c 'import h5py, numpy' 2>/dev/null; then skip stead_all "python3 h5py/numpy missing"; exit 0; fi
$PY tests/oracle/stead_make.py "$G" || { fail stead_make "generating the test files failed"; exit 0; }
run_bad() { # NAME PATTERN H5 CSV [ranks]
  local name="$1" pat="$2" h5="$3" csv="$4" np="${5:-1}"
  if [ "$np" = 1 ]; then expect "$name" 1 "$pat" -- $P import-stead -stead_h5 "$h5" -stead_csv "$csv" -out_dir "$TMP/bad"
  else expect "$name" 1 "$pat" -- $PRC_MPIRUN -n "$np" $P import-stead -stead_h5 "$h5" -stead_csv "$csv" -out_dir "$TMP/bad"; fi
}
# --- generated files: good ones
expect gen_good 0 '3 trace\(s\) from good.h5 \+ good.csv: 2 three-component, 1 single-component' \
  '1 trace\(s\) of good.h5 not listed in the CSV, not imported: ZZZ9' 'P present in 3, S present in 3 of 3' \
  -- $P import-stead -stead_h5 "$G/good.h5" -stead_csv "$G/good.csv" -out_dir "$TMP/g"
h5dump -H "$TMP/g/waveforms.h5" | grep -q ZZZ9 && fail extra_not_imported "ZZZ9 imported" || ok extra_not_imported
d=$(h5dump -H -d /waveforms/BBB2 "$TMP/g/waveforms.h5" | grep DATASPACE)
[[ "$d" == *"( 100, 1 )"* ]] && ok gen_single_one_column || fail gen_single_one_column "$d"
expect gen_std_names 0 'labels: P present in 1, S present in 1 of 2' 'event metadata in 1 \(5 source_\* column' '2 the -stead_rate default' \
  -- $P import-stead -stead_h5 "$G/std.h5" -stead_csv "$G/std.csv" -stead_require_labels false -out_dir "$TMP/s"
out=$($PY - "$TMP/s/waveforms.h5" <<'PYEOF'
import sys, h5py, math
f = h5py.File(sys.argv[1], 'r'); t = f['trace_table']; a = f['waveforms/ST01.XX_20150101_EV'].attrs
ok = list(t['p_sample'][:]) == [3000 // 100, -1] and list(t['s_sample'][:]) == [61, -1] \
  and abs(a['event_lat'] - 35.5) < 1e-12 and abs(a['event_mag'] - 3.1) < 1e-12 and abs(a['event_time'] - 1420070410.5) < 1e-6 \
  and math.isnan(t['event_mag'][1]) and a['components'].decode() == 'HHE,HHN,HHZ' and 'p_sample' not in f['waveforms/ST02.XX_20150101_NO'].attrs \
  and abs(t['start_time'][0] - 1420070412.0) < 1e-6 and t['category'][1].decode() == 'noise' and t['network'][0].decode() == 'XX'
print('good' if ok else 'bad')
PYEOF
)
[ "$out" = good ] && ok gen_std_values || fail gen_std_values "standard STEAD columns not stored as expected: $out"
expect gen_unlabelled_ok 0 'P present in 1, S present in 1 of 2' \
  -- $P import-stead -stead_h5 "$G/good.h5" -stead_csv "$G/unlabelled.csv" -stead_require_labels false -stead_png false -out_dir "$TMP/u"
# --- malformed inputs (every one: exit 1, message naming file, line/trace and field, no output)
run_bad bad_no_trace_name "no_name.csv:1: header: required column 'trace_name' missing" "$G/good.h5" "$G/no_name.csv"
run_bad bad_no_p_column "no_p.csv:1: header: required column 'p_arrival_sample' missing" "$G/good.h5" "$G/no_p.csv"
run_bad bad_missing_trace "missing_trace.csv:5: trace NOPE7 is not in '.*good.h5'" "$G/good.h5" "$G/missing_trace.csv"
run_bad bad_missing_trace_np2 "missing_trace.csv:5: trace NOPE7 is not in" "$G/good.h5" "$G/missing_trace.csv" 2
run_bad bad_shape_2cols "shape2.h5': /data/AAA1 \(CSV line 2\): shape \(100, 2\), expected \(npts, 3\)" "$G/shape2.h5" "$G/shape2.csv"
run_bad bad_rank1 "rank1.h5': /data/AAA1 \(CSV line 2\): shape \(100\), expected" "$G/rank1.h5" "$G/rank1.csv"
run_bad bad_p_range "p_range.csv:3: trace BBB2: field p_arrival_sample: sample 500 outside the trace \(0 .. 99\)" "$G/good.h5" "$G/p_range.csv"
run_bad bad_s_before_p "s_before_p.csv:2: trace AAA1: field s_arrival_sample: S sample 40 is not after the P sample 50" "$G/good.h5" "$G/s_before_p.csv"
run_bad bad_nan "nan.h5': /data/AAA1 \(CSV line 2\): sample 7, column 1 is NaN" "$G/nan.h5" "$G/nan.csv"
run_bad bad_empty_csv "empty.csv:1: empty file" "$G/good.h5" "$G/empty.csv"
run_bad bad_header_only "header_only.csv: a header but no data rows" "$G/good.h5" "$G/header_only.csv"
run_bad bad_header_only_np2 "header_only.csv: a header but no data rows" "$G/good.h5" "$G/header_only.csv" 2
run_bad bad_p_text "p_text.csv:2: field p_arrival_sample: expected a sample index .*found 'abc'" "$G/good.h5" "$G/p_text.csv"
run_bad bad_not_hdf5 "text.h5' is not an HDF5 file" "$G/text.h5" "$G/good.csv"
run_bad bad_rate_zero "rate_zero.csv:2: field sampling_rate_hz: expected a sampling rate > 0 Hz, found '0'" "$G/good.h5" "$G/rate_zero.csv"
run_bad bad_rate_negative "rate_neg.csv:2: field sampling_rate_hz: expected a sampling rate > 0 Hz, found '-100'" "$G/good.h5" "$G/rate_neg.csv"
run_bad bad_duplicate "dup.csv:4: field trace_name: 'AAA1' repeats line 2" "$G/good.h5" "$G/dup.csv"
run_bad bad_unlabelled "unlabelled.csv:2: trace AAA1: field p_arrival_sample: empty, but P and S labels are required" "$G/good.h5" "$G/unlabelled.csv"
run_bad bad_npts "npts_wrong.csv:2: trace AAA1: field npts: 99, but /data/AAA1" "$G/good.h5" "$G/npts_wrong.csv"
run_bad bad_single_but_3 "single_but_3.csv:2 .*trace AAA1: channels 'EHZ' name one component, but 3 columns hold data" "$G/good.h5" "$G/single_but_3.csv"
run_bad bad_field_count "fields.csv:3: 3 field\(s\), the header has 10" "$G/good.h5" "$G/fields.csv"
run_bad bad_attr_disagrees "attr_p.csv:2: trace AAA1: field p_arrival_sample 30 disagrees with attribute p_arrival_sample 31" "$G/attr_p.h5" "$G/attr_p.csv"
run_bad bad_missing_h5 "cannot read input '$G/nope.h5'" "$G/nope.h5" "$G/good.csv"
expect bad_no_options 2 'stead_h5' 'stead_csv' -- $P import-stead -out_dir "$TMP/bad"
[ -e "$TMP/bad/waveforms.h5" ] && fail no_output_after_errors "$TMP/bad/waveforms.h5 exists" || ok no_output_after_errors
ls "$TMP/bad"/*.tmp-* >/dev/null 2>&1 && fail no_temp_after_errors "temporary files left in $TMP/bad" || ok no_temp_after_errors
# --- the real file
W="${PRC_SHARED_DATA:-../shared/data}/waveforms"
H=$W/phasenet_154_100Hz.h5 C=$W/phasenet_154_100Hz.csv
if [ ! -r "$H" ] || [ ! -r "$C" ]; then skip stead_real "phasenet_154_100Hz.h5/.csv not found in $W"; exit 0; fi
expect stead_real 0 '154 trace\(s\) from phasenet_154_100Hz.h5 \+ phasenet_154_100Hz.csv: 115 three-component, 39 single-component' \
  'sampling rate 100 Hz \(154 from the CSV' 'P present in 154, S present in 154 of 154' 'trace start times 1985-02-11T17:29:02Z .. 2017-12-19T17:37:59Z' \
  -- $P import-stead -stead_h5 "$H" -stead_csv "$C" -out_dir "$TMP/r1"
$PY tests/oracle/stead_check.py "$H" "$C" "$TMP/r1/waveforms.h5" >"$TMP/oracle.out" 2>&1
while read -r verdict name detail; do
  case "$verdict" in ok) ok "$name";; FAIL) fail "$name" "$detail";; esac
done <"$TMP/oracle.out"
[ "$(grep -c '^ok ' "$TMP/oracle.out")" = 7 ] && ok stead_oracle_ran || fail stead_oracle_ran "$(tail -n 5 "$TMP/oracle.out")"
grep -q '^single_component_count 39$' "$TMP/oracle.out" && ok stead_39_single_python || fail stead_39_single_python "$(cat "$TMP/oracle.out")"
n=$(ls "$TMP/r1"/waveform_*.png 2>/dev/null | wc -l)
[ "$n" = 4 ] && ok stead_pngs || fail stead_pngs "$n quicklooks, expected 4"
for np in 2 3; do
  expect stead_real_np$np 0 'output' -- $PRC_MPIRUN -n $np $P import-stead -stead_h5 "$H" -stead_csv "$C" -stead_png false -out_dir "$TMP/r$np"
  h5same stead_np1_vs_np$np "$TMP/r1/waveforms.h5" "$TMP/r$np/waveforms.h5"
done
