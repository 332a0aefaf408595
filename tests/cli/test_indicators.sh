# tests/cli/test_indicators.sh — `precursor indicators` end to end: a small catalog written by
# tests/oracle/indicators_oracle.py (every indicator, label and score of every cell recomputed
# with numpy; n-events and time-span windows, MLE and LSQ, fixed Mc), the no-leakage rule end
# to end (catalog cut at a date -> features up to that date unchanged), 1/2/3 ranks identical,
# the output read by `precursor evaluate`, the real CENC and JMA catalogs (plausible b, oracle on
# the busiest cells; skipped without ../shared/data), bad options and inputs with no output.
. tests/cli/lib.sh
O=tests/oracle/indicators_oracle.py
D="${PRC_SHARED_DATA:-../shared/data}/catalogs"
if ! /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then skip indicators "python3 numpy/h5py missing"; exit 0; fi

G="-ind_lat_min 30 -ind_lat_max 32 -ind_lon_min 100 -ind_lon_max 102 -ind_cell_deg 0.5 -ind_start 2001-01-01 -ind_end 2009-12-31 -ind_step_days 60"
expect make_catalog 0 'wrote' -- /usr/bin/python3 $O make "$TMP/cat.h5" --seed 3
expect np1 0 'rows \(16 cells x 55 times\)' 'outputs in' -- $P indicators -ind_catalog "$TMP/cat.h5" $G -ind_label_mag 4 -out_dir "$TMP/o1"
expect oracle_small 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/cat.h5" "$TMP/o1/indicators.h5" --all --b-range 0.85 1.15
for f in bmap series; do [ -s "$TMP/o1/$f.png" ] && ok "png_$f" || fail "png_$f" "missing $TMP/o1/$f.png"; done
for np in 2 3; do
  expect "np$np" 0 'outputs in' -- $PRC_MPIRUN -n $np $P indicators -ind_catalog "$TMP/cat.h5" $G -ind_label_mag 4 -quiet -out_dir "$TMP/o$np"
  h5same "ranks_1_vs_$np" "$TMP/o1/indicators.h5" "$TMP/o$np/indicators.h5"
done
expect span_lsq 0 'outputs in' -- $PRC_MPIRUN -n 2 $P indicators -ind_catalog "$TMP/cat.h5" $G -ind_span_days 200 -ind_bmethod lsq \
  -ind_mc 2.3 -ind_char_mag 4.5 -ind_png false -out_dir "$TMP/os"
expect oracle_span_lsq 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/cat.h5" "$TMP/os/indicators.h5" --all
expect reyes_small 0 'outputs in' -- $P indicators -ind_catalog "$TMP/cat.h5" $G -ind_n_events 30 -ind_reyes_n 20 -ind_reyes_lag 2 \
  -ind_min_events_b 5 -ind_mc_corr 0 -ind_png false -out_dir "$TMP/or"
expect oracle_reyes 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/cat.h5" "$TMP/or/indicators.h5" --all
# no future leakage end to end: the catalog cut at 2005-06-01 gives the same features up to then
expect make_cut 0 'wrote' -- /usr/bin/python3 $O make "$TMP/cut.h5" --seed 3 --cut 2005-06-01
expect cut_run 0 'outputs in' -- $P indicators -ind_catalog "$TMP/cut.h5" $G -ind_label_mag 4 -ind_png false -out_dir "$TMP/oc"
expect no_leakage 0 'features differing: none' 'ORACLE PASS' -- /usr/bin/python3 $O past "$TMP/oc/indicators.h5" "$TMP/o1/indicators.h5" 2005-06-01
# the table is a forecast file: evaluate reads it (observations = the label column)
expect evaluate_reads 0 'AUC' -- $P evaluate -eval_input "$TMP/o1/indicators.h5" -eval_thresholds 0.2,0.5 -eval_bootstrap 20 -eval_png false -out_dir "$TMP/ev"
expect evaluate_catalog 0 'observations: catalog' -- $P evaluate -eval_input "$TMP/o1/indicators.h5" -eval_catalog "$TMP/cat.h5" -eval_mmin 4 \
  -eval_thresholds 0.2 -eval_bootstrap 20 -eval_png false -out_dir "$TMP/ev2"
