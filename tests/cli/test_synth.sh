# tests/cli/test_synth.sh — `precursor synth` inputs and outputs: a catalog file as input
# (with provenance), input errors, quicklooks.
. tests/cli/lib.sh

args=(-synth_nx 24 -synth_ny 20 -synth_res_km 5 -synth_days 200 -synth_stations 2 -quiet)
expect etas_run 0 'outputs in' -- $P synth "${args[@]}" -synth_scenario 2010-03-01/6.0 -out_dir "$TMP/a"
for f in lst_day elevation anomaly_truth cloud_fraction catalog_mt station_S001; do
  if [ -s "$TMP/a/$f.png" ] && [ "$(head -c 8 "$TMP/a/$f.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]; then ok "png_$f"
  else fail "png_$f" "$TMP/a/$f.png missing or not a PNG"; fi
done
# the catalog just written, read back as the input of a second run
expect catalog_input 0 'events of .*catalog.h5 are inside the region' -- \
  $P synth "${args[@]}" -synth_catalog "$TMP/a/catalog.h5" -synth_png false -out_dir "$TMP/b"
if out=$(h5diff "$TMP/a/catalog.h5" "$TMP/b/catalog.h5" /catalog /catalog 2>&1); then ok catalog_input_preserved
else fail catalog_input_preserved "$out"; fi
if h5dump -a /provenance/inputs "$TMP/b/lst.h5" | grep -q "a/catalog.h5 crc32=[0-9a-f]\{8\} bytes=[0-9]"; then ok provenance_inputs_checksum
else fail provenance_inputs_checksum "/provenance/inputs lacks the catalog with its crc32"; fi
n_a=$(h5dump -d /anomalies/event "$TMP/a/truth.h5" | grep -c DATASPACE); [ "$n_a" -ge 1 ] && ok truth_has_anomalies || fail truth_has_anomalies "no /anomalies/event"
# input errors: named file, non-zero exit on every rank, no output
expect missing_catalog 1 "cannot read input '$TMP/nope.h5': No such file or directory" -- $PRC_MPIRUN -n 2 $P synth "${args[@]}" -synth_catalog "$TMP/nope.h5" -out_dir "$TMP/c"
echo "time,lat,lon" >"$TMP/text.h5"
expect catalog_not_hdf5 1 "'$TMP/text.h5' is not an HDF5 file" -- $P synth "${args[@]}" -synth_catalog "$TMP/text.h5" -out_dir "$TMP/c"
expect catalog_wrong_kind 1 "has no /catalog group" -- $P synth "${args[@]}" -synth_catalog "$TMP/a/lst.h5" -out_dir "$TMP/c"
[ -e "$TMP/c/lst.h5" ] && fail no_output_after_input_error "$TMP/c/lst.h5 exists" || ok no_output_after_input_error
expect scenario_with_catalog 2 'cannot be combined with -synth_catalog' -- \
  $P synth "${args[@]}" -synth_catalog "$TMP/a/catalog.h5" -synth_scenario 2010-03-01/6 -out_dir "$TMP/c"
