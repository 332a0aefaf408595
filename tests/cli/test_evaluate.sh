# tests/cli/test_evaluate.sh — `precursor evaluate` end to end on forecast files written by
# tests/oracle/eval_oracle.py: every score, the ROC and Molchan points, AUC (scipy.stats.
# mannwhitneyu), ASS, the binomial bounds (scipy.stats.binom) and the reliability bins are
# recomputed with numpy/scipy; 1, 2 and 3 ranks give the same file; bad inputs and options
# are named errors with a non-zero status on every rank and no output.
. tests/cli/lib.sh
O=tests/oracle/eval_oracle.py
if ! /usr/bin/python3 -c 'import numpy, scipy, h5py' 2>/dev/null; then skip evaluate "python3 numpy/scipy/h5py missing"; exit 0; fi

# observations from the column, weight column as the Molchan measure
expect make_observed 0 -- /usr/bin/python3 $O make "$TMP/f.h5" --seed 5
expect eval_np1 0 'AUC 0\.[5-9]' 'outputs in' -- $P evaluate -eval_input "$TMP/f.h5" -eval_thresholds 0.1,0.25,0.5,0.99 -eval_bootstrap 120 -out_dir "$TMP/o1"
expect oracle_observed 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/f.h5" "$TMP/o1/evaluation.h5"
for f in roc molchan reliability; do [ -s "$TMP/o1/$f.png" ] && ok "png_$f" || fail "png_$f" "missing $TMP/o1/$f.png"; done
for np in 2 3; do
  expect "eval_np$np" 0 'outputs in' -- $PRC_MPIRUN -n $np $P evaluate -eval_input "$TMP/f.h5" -eval_thresholds 0.1,0.25,0.5,0.99 \
    -eval_bootstrap 120 -quiet -out_dir "$TMP/o$np"
  h5same "ranks_1_vs_$np" "$TMP/o1/evaluation.h5" "$TMP/o$np/evaluation.h5"
done
expect eval_seed 0 'outputs in' -- $P evaluate -eval_input "$TMP/f.h5" -eval_thresholds 0.1,0.25,0.5,0.99 -eval_bootstrap 120 -seed 9 -eval_png false -out_dir "$TMP/os"
if h5diff -q "$TMP/o1/evaluation.h5" "$TMP/os/evaluation.h5" /scores/ci_low /scores/ci_low >/dev/null 2>&1; then
  fail seed_changes_intervals "another -seed gave the same bootstrap intervals"; else ok seed_changes_intervals; fi
if h5diff "$TMP/o1/evaluation.h5" "$TMP/os/evaluation.h5" /scores/value /scores/value >/dev/null 2>&1; then
  ok seed_keeps_point_estimates; else fail seed_keeps_point_estimates "point estimates depend on the seed"; fi
expect uniform_tau 0 'tau: uniform' -- $P evaluate -eval_input "$TMP/f.h5" -eval_tau_weight uniform -eval_bootstrap 20 -eval_png false -out_dir "$TMP/ou"
expect oracle_uniform 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/f.h5" "$TMP/ou/evaluation.h5" --tau uniform

# observations from a catalog (M >= 5 within the next 10 days in the cell of a 0.5-degree grid)
expect make_catalog 0 -- /usr/bin/python3 $O make "$TMP/fc.h5" --mode catalog --catalog "$TMP/cat.h5" --seed 8
expect eval_catalog 0 'catalog events M >= 5 fall in forecast units' 'observations: catalog' -- $PRC_MPIRUN -n 2 $P evaluate \
  -eval_input "$TMP/fc.h5" -eval_catalog "$TMP/cat.h5" -eval_tau_weight uniform -eval_thresholds 0.2,0.4 -eval_bootstrap 60 -out_dir "$TMP/c"
expect oracle_catalog 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/fc.h5" "$TMP/c/evaluation.h5" --catalog "$TMP/cat.h5" --mmin 5 --days 10 --tau uniform
expect eval_catalog_m55 0 'outputs in' -- $P evaluate -eval_input "$TMP/fc.h5" -eval_catalog "$TMP/cat.h5" -eval_mmin 5.5 -eval_days 7 \
  -eval_tau_weight uniform -eval_bootstrap 20 -eval_png false -out_dir "$TMP/c55"
