#!/usr/bin/env bash
# tests/cli/test_train.sh — `precursor train` (docs/NN.md "Training", "Data parallel",
# "Checkpoints"):
#  - same seed and global batch: model.h5 and train_history.h5 bitwise identical on 1, 2, 4
#    ranks (6 micro-batches: uneven on 4 ranks); the fixed-point mean vs a plain double
#    allreduce <= 1e-7 of max |g|; another seed differs; the same with -train_threads 2 and 4
#    (and 2 ranks x 2 threads, dropout on 3 threads, a 2-thread checkpoint resumed on 3 ranks);
#  - the demo model learns the synthetic set (validation accuracy >= 0.8);
#  - stop with a checkpoint (-checkpoint_after_blocks) -> exit 99 -> resume on another rank
#    count -> identical; keep-last-N; SIGUSR1 -> 99 -> resume -> identical;
#  - SIGKILL at random moments, re-run until done -> identical;
#  - a damaged newest checkpoint (bytes overwritten; truncated) -> falls back with a message;
#  - a checkpoint of other options is refused; bad inputs/options fail with a message and no model.h5.
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
M=inputs/models/train_demo.model
A=(train -train_model $M -train_lr 0.01 -train_batch 24 -train_micro_batch 4 -train_epochs 2 -quiet)

# data once (a 1-step run writes the synthetic sets)
expect make_data 0 'synthetic sets ready' -- $P "${A[@]}" -train_synthetic 256 -train_max_steps 1 -out_dir "$TMP/data"
D=(-train_data "$TMP/data/trainset.h5" -train_val "$TMP/data/valset.h5")
h5dump -a /precursor_kind "$TMP/data/trainset.h5" 2>/dev/null | grep -q trainset && ok trainset_kind || fail trainset_kind "no precursor_kind=trainset"

for n in 1 2 4; do
  expect "ranks_$n" 0 'done: 20 steps' 'fixed-point vs double allreduce' -- $PRC_MPIRUN -n $n $P "${A[@]}" "${D[@]}" -train_check_reduce true -out_dir "$TMP/r$n"
done
for n in 2 4; do
  h5same "model_${n}_ranks_equals_1" "$TMP/r1/model.h5" "$TMP/r$n/model.h5"
  h5same "history_${n}_ranks_equals_1" "$TMP/r1/train_history.h5" "$TMP/r$n/train_history.h5"
done
# threads (-train_threads): a rank's micro-batches on T model replicas -> the same bits as
# 1 rank x 1 thread (1 x 2, 1 x 4 with 6 micro-batches: uneven; 2 ranks x 2 threads: 3 each)
expect threads_2 0 'on 1 rank\(s\) x 2 thread' 'done: 20 steps' -- $P "${A[@]}" "${D[@]}" -train_threads 2 -out_dir "$TMP/t2"
expect threads_4 0 'done: 20 steps' -- $P "${A[@]}" "${D[@]}" -train_threads 4 -out_dir "$TMP/t4"
expect ranks_2_threads_2 0 'on 2 rank\(s\) x 2 thread' 'done: 20 steps' -- $PRC_MPIRUN -n 2 $P "${A[@]}" "${D[@]}" -train_threads 2 -out_dir "$TMP/t22"
for t in t2 t4 t22; do
  h5same "model_${t}_equals_1" "$TMP/r1/model.h5" "$TMP/$t/model.h5"
  h5same "history_${t}_equals_1" "$TMP/r1/train_history.h5" "$TMP/$t/train_history.h5"
