# tests/cli/test_options.sh — stage dispatch, -help, input decks, option validation and
# the "every violation at once, every rank exits" rule.
. tests/cli/lib.sh

expect help_lists_stages 0 '^  synth +generate' '-synth_nx +<int> default 128' '-out_dir' -- $P -help
expect help_one_stage 0 '-synth_cloud_min' 'range|\[0, 0.99\]' -- $P synth -help
expect version 0 '^precursor ' -- $P -version
expect no_stage 2 'usage:' -- $P
expect unknown_stage 2 "unknown stage 'sinth'" -- $P sinth
expect unknown_option 2 'unknown option -synth_nxx \(did you mean -synth_nx\?\)' 'nothing was run' -- \
  $P synth -synth_nxx 5 -out_dir "$TMP/u"
# every violation is reported in one go
expect all_violations_at_once 2 '4 problems' '-synth_nx -3: out of range' '-synth_b abc: not a finite real' \
  '-synth_cloud_min 0.7 > -synth_cloud_max 0.5' "-synth_start: '2011-02-29': day 29 out of range 1..28" -- \
  $P synth -synth_nx -3 -synth_b abc -synth_cloud_min 0.7 -synth_cloud_max 0.5 -synth_start 2011-02-29 -out_dir "$TMP/v"
expect not_an_integer 2 '-synth_days 1.5: not an integer' -- $P synth -synth_days 1.5 -out_dir "$TMP/v"
expect bad_scenario 2 '-synth_scenario: .*not DATE/MAG' -- $P synth -synth_scenario 2011-01-01 -out_dir "$TMP/v"
expect scenario_outside_span 2 'scenario event 1 is outside the span' -- \
  $P synth -synth_scenario 2030-01-01/6 -out_dir "$TMP/v"
[ -e "$TMP/v" ] && fail no_output_on_bad_options "$TMP/v was created" || ok no_output_on_bad_options
# the same on 4 ranks: one report (rank 0), every rank exits, nobody hangs
expect violations_on_4_ranks 2 'unknown option -bogus' -- $PRC_MPIRUN -n 4 $P synth -bogus 1 -out_dir "$TMP/w"
n=$(grep -c 'problem' "$TMP/violations_on_4_ranks.out")
[ "$n" -eq 1 ] && ok reported_once || fail reported_once "the violation report appeared $n times (expected once, from rank 0)"

# decks
expect missing_deck 2 "cannot read input deck '$TMP/nope.opts'" -- $P synth -options_file "$TMP/nope.opts"
expect deck_twice 2 'give -options_file once' -- $P synth -options_file a -options_file b
printf -- '-synth_nx 8\n-synth_ny 6\n-synth_days 5\n-synth_stations 1\n-synth_png false\n-synth_bogus 3\n' >"$TMP/bad.opts"
expect deck_unknown_key 2 'unknown option -synth_bogus' -- $P synth -options_file "$TMP/bad.opts" -out_dir "$TMP/d0"
printf -- '# a deck\n-synth_nx 8\n-synth_ny 6\n-synth_days 5\n-synth_stations 1\n-synth_png false\n-quiet\n' >"$TMP/good.opts"
expect deck_runs 0 'outputs in' -- $P synth -options_file "$TMP/good.opts" -out_dir "$TMP/d1"
expect command_line_wins 0 'region 7 x 6 px' -- $P synth -options_file "$TMP/good.opts" -synth_nx 7 -out_dir "$TMP/d2"
if h5dump -H -d /lst "$TMP/d2/lst.h5" 2>/dev/null | grep -q 'DATASPACE  SIMPLE { ( 5, 6, 7 )'; then ok override_reaches_output
else fail override_reaches_output "lst.h5 of the overridden run is not 5 x 6 x 7"; fi
if h5dump -a /provenance/options "$TMP/d2/lst.h5" 2>/dev/null | grep -q -- '-synth_nx 7' ; then ok provenance_has_options
else fail provenance_has_options "/provenance/options lacks '-synth_nx 7'"; fi
expect log_view 0 'Summary of Stages' 'synth' -- $P synth -options_file "$TMP/good.opts" -out_dir "$TMP/d3" -log_view
