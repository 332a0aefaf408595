# tests/cli/test_rst.sh — `precursor rst`: an independent numpy implementation agrees value by
# value (masked and undefined pixels included); 1, 2 and 4 ranks and different block sizes
# give the same bits; injected precursors of the synthetic region are found; input errors.
. tests/cli/lib.sh

if ! /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then skip numpy_oracle "python3-numpy/h5py missing"; fi
expect synth 0 'outputs in' -- $PRC_MPIRUN -n 2 $P synth -synth_nx 20 -synth_ny 16 -synth_res_km 4 -synth_days 800 \
  -synth_stations 0 -synth_png false -quiet -synth_scenario 2011-06-15/6 -out_dir "$TMP/s"
expect rst_np1 0 'outputs in' -- $P rst -rst_input "$TMP/s/lst.h5" -rst_window_days 5 -rst_min_samples 8 -rst_png false -quiet -out_dir "$TMP/r1"
expect rst_np2 0 'outputs in' -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/s/lst.h5" -rst_window_days 5 -rst_min_samples 8 -rst_png false -quiet -out_dir "$TMP/r2"
expect rst_np4_block5 0 'outputs in' -- $PRC_MPIRUN -n 4 $P rst -rst_input "$TMP/s/lst.h5" -rst_window_days 5 -rst_min_samples 8 -rst_block_days 5 -rst_png false -quiet -out_dir "$TMP/r4"
if /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then
  expect numpy_oracle_doy 0 'ORACLE PASS' -- /usr/bin/python3 tests/oracle/rst_oracle.py "$TMP/s/lst.h5" "$TMP/r2/rst.h5" 5 8 2
  expect rst_monthly 0 'outputs in' -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/s/lst.h5" -rst_slots month -rst_min_samples 20 -rst_threshold 1.5 -rst_png false -quiet -out_dir "$TMP/rm"
  expect numpy_oracle_month 0 'ORACLE PASS' -- /usr/bin/python3 tests/oracle/rst_oracle.py "$TMP/s/lst.h5" "$TMP/rm/rst.h5" 0 20 1.5 month
fi
# EOF filtering: ScaLAPACK eigenvectors of the Gram matrix vs a dense numpy SVD; 1 vs 3 ranks
for np in 1 3; do
  expect "rst_eof_np$np" 0 'EOF: removed 3 leading modes' -- $PRC_MPIRUN -n $np $P rst -rst_input "$TMP/s/lst.h5" -rst_window_days 5 \
    -rst_min_samples 8 -rst_eof_modes 3 -rst_start 2011-01-01 -rst_png false -quiet -out_dir "$TMP/e$np"
done
if /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then
  expect numpy_oracle_eof 0 'ORACLE PASS' -- /usr/bin/python3 tests/oracle/rst_oracle.py "$TMP/s/lst.h5" "$TMP/e3/rst.h5" 5 8 2 doy 3
fi
if out=$(h5diff -p 1e-4 "$TMP/e1/rst.h5" "$TMP/e3/rst.h5" /retira /retira 2>&1); then ok eof_np1_vs_np3; else fail eof_np1_vs_np3 "$out"; fi
expect eof_too_many_modes 1 'needs more analysis steps than modes' -- $P rst -rst_input "$TMP/s/lst.h5" -rst_eof_modes 50 \
  -rst_start 2012-02-20 -rst_png false -quiet -out_dir "$TMP/e9"

# the per-pixel products do not depend on ranks or blocks (bitwise); region sums in double: 1e-12
for np in 2 4; do
  if out=$(h5diff "$TMP/r1/rst.h5" "$TMP/r$np/rst.h5" /retira /retira && h5diff "$TMP/r1/rst.h5" "$TMP/r$np/rst.h5" /anomaly /anomaly \
           && h5diff "$TMP/r1/rst.h5" "$TMP/r$np/rst.h5" /background /background && h5diff "$TMP/r1/rst.h5" "$TMP/r$np/rst.h5" /spatial_mean /spatial_mean 2>&1); then
    ok "pixels_bitwise_np1_vs_np$np"; else fail "pixels_bitwise_np1_vs_np$np" "$out"; fi
  if out=$(h5diff -p 1e-12 "$TMP/r1/rst.h5" "$TMP/r$np/rst.h5" /series /series 2>&1); then ok "series_np1_vs_np$np"; else fail "series_np1_vs_np$np" "$out"; fi
done

# the synthetic region's precursors are found (demo-like deck, anomalies smaller than the region)
expect synth_demo 0 'outputs in' -- $PRC_MPIRUN -n 2 $P synth -options_file inputs/demo.opts -synth_stations 0 -synth_png false -quiet -out_dir "$TMP/d"
expect rst_detects 0 'detected [4-9] \(' -- $PRC_MPIRUN -n 2 $P rst -options_file inputs/rst_demo.opts -rst_input "$TMP/d/lst.h5" \
  -rst_catalog "$TMP/d/catalog.h5" -out_dir "$TMP/dr"