done
expect threads_0_refused 2 'train_threads' -- $P "${A[@]}" "${D[@]}" -train_threads 0 -out_dir "$TMP/t0"
# dropout: masks drawn per (seed, step, micro-batch) -> still bitwise on 1, 2, 4 ranks, and a
# stop/resume gives the same model; the masks are live (p = 0.3 changes the model vs p = 0)
sed 's/^fc  *fc  *gap /dr  dropout gap p=${P_DROP:-0.3}\nfc  fc  dr /' $M >"$TMP/drop.model"
grep -q dropout "$TMP/drop.model" && ok dropout_spec || fail dropout_spec "$(cat "$TMP/drop.model")"
DR=(train -train_model "$TMP/drop.model" -train_lr 0.01 -train_batch 24 -train_micro_batch 4 -train_epochs 2 -quiet "${D[@]}")
for n in 1 2 4; do expect "dropout_ranks_$n" 0 'done: 20 steps' -- $PRC_MPIRUN -n $n $P "${DR[@]}" -out_dir "$TMP/dr$n"; done
h5same dropout_model_2_ranks_equals_1 "$TMP/dr1/model.h5" "$TMP/dr2/model.h5"
h5same dropout_model_4_ranks_equals_1 "$TMP/dr1/model.h5" "$TMP/dr4/model.h5"
expect dropout_threads_3 0 'done: 20 steps' -- $P "${DR[@]}" -train_threads 3 -out_dir "$TMP/drt3"
h5same dropout_model_3_threads_equals_1 "$TMP/dr1/model.h5" "$TMP/drt3/model.h5"
expect dropout_stop 99 'checkpoint' -- $PRC_MPIRUN -n 2 $P "${DR[@]}" -checkpoint_after_blocks 7 -out_dir "$TMP/drs"
expect dropout_resume_4 0 'resuming from the checkpoint' -- $PRC_MPIRUN -n 4 $P "${DR[@]}" -out_dir "$TMP/drs"
h5same dropout_resumed_equals_straight "$TMP/dr1/model.h5" "$TMP/drs/model.h5"
expect dropout_p0 0 'done' -- $P "${DR[@]}" -train_defines P_DROP=0 -out_dir "$TMP/dr0"
if h5diff --exclude-path /provenance "$TMP/dr1/model.h5" "$TMP/dr0/model.h5" >/dev/null 2>&1; then fail dropout_live "p = 0.3 and p = 0 gave the same model"
else ok dropout_live; fi
d=$(grep -o 'largest |difference| = [0-9.e+-]*' "$TMP/ranks_2.out" | awk '{print $4}')
awk -v d="$d" 'BEGIN { exit !(d != "" && d <= 1e-7) }' && ok fixed_point_vs_double || fail fixed_point_vs_double "difference '$d' > 1e-7 of max |g|"
expect other_seed 0 'done' -- $P "${A[@]}" "${D[@]}" -seed 7 -out_dir "$TMP/seed7"
h5diff -q --exclude-path /provenance "$TMP/r1/model.h5" "$TMP/seed7/model.h5" >/dev/null 2>&1 && fail other_seed_differs "same parameters" || ok other_seed_differs
for f in train_loss train_accuracy; do [ -s "$TMP/r1/$f.png" ] && ok "png_$f" || fail "png_$f" "missing"; done
# per-tensor parameters with shapes, history lengths
if h5dump -H "$TMP/r1/model.h5" | grep -q 'DATASET "c1.weight"' && h5dump -H -d /params/c1.weight "$TMP/r1/model.h5" | grep -q '( 8, 1, 5 )'; then ok model_tensors; else fail model_tensors "no /params/c1.weight (8,1,5)"; fi
h5dump -H -d /step_loss "$TMP/r1/train_history.h5" | grep -q '( 20 )' && h5dump -H -d /val_accuracy "$TMP/r1/train_history.h5" | grep -q '( 2 )' && ok history_shapes || fail history_shapes "step_loss (20), val_accuracy (2) expected"

