# tests/cli/test_rst_checkpoint.sh — `precursor rst` stops with a checkpoint (on request, on
# SIGUSR1) or is killed (SIGKILL at random moments, periodic checkpoints) and is resumed:
# exit status 99, no rst.h5 while stopped, and the resumed run — also on another rank count
# and block length — ends with the products of an uninterrupted run (bitwise for the pixel
# products; the region series are double reductions: 1e-12 across rank counts, bitwise on
# the same rank count).
. tests/cli/lib.sh

expect synth 0 'outputs in' -- $PRC_MPIRUN -n 2 $P synth -synth_nx 20 -synth_ny 16 -synth_res_km 4 -synth_days 800 \
  -synth_stations 0 -synth_png false -quiet -synth_scenario 2011-06-15/6 -out_dir "$TMP/s"
A=(-rst_input "$TMP/s/lst.h5" -rst_window_days 5 -rst_min_samples 8 -rst_png false -quiet)
expect uninterrupted_np1 0 'outputs in' -- $P rst "${A[@]}" -out_dir "$TMP/ref1"
expect uninterrupted_np2 0 'outputs in' -- $PRC_MPIRUN -n 2 $P rst "${A[@]}" -out_dir "$TMP/ref2"

# pixel products bitwise, series to 1e-12 (other rank count) or bitwise (same)
same_products() {
  local name="$1" a="$2" b="$3" tol="$4" out
  if out=$(for d in /retira /anomaly /background /spatial_mean /spatial_mean_reference /time; do h5diff "$a" "$b" $d $d || exit 1; done 2>&1) \
     && out=$(h5diff $tol "$a" "$b" /series /series 2>&1); then ok "$name"; else fail "$name" "$out"; fi
}

# 1. stop in the reference pass after 3 blocks (2 ranks), resume on 3 ranks with 7-day blocks
expect stop_reference_pass 99 'checkpoint written \(reference sums, reference step 96 of 800' -- \
  $PRC_MPIRUN -n 2 $P rst "${A[@]}" -checkpoint_after_blocks 3 -out_dir "$TMP/c"
[ -e "$TMP/c/rst.h5" ] && fail no_output_while_stopped "rst.h5 exists after the stop" || ok no_output_while_stopped
ls "$TMP"/c/rst.h5.tmp-* >/dev/null 2>&1 && fail no_partial_output "$(ls "$TMP/c")" || ok no_partial_output
if h5dump -a /magic "$TMP/c/rst.checkpoint.h5" 2>/dev/null | grep -q precursor-checkpoint; then ok checkpoint_magic; else fail checkpoint_magic "no magic"; fi
expect other_options_refused 1 'belongs to a run with other options' -- $P rst "${A[@]}" -rst_window_days 6 -out_dir "$TMP/c"
expect resume_np3_block7 0 'resuming from the checkpoint .*reference step 96 of 800' 'outputs in' -- \
  $PRC_MPIRUN -n 3 $P rst "${A[@]}" -rst_block_days 7 -out_dir "$TMP/c"