rate=$(h5dump -a /events/quiet_day_false_rate "$TMP/dr/rst.h5" 2>/dev/null | awk '/\(0\)/{print $2}')
det=$(h5dump -a /events/detection_rate "$TMP/dr/rst.h5" 2>/dev/null | awk '/\(0\)/{print $2}')
if awk -v r="$rate" -v d="$det" 'BEGIN{exit !(r != "" && d != "" && d > 2 * r)}'; then ok detection_beats_quiet_days
else fail detection_beats_quiet_days "detection rate $det is not above twice the quiet-day rate $rate"; fi
for f in rst_area.png; do [ -s "$TMP/dr/$f" ] && ok "png_$f" || fail "png_$f" "missing $TMP/dr/$f"; done
ls "$TMP"/dr/retira_*.png >/dev/null 2>&1 && ok png_retira_maps || fail png_retira_maps "no retira_*.png"

# errors: named, non-zero on every rank, no output
expect missing_input 1 "cannot read input '$TMP/none.h5'" -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/none.h5" -out_dir "$TMP/e"
expect input_required 2 '-rst_input is required' -- $P rst -out_dir "$TMP/e"
expect wrong_dataset 1 "has no dataset 'temp'" -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/s/lst.h5" -rst_var temp -out_dir "$TMP/e"
expect rank2_dataset 1 "/elevation has rank 2, expected 3" -- $P rst -rst_input "$TMP/s/lst.h5" -rst_var elevation -out_dir "$TMP/e"
expect not_a_stack 1 "is not an LST stack \\(attribute precursor_kind = 'catalog'" -- $P rst -rst_input "$TMP/s/catalog.h5" -out_dir "$TMP/e"
expect empty_analysis 1 'analysis period .* holds no time step' -- $P rst -rst_input "$TMP/s/lst.h5" -rst_start 2030-01-01 -out_dir "$TMP/e"
expect bad_options 2 '-rst_slots week' "-rst_ref_start: '2010-13-01'" 'not name:lat_min' -- \
  $P rst -rst_input "$TMP/s/lst.h5" -rst_slots week -rst_ref_start 2010-13-01 -rst_regions oops -out_dir "$TMP/e"
[ -e "$TMP/e/rst.h5" ] && fail no_output_on_error "$TMP/e/rst.h5 exists" || ok no_output_on_error
expect regions 0 'outputs in' -- $P rst -rst_input "$TMP/s/lst.h5" -rst_regions 'west:30,31,100,100.4;east:30,31,100.4,101' -rst_png false -quiet -out_dir "$TMP/rg"
if h5dump -H "$TMP/rg/rst.h5" | grep -q 'GROUP "east"' && h5dump -H "$TMP/rg/rst.h5" | grep -q 'GROUP "west"'; then ok region_series; else fail region_series "no /series/east or /series/west"; fi

# the real MODIS tile as a one-day analysis against a synthetic multi-year background of
# the same grid (the real-file path end to end)
modis="$PRC_SHARED_DATA/lst/MOD11A1.A2019305.h14v09.hdf"
if [ ! -r "$modis" ]; then skip modis_day_vs_reference "real MODIS tile not found ($modis)"
elif ! /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then skip modis_day_vs_reference "python3-numpy/h5py missing"
else
  expect modis_import 0 'wrote' -- $P import-modis -modis_files "$modis" -modis_lat_min -5.5 -modis_lat_max -5.0 \
    -modis_lon_min -37.0 -modis_lon_max -36.5 -modis_res_deg 0.01 -modis_png false -out_dir "$TMP/mod"
  expect modis_reference 0 -- /usr/bin/python3 tests/oracle/modis_reference.py make "$TMP/mod/lst.h5" "$TMP/mod/ref.h5" 3 5
  expect modis_rst 0 'analysis 1 steps' -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/mod/lst.h5" -rst_reference "$TMP/mod/ref.h5" \
    -out_dir "$TMP/modr"
  expect modis_day_vs_reference 0 'ORACLE PASS' -- /usr/bin/python3 tests/oracle/modis_reference.py check "$TMP/mod/lst.h5" \
    "$TMP/mod/ref.h5" "$TMP/modr/rst.h5" 7 10
  [ -s "$TMP/modr/retira_2019-11-01.png" ] && ok modis_retira_png || fail modis_retira_png "no retira_2019-11-01.png"
  expect reference_other_grid 1 'not the same grid|is .* but the input' -- $P rst -rst_input "$TMP/s/lst.h5" \
    -rst_reference "$TMP/mod/ref.h5" -out_dir "$TMP/e"
fi
