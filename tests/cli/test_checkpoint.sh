# tests/cli/test_checkpoint.sh — stop with a checkpoint (on request or on SIGUSR1) and resume:
# exit status 99, the unfinished output only under its temporary name, and the resumed run
# (even on another rank count) ends with exactly the data of an uninterrupted run.
. tests/cli/lib.sh

A=(-synth_nx 40 -synth_ny 30 -synth_days 200 -synth_block_days 16 -synth_stations 2 -synth_png false -quiet)
expect uninterrupted 0 'outputs in' -- $PRC_MPIRUN -n 2 $P synth "${A[@]}" -out_dir "$TMP/ref"
expect stop_after_3_blocks 99 'checkpoint written at day 48 of 200' -- $PRC_MPIRUN -n 2 $P synth "${A[@]}" -checkpoint_after_blocks 3 -out_dir "$TMP/ck"
[ -e "$TMP/ck/lst.h5" ] && fail no_final_file_while_stopped "lst.h5 exists after the stop" || ok no_final_file_while_stopped
ls "$TMP"/ck/lst.h5.tmp-* >/dev/null 2>&1 && [ -s "$TMP/ck/synth.checkpoint.h5" ] && ok checkpoint_and_partial_file || fail checkpoint_and_partial_file "$(ls "$TMP/ck")"
if h5dump -a /magic "$TMP/ck/synth.checkpoint.h5" 2>/dev/null | grep -q precursor-checkpoint; then ok checkpoint_magic; else fail checkpoint_magic "no magic attribute"; fi
expect other_options_refused 1 'belongs to a run with other options' -- $P synth "${A[@]}" -seed 5 -out_dir "$TMP/ck"
expect resume_on_3_ranks 0 'resuming from the checkpoint .* at day 48 of 200' -- $PRC_MPIRUN -n 3 $P synth "${A[@]}" -out_dir "$TMP/ck"
for f in lst catalog stations truth; do h5same "resumed_${f}_equals_uninterrupted" "$TMP/ref/$f.h5" "$TMP/ck/$f.h5"; done
[ -e "$TMP/ck/synth.checkpoint.h5" ] && fail checkpoint_removed_when_done "checkpoint left" || ok checkpoint_removed_when_done
ls "$TMP"/ck/*.tmp-* >/dev/null 2>&1 && fail no_temp_left "$(ls "$TMP/ck")" || ok no_temp_left

# SIGUSR1 to a running job (what slurm/stage.sbatch forwards near the time limit)
B=(-synth_nx 300 -synth_ny 300 -synth_days 400 -synth_block_days 8 -synth_stations 0 -synth_png false -quiet)
$PRC_MPIRUN -n 2 $P synth "${B[@]}" -out_dir "$TMP/sig" >"$TMP/sig.out" 2>&1 &
pid=$!
for _ in $(seq 300); do ls "$TMP"/sig/lst.h5.tmp-* >/dev/null 2>&1 && break; sleep 0.05; done
kill -USR1 $pid 2>/dev/null
wait $pid; rc=$?
if [ $rc -eq 0 ]; then skip sigusr1_checkpoint "the run finished before the signal arrived"
elif [ $rc -eq 99 ] && grep -q 'checkpoint written' "$TMP/sig.out"; then
  ok sigusr1_checkpoint
  expect sigusr1_resume 0 'resuming from the checkpoint' -- $PRC_MPIRUN -n 2 $P synth "${B[@]}" -out_dir "$TMP/sig"
  expect sigusr1_reference 0 'outputs in' -- $P synth "${B[@]}" -out_dir "$TMP/sigref"
  h5same sigusr1_resumed_equals_uninterrupted "$TMP/sigref/lst.h5" "$TMP/sig/lst.h5"
else fail sigusr1_checkpoint "exit $rc" "$(tail -n 5 "$TMP/sig.out")"; fi