# learning: the demo model on the synthetic set
expect learns 0 'validation loss' -- $PRC_MPIRUN -n 2 $P "${A[@]}" -train_synthetic 512 -train_epochs 4 -out_dir "$TMP/learn"
acc=$(grep -o 'validation loss [0-9.]* accuracy [0-9.]*' "$TMP/learns.out" | tail -n 1 | awk '{print $5}')
awk -v a="$acc" 'BEGIN { exit !(a != "" && a >= 0.8) }' && ok learns_accuracy || fail learns_accuracy "validation accuracy '$acc' < 0.8"

# stop with a checkpoint, resume on another rank count
C=("${A[@]}" "${D[@]}" -train_checkpoint_every 3 -train_keep 2)
expect stop_at_7 99 'checkpoint written at step 7 of 20' -- $PRC_MPIRUN -n 2 $P "${C[@]}" -checkpoint_after_blocks 7 -out_dir "$TMP/ck"
[ -e "$TMP/ck/model.h5" ] && fail no_model_while_stopped "model.h5 exists" || ok no_model_while_stopped
n=$(ls "$TMP/ck/checkpoints" | grep -c '^ckpt_.*\.h5$'); [ "$n" = 2 ] && ok keep_last_2 || fail keep_last_2 "$(ls "$TMP/ck/checkpoints")"
expect other_options_refused 1 'belongs to a run with other options' -- $P "${C[@]}" -train_lr 0.02 -out_dir "$TMP/ck"
expect resume_on_4_ranks 0 'resuming from the checkpoint .*ckpt_000000007.h5 at step 7' -- $PRC_MPIRUN -n 4 $P "${C[@]}" -out_dir "$TMP/ck"
h5same resumed_model_equals_straight "$TMP/r1/model.h5" "$TMP/ck/model.h5"
h5same resumed_history_equals_straight "$TMP/r1/train_history.h5" "$TMP/ck/train_history.h5"
expect resume_on_1_rank_from_7 99 'resuming .* at step 7' -- bash -c "rm -rf '$TMP/ck1' && mkdir -p '$TMP/ck1' && $PRC_MPIRUN -n 2 $P ${C[*]} -checkpoint_after_blocks 7 -out_dir '$TMP/ck1' >/dev/null 2>&1; $P ${C[*]} -checkpoint_after_blocks 5 -out_dir '$TMP/ck1'"
expect resume_again_3_ranks 0 'at step 12' -- $PRC_MPIRUN -n 3 $P "${C[@]}" -out_dir "$TMP/ck1"
h5same twice_resumed_equals_straight "$TMP/r1/model.h5" "$TMP/ck1/model.h5"
# a checkpoint of a 2-thread run resumed on 3 ranks x 1 thread (threads do not change the numbers)
expect threads_stop_at_7 99 'checkpoint written at step 7 of 20' -- $P "${C[@]}" -train_threads 2 -checkpoint_after_blocks 7 -out_dir "$TMP/ckt"
expect threads_resume_3_ranks 0 'resuming from the checkpoint .* at step 7' -- $PRC_MPIRUN -n 3 $P "${C[@]}" -out_dir "$TMP/ckt"
h5same threads_resumed_equals_straight "$TMP/r1/model.h5" "$TMP/ckt/model.h5"