expect labels_match_evaluate 0 'SAME' -- /usr/bin/python3 -c 'import sys, h5py, numpy as np
a = h5py.File(sys.argv[1])["forecast/label"][:]; b = h5py.File(sys.argv[2])["units/observed"][:]
print("SAME" if np.array_equal(a, (b > 0).astype(float)) and a.sum() > 0 else "DIFFERENT", int(a.sum()), int((b > 0).sum()))' \
  "$TMP/o1/indicators.h5" "$TMP/ev2/evaluation.h5"

# real catalogs
CENC="$D/cenc_china_1970-2024.csv" JMA="$D/jma_japan_1926-2007.csv"
if [ -r "$CENC" ]; then
  expect cenc_import 0 'kept' -- $P import-catalog -catalog_input "$CENC" -catalog_png false -quiet -out_dir "$TMP/cenc"
  C="-ind_catalog $TMP/cenc/catalog.h5 -ind_lat_min 20 -ind_lat_max 45 -ind_lon_min 95 -ind_lon_max 125 -ind_cell_deg 2 -ind_start 1990-01-01 -ind_end 2020-01-01 -ind_step_days 91"
  expect cenc_np1 0 'b defined in' -- $P indicators $C -out_dir "$TMP/c1"
  expect cenc_np2 0 'outputs in' -- $PRC_MPIRUN -n 2 $P indicators $C -quiet -out_dir "$TMP/c2"
  h5same cenc_ranks_1_vs_2 "$TMP/c1/indicators.h5" "$TMP/c2/indicators.h5"
  expect cenc_oracle 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/cenc/catalog.h5" "$TMP/c1/indicators.h5" --cells 5 --b-range 0.5 1.5
  expect cenc_deck 0 'outputs in' -- $P indicators -options_file inputs/indicators_cenc.opts -ind_catalog "$TMP/cenc/catalog.h5" -ind_png false -quiet -out_dir "$TMP/cd"
else
  skip cenc "no $CENC"
fi
if [ -r "$JMA" ]; then
  expect jma_import 0 'kept' -- $P import-catalog -catalog_input "$JMA" -catalog_png false -quiet -out_dir "$TMP/jma"
  J="-ind_catalog $TMP/jma/catalog.h5 -ind_lat_min 30 -ind_lat_max 46 -ind_lon_min 128 -ind_lon_max 148 -ind_cell_deg 2 -ind_start 1970-01-01 -ind_end 2007-01-01 -ind_step_days 91"
  expect jma_np2 0 'b defined in' -- $PRC_MPIRUN -n 2 $P indicators $J -quiet -out_dir "$TMP/j2"
  expect jma_oracle 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/jma/catalog.h5" "$TMP/j2/indicators.h5" --cells 5 --b-range 0.5 1.5
else
  skip jma "no $JMA"
fi

# bad options and inputs: named, non-zero status, no output
E="$TMP/e"
expect bad_options 2 '-ind_n_events 1: a window needs at least 2 events' '-ind_cell_deg 0: the cell size must be > 0' \
  '-ind_start 2009-12-31 must be before -ind_end 2001-01-01' '-ind_mc x: expected .auto. or a magnitude' '-ind_bmethod ls: expected mle or lsq' -- \
  $PRC_MPIRUN -n 2 $P indicators -ind_catalog "$TMP/cat.h5" -ind_lat_min 30 -ind_lat_max 32 -ind_lon_min 100 -ind_lon_max 102 \
  -ind_cell_deg 0 -ind_start 2009-12-31 -ind_end 2001-01-01 -ind_n_events 1 -ind_mc x -ind_bmethod ls -out_dir "$E"
expect bad_box 2 '-ind_lat_min 32 must be < -ind_lat_max 30' '-ind_step_days -5 must be > 0' '-ind_horizon_days 0 must be > 0' -- \
  $P indicators -ind_catalog "$TMP/cat.h5" $G -ind_lat_min 32 -ind_lat_max 30 -ind_step_days -5 -ind_horizon_days 0 -out_dir "$E"
expect catalog_required 2 '-ind_catalog is required' -- $P indicators $G -out_dir "$E"
expect missing_catalog 1 "$TMP/none.h5" -- $PRC_MPIRUN -n 2 $P indicators -ind_catalog "$TMP/none.h5" $G -out_dir "$E"
expect wrong_kind 1 'indicators' -- $P indicators -ind_catalog "$TMP/o1/indicators.h5" $G -out_dir "$E"
if [ -e "$E/indicators.h5" ] || ls "$E"/*.png >/dev/null 2>&1; then fail no_output_on_error "$(ls "$E")"; else ok no_output_on_error; fi