expect oracle_catalog_m55 0 'ORACLE PASS' -- /usr/bin/python3 $O check "$TMP/fc.h5" "$TMP/c55/evaluation.h5" --catalog "$TMP/cat.h5" --mmin 5.5 --days 7 --tau uniform
expect eval_deck 0 'outputs in' -- $P evaluate -options_file inputs/evaluate_demo.opts -eval_input "$TMP/fc.h5" -eval_catalog "$TMP/cat.h5" \
  -eval_bootstrap 50 -out_dir "$TMP/deck"

# bad inputs: named, non-zero on every rank (mpirun reports the failure), no output
E="$TMP/e"
for k in missing_score mismatch nan_score obs_not01 no_observed wrong_kind; do
  /usr/bin/python3 $O make "$TMP/bad_$k.h5" --bad $k --seed 2
done
/usr/bin/python3 $O make "$TMP/bad_grid.h5" --mode catalog --catalog "$TMP/cat2.h5" --bad partial_grid
expect missing_file 1 "cannot read input '$TMP/none.h5'" -- $PRC_MPIRUN -n 2 $P evaluate -eval_input "$TMP/none.h5" -out_dir "$E"
expect missing_score 1 'has no column /forecast/score' -- $PRC_MPIRUN -n 2 $P evaluate -eval_input "$TMP/bad_missing_score.h5" -out_dir "$E"
expect mismatched_lengths 1 '/forecast/weight has 1999 rows but /forecast/score has 2000' -- $PRC_MPIRUN -n 2 $P evaluate -eval_input "$TMP/bad_mismatch.h5" -out_dir "$E"
expect nan_score 1 'score\[7\] = nan is not finite' -- $PRC_MPIRUN -n 2 $P evaluate -eval_input "$TMP/bad_nan_score.h5" -out_dir "$E"
expect observed_not_01 1 'observed\[3\] = 2, expected 0 or 1' -- $PRC_MPIRUN -n 2 $P evaluate -eval_input "$TMP/bad_obs_not01.h5" -out_dir "$E"
expect no_observations 1 'no observations: .* no column /forecast/observed and no -eval_catalog' -- $P evaluate -eval_input "$TMP/bad_no_observed.h5" -out_dir "$E"
expect wrong_kind 1 "is a 'grid' file, expected precursor_kind 'forecast'" -- $P evaluate -eval_input "$TMP/bad_wrong_kind.h5" -out_dir "$E"
expect partial_grid 1 'has 5 of the 6 grid attributes' -- $P evaluate -eval_input "$TMP/bad_grid.h5" -eval_catalog "$TMP/cat2.h5" -out_dir "$E"
expect catalog_needs_grid 1 'observations from a catalog need the grid attributes' -- $P evaluate -eval_input "$TMP/f.h5" -eval_catalog "$TMP/cat.h5" -out_dir "$E"
expect no_events 1 '0 of 2000 units observed an event' -- $P evaluate -eval_input "$TMP/fc.h5" -eval_catalog "$TMP/cat.h5" -eval_mmin 9 -out_dir "$E"
expect tau_column_missing 1 'has no column /forecast/weight' -- $P evaluate -eval_input "$TMP/fc.h5" -eval_catalog "$TMP/cat.h5" -eval_tau_weight column -out_dir "$E"
expect bad_options 2 '-eval_bootstrap' '-eval_alpha: 1.5 is not a significance level in \(0, 1\)' '-eval_alpha: 0 is not' \
  '-eval_thresholds: .x,1. is not a comma-separated list' '-eval_tau_weight time' '-eval_ci_level' -- \
  $PRC_MPIRUN -n 2 $P evaluate -eval_input "$TMP/f.h5" -eval_bootstrap 0 -eval_alpha 1.5,0 -eval_thresholds x,1 -eval_tau_weight time \
  -eval_ci_level 1.5 -out_dir "$E"
expect input_required 2 '-eval_input is required' -- $P evaluate -out_dir "$E"
[ -e "$E" ] && fail no_output_on_error "$(ls -R "$E")" || ok no_output_on_error