# damaged newest checkpoint: falls back to the previous one, says so, same result
rm -rf "$TMP/bad"
$PRC_MPIRUN -n 2 $P "${C[@]}" -checkpoint_after_blocks 8 -out_dir "$TMP/bad" >/dev/null 2>&1
f=$TMP/bad/checkpoints/ckpt_000000008.h5
sz=$(stat -c %s "$f"); dd if=/dev/urandom of="$f" bs=1 seek=$((sz / 2)) count=64 conv=notrunc 2>/dev/null
expect damaged_falls_back 0 'ckpt_000000008.h5 is unusable .*falling back to the previous one' 'resuming from the checkpoint .*ckpt_000000006.h5 at step 6' -- $PRC_MPIRUN -n 2 $P "${C[@]}" -out_dir "$TMP/bad"
h5same damaged_fallback_equals_straight "$TMP/r1/model.h5" "$TMP/bad/model.h5"
rm -rf "$TMP/trunc"
$P "${C[@]}" -checkpoint_after_blocks 8 -out_dir "$TMP/trunc" >/dev/null 2>&1
truncate -s 1000 "$TMP/trunc/checkpoints/ckpt_000000008.h5"
expect truncated_falls_back 0 'ckpt_000000008.h5 is unusable' 'at step 6' -- $P "${C[@]}" -out_dir "$TMP/trunc"
h5same truncated_fallback_equals_straight "$TMP/r1/model.h5" "$TMP/trunc/model.h5"
expect resume_false_starts_over 0 'done: 20 steps' -- $P "${C[@]}" -train_resume false -out_dir "$TMP/trunc"
grep -q resuming "$TMP/resume_false_starts_over.out" && fail resume_false_no_resume "it resumed" || ok resume_false_no_resume

# SIGUSR1 to a running job; SIGKILL at random moments (a bigger run: ~1-2 s; the killed
# runs are single processes so that SIGKILL hits the rank, and resume on 1 rank what 2 ranks did)
B=(train -train_model $M -train_defines LEN=512 -train_lr 0.01 -train_batch 16 -train_micro_batch 4 -train_epochs 2 -quiet -train_checkpoint_every 5)
expect big_data 0 'synthetic sets ready' -- $P "${B[@]}" -train_synthetic 1024 -train_max_steps 1 -out_dir "$TMP/bigdata"
BD=(-train_data "$TMP/bigdata/trainset.h5" -train_val "$TMP/bigdata/valset.h5")
t0=$(date +%s.%N)
expect big_reference 0 'done: 128 steps' -- $PRC_MPIRUN -n 2 $P "${B[@]}" "${BD[@]}" -out_dir "$TMP/bigref"
dur=$(echo "$(date +%s.%N) - $t0" | bc)
$PRC_MPIRUN -n 2 $P "${B[@]}" "${BD[@]}" -out_dir "$TMP/sig" >"$TMP/sig.out" 2>&1 &
pid=$!
sleep "$(awk -v d="$dur" 'BEGIN { printf "%.2f", d / 2 }')"
kill -USR1 $pid 2>/dev/null
wait $pid; rc=$?
if [ $rc -eq 0 ]; then skip sigusr1_checkpoint "the run finished before the signal arrived"
elif [ $rc -eq 99 ] && grep -q 'checkpoint written at step' "$TMP/sig.out"; then
  ok sigusr1_checkpoint
  expect sigusr1_resume 0 'resuming from the checkpoint' -- $PRC_MPIRUN -n 2 $P "${B[@]}" "${BD[@]}" -out_dir "$TMP/sig"
  h5same sigusr1_resumed_equals_straight "$TMP/bigref/model.h5" "$TMP/sig/model.h5"
else fail sigusr1_checkpoint "status $rc" "$(tail -n 5 "$TMP/sig.out")"; fi

# Up to 3 SIGKILLs at random moments, then one run left alone (the requeued job) that must
# finish: a kill can land anywhere, also after the outputs were written, and the loop never
# depends on a kill leaving time to make progress.
killed=0 tries=0 rc=1
rm -rf "$TMP/kill"
while [ $killed -lt 3 ] && [ $tries -lt 12 ]; do
  tries=$((tries + 1))
  d=$(awk -v d="$dur" -v r=$RANDOM 'BEGIN { printf "%.3f", 0.1 + (r / 32767.0) * 0.9 * d }')
  { $P "${B[@]}" "${BD[@]}" -out_dir "$TMP/kill" >>"$TMP/kill.log" 2>&1; } 2>/dev/null &  # one process: SIGKILL reaches the rank itself
  pid=$!
  ( sleep "$d"; kill -KILL $pid 2>/dev/null ) &
  k=$!
  wait $pid; rc=$?
  kill $k 2>/dev/null; wait $k 2>/dev/null
  if [ $rc -eq 0 ]; then
    [ $killed -gt 0 ] && break
    # finished before the first kill (a fast machine): start over with kills twice as early
    rm -rf "$TMP/kill"; dur=$(awk -v d="$dur" 'BEGIN { printf "%.3f", d / 2 }')
    continue
  fi
  killed=$((killed + 1))
  sleep 0.2