same_products resumed_np3_equals_np1 "$TMP/ref1/rst.h5" "$TMP/c/rst.h5" "-p 1e-12"
[ -e "$TMP/c/rst.checkpoint.h5" ] && fail checkpoint_removed_when_done "left" || ok checkpoint_removed_when_done
ls "$TMP"/c/*.tmp-* >/dev/null 2>&1 && fail no_temp_left "$(ls "$TMP/c")" || ok no_temp_left

# 2. stop in the RETIRA pass (25 reference blocks + 5): the background is kept, RETIRA redone
expect stop_retira_pass 99 'checkpoint written \(background' -- $PRC_MPIRUN -n 2 $P rst "${A[@]}" -checkpoint_after_blocks 30 -out_dir "$TMP/b"
[ -e "$TMP/b/rst.h5" ] || ls "$TMP"/b/rst.h5.tmp-* >/dev/null 2>&1 && fail retira_stop_no_output "$(ls "$TMP/b")" || ok retira_stop_no_output
expect resume_background 0 'resuming from the checkpoint .*\(background' -- $PRC_MPIRUN -n 2 $P rst "${A[@]}" -out_dir "$TMP/b"
h5same resumed_background_equals_uninterrupted "$TMP/ref2/rst.h5" "$TMP/b/rst.h5"

# 3. -rst_resume false starts over
expect stop_again 99 'checkpoint written' -- $P rst "${A[@]}" -checkpoint_after_blocks 2 -out_dir "$TMP/f"
expect resume_false 0 'removed the checkpoint' 'outputs in' -- $P rst "${A[@]}" -rst_resume false -out_dir "$TMP/f"
h5same start_over_equals_uninterrupted "$TMP/ref1/rst.h5" "$TMP/f/rst.h5"

# 4. SIGKILL at random moments during a run with periodic checkpoints (every 2 blocks of 4
# days, i.e. many), then run again: the same products as the uninterrupted run, whether the
# kill hit a block, a checkpoint being written (its temporary file is ignored) or nothing
expect synth_k 0 'outputs in' -- $PRC_MPIRUN -n 2 $P synth -synth_nx 64 -synth_ny 64 -synth_res_km 4 -synth_days 730 \
  -synth_stations 0 -synth_png false -quiet -out_dir "$TMP/k"
K=(-rst_input "$TMP/k/lst.h5" -rst_png false -quiet -rst_block_days 4 -rst_checkpoint_blocks 2)
expect uninterrupted_k 0 'outputs in' -- $P rst "${K[@]}" -out_dir "$TMP/kref"
bad=()
resumed=0
for i in 1 2 3; do
  d=$(awk -v s="$RANDOM" 'BEGIN{srand(s); printf "%.2f", 0.15 + rand() * 0.9}')
  $P rst "${K[@]}" -out_dir "$TMP/k$i" >"$TMP/k$i.out" 2>&1 &
  pid=$!
  sleep "$d"
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  [ -e "$TMP/k$i/rst.checkpoint.h5" ] && resumed=$((resumed + 1))
  if ! timeout 60 $P rst "${K[@]}" -out_dir "$TMP/k$i" >"$TMP/k$i.out2" 2>&1; then bad+=("trial $i (kill after $d s): rerun failed: $(tail -n 3 "$TMP/k$i.out2")"); continue; fi
  if ! out=$(h5diff --exclude-path /provenance "$TMP/kref/rst.h5" "$TMP/k$i/rst.h5" 2>&1); then bad+=("trial $i (kill after $d s): $out"); fi
done
echo "# SIGKILL: $resumed of 3 runs were resumed from a checkpoint"
[ ${#bad[@]} -eq 0 ] && ok sigkill_then_rerun_equals_uninterrupted || fail sigkill_then_rerun_equals_uninterrupted "${bad[@]}"

# 5. SIGUSR1 to a running job (what slurm/stage.sbatch forwards near the time limit)
# (the signal is sent once the first progress line shows the handlers are installed)
$PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/k/lst.h5" -rst_png false -progress_interval 0 -rst_block_days 1 -out_dir "$TMP/u" >"$TMP/u.out" 2>&1 &
pid=$!
for _ in $(seq 500); do grep -q '\[rst\] background' "$TMP/u.out" 2>/dev/null && break; sleep 0.02; done
kill -USR1 $pid 2>/dev/null
wait $pid; rc=$?
if [ $rc -eq 0 ]; then skip sigusr1_checkpoint "the run finished before the signal arrived"
elif [ $rc -eq 99 ] && grep -q 'checkpoint written' "$TMP/u.out"; then
  ok sigusr1_checkpoint
  expect sigusr1_resume 0 'resuming from the checkpoint' -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/k/lst.h5" -rst_png false -quiet \
    -rst_block_days 1 -out_dir "$TMP/u"
  same_products sigusr1_resumed_equals_uninterrupted "$TMP/kref/rst.h5" "$TMP/u/rst.h5" "-p 1e-12"
else fail sigusr1_checkpoint "exit $rc" "$(tail -n 5 "$TMP/u.out")"; fi