done
if [ $killed -gt 0 ] && [ $rc -ne 0 ]; then
  echo "--- the requeued run, not killed" >>"$TMP/kill.log"
  $P "${B[@]}" "${BD[@]}" -out_dir "$TMP/kill" >>"$TMP/kill.log" 2>&1; rc=$?
fi
if [ $rc -eq 0 ] && [ $killed -gt 0 ]; then
  ok "killed_then_finished"
  h5same killed_resumed_equals_straight "$TMP/bigref/model.h5" "$TMP/kill/model.h5"
  h5same killed_history_equals_straight "$TMP/bigref/train_history.h5" "$TMP/kill/train_history.h5"
elif [ $killed -eq 0 ]; then skip kill_resume "every run finished before the kill"
else fail kill_resume "the run after $killed kills ended with status $rc" "$(tail -n 5 "$TMP/kill.log")"; fi

# bad inputs and options: a message, non-zero status, no model.h5
expect missing_data 1 'nope.h5' -- $P "${A[@]}" -train_data "$TMP/nope.h5" -out_dir "$TMP/e1"
expect wrong_shape 1 'shape \( 1 64 \).*\( 1 32 \)' -- $P "${A[@]}" "${D[@]}" -train_defines LEN=32 -out_dir "$TMP/e2"
expect not_a_trainset 1 'is not a training set' -- $P "${A[@]}" -train_data "$TMP/r1/model.h5" -out_dir "$TMP/e3"
expect micro_not_dividing 2 'must divide' -- $P "${A[@]}" "${D[@]}" -train_micro_batch 5 -out_dir "$TMP/e4"
expect bad_optimizer 2 'expected sgd, adam or adamw' -- $P "${A[@]}" "${D[@]}" -train_optimizer rmsprop -out_dir "$TMP/e5"
expect nesterov_no_momentum 2 'nesterov' -- $P "${A[@]}" "${D[@]}" -train_optimizer sgd -train_momentum 0 -train_nesterov true -out_dir "$TMP/e6"
expect missing_spec 1 'nope.model' -- $P "${A[@]}" -train_model "$TMP/nope.model" "${D[@]}" -out_dir "$TMP/e7"
if /usr/bin/python3 - "$TMP/data/trainset.h5" "$TMP/nan.h5" "$TMP/huge.h5" <<'EOF'
import shutil, sys, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    x = f["x"]; v = x[37]; v[0, 5] = np.nan; x[37] = v
    y = f["y"]; y[200] = 9
shutil.copy(sys.argv[1], sys.argv[3])
with h5py.File(sys.argv[3], "r+") as f:
    f["x"][...] = f["x"][...] * np.float32(3e37)
EOF
then
  expect nan_sample 1 'sample (37|200) has a non-finite value or a label outside' -- $PRC_MPIRUN -n 2 $P "${A[@]}" -train_data "$TMP/nan.h5" -out_dir "$TMP/e8"
  expect overflow_is_an_error 1 'non-finite (loss|gradient|batch-norm)' -- $P "${A[@]}" -train_data "$TMP/huge.h5" -out_dir "$TMP/e9"
else skip nan_sample "h5py missing"; fi
bad=""
for e in e1 e2 e3 e4 e5 e6 e7 e8 e9; do [ -e "$TMP/$e/model.h5" ] && bad="$bad $e"; done
[ -z "$bad" ] && ok no_output_on_errors || fail no_output_on_errors "model.h5 in$bad"
