#!/usr/bin/env bash
# test_online.sh — `precursor online` (paper 000's tree-structured online learning, issue 7) and
# `precursor tree`: the whole state (tree structure, every node's parameters and buffers,
# memories, accuracies) bitwise identical on 1, 2 and 4 ranks; stopped after a window and resumed
# on another rank count = uninterrupted; a flagged window clones the leaf under a new root router
# (structure, router size and leaf memories checked in numpy); the KD/LF terms change the result
# (lambda = 0 differs from lambda = 1); fine-tuning on fresh samples of the same simulation helps
# (no loss, >= 10 points gained); tree display and comparison picture; bad inputs.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
expect synth 0 'stations' -- $P synth -seed 5 -synth_nx 16 -synth_ny 16 -synth_res_km 4 -synth_days 200 -synth_stations 2 -synth_png false -quiet -out_dir "$TMP/s"
A=(-em_input "$TMP/s/stations.h5" -em_classes a,b,c -em_class_amp 0.5,1,3 -em_per_class 40 -em_len 64 -em_stride 50 -em_segments 60 -em_gap_max 40
   -em_seg_len_min 5 -em_seg_len_max 30 -em_snr_db 0 -em_val_fraction 0.25 -em_channels geomagnetic_field,ulf_field -quiet -em_png false)
expect init_set 0 'trainset' -- $P em-samples "${A[@]}" -seed 1 -em_seg_smooth 6 -out_dir "$TMP/i"
expect stream_set 0 'trainset' -- $P em-samples "${A[@]}" -seed 2 -em_station S002 -em_seg_smooth 1 -out_dir "$TMP/n"
O=(-online_defines CH=2,LEN=64,AUX=2 -online_init "$TMP/i/trainset.h5" -online_init_test "$TMP/i/valset.h5" -online_stream "$TMP/n/trainset.h5"
   -online_stream_test "$TMP/n/valset.h5" -online_window 30 -online_windows 3 -online_epochs_init 4 -online_epochs_inc 2 -online_epochs_router 3
   -online_batch 16 -online_micro_batch 4 -online_flag 1 -online_alpha 0.2 -online_beta 0.99 -seed 9 -online_png false)
for np in 1 2 4; do
  expect "np$np" 0 'window 1: leaf 0 .*flagged -> clone' 'after 90 online samples' -- $PRC_MPIRUN -n $np $P online "${O[@]}" -out_dir "$TMP/o$np"
done
cmp_state() { # NAME A B: equal except wall-clock times and provenance
  local out
  if out=$(h5diff --exclude-path /provenance --exclude-path /timing "$2" "$3" 2>&1); then ok "$1"; else fail "$1" "$(echo "$out" | head -n 10)"; fi
}
cmp_state np1_vs_np2 "$TMP/o1/online_tree.h5" "$TMP/o2/online_tree.h5"
cmp_state np1_vs_np4 "$TMP/o1/online_tree.h5" "$TMP/o4/online_tree.h5"
# stop after window 0 on 2 ranks, resume on 3
expect stop 99 'stopping after window 0' -- $PRC_MPIRUN -n 2 $P online "${O[@]}" -online_stop_after 0 -out_dir "$TMP/r"
expect resume 0 'resuming from .* after window 1 of 3' -- $PRC_MPIRUN -n 3 $P online "${O[@]}" -out_dir "$TMP/r"
cmp_state resume_equals_uninterrupted "$TMP/o1/online_tree.h5" "$TMP/r/online_tree.h5"
expect finished 0 'finished run of these options: nothing to do' -- $P online "${O[@]}" -out_dir "$TMP/r"
# the tree file: structure, memories, accuracies in range
if out=$(/usr/bin/python3 - "$TMP/o1/online_tree.h5" <<'PY' 2>&1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); t = f["tree"]
par, leaf, nout, nch, ch = t["parent"][:], t["leaf"][:], t["nout"][:], t["nchildren"][:], t["children"][:].reshape(-1, 16)
root = f.attrs["root"]
assert par[root] == -1 and leaf[root] == 0, "the flagged clone must have put a router at the root"
for i in range(len(par)):
    for c in ch[i, :nch[i]]:
        assert par[c] == i
    if not leaf[i]:
        assert nout[i] == nch[i] and len(t[f"params_{i}"]) == len(t[f"params_{ch[i,0]}"]) - 65 * (3 - nch[i]), "router size"
    else:
        assert nout[i] == 3
mem = sum(t["memory_size"][:][leaf == 1])
assert mem == 90 + 90, f"leaf memories hold {mem} samples, expected 90 initial + 90 online"
r = f["results"]
for k in r:
    v = r[k][:]
    assert len(v) == 4 and np.isfinite(v).all(), k
    if k.startswith("acc"): assert ((v >= 0) & (v <= 1)).all(), k
print(f"{len(par)} nodes, root router with {nch[root]} children; tree accuracy all {np.round(r['acc_tree_all'][:], 3).tolist()}")
PY
); then ok tree_file; echo "  # $out"; else fail tree_file "$out"; fi
# the KD / less-forgetting terms change the result (the same run with lambda1 = lambda2 = 0 differs)
expect nokd 0 'after 90 online samples' -- $PRC_MPIRUN -n 2 $P online "${O[@]}" -online_lambda1 0 -online_lambda2 0 -online_compare false -out_dir "$TMP/k"
if h5diff -q --exclude-path /provenance --exclude-path /timing "$TMP/o1/online_tree.h5" "$TMP/k/online_tree.h5" >/dev/null 2>&1; then
  fail kd_matters "lambda1 = lambda2 = 0 gave the same tree as lambda = 1"; else ok kd_matters; fi
expect tree_show 0 'router .* children' 'cloned in window 1' 'history' -- $P tree -tree_input "$TMP/o1/online_tree.h5,$TMP/k/online_tree.h5" -tree_labels kd,nokd -out_dir "$TMP/t"
[ -s "$TMP/t/tree_compare.png" ] && ok tree_png || fail tree_png "no tree_compare.png"
# fine-tuning must help on fresh samples of the SAME simulation (another seed): the leaf is fine-
# tuned on 3 windows of 100 (alpha 0, beta 1, CE + KD + LF, frozen batch norm). Before the frozen
# batch norm normalised with the running statistics (it used each 8-sample micro-batch's statistics
# against an eval-mode teacher) this gained 2.5 points here and lost up to 30 on the paper-size
# runs (docs/EM.md); now: no loss on either test set, and at least 10 points on both together.
F=(-options_file inputs/em_samples.opts -em_input "$TMP/s/stations.h5" -em_per_class 100 -em_png false -quiet)
expect same_init 0 'trainset' -- $P em-samples "${F[@]}" -out_dir "$TMP/si"
expect same_fresh 0 'trainset' -- $P em-samples "${F[@]}" -seed 999 -out_dir "$TMP/sf"
expect same_finetune 0 'after 300 online samples' -- $PRC_MPIRUN -n 2 $P online -options_file inputs/online.opts -online_init "$TMP/si/trainset.h5" \
  -online_init_test "$TMP/si/valset.h5" -online_stream "$TMP/sf/trainset.h5" -online_stream_test "$TMP/sf/valset.h5" -online_alpha 0 -online_beta 1 \
  -online_windows 3 -online_window 100 -online_epochs_init 10 -online_compare false -online_png false -out_dir "$TMP/so"
if out=$(/usr/bin/python3 - "$TMP/so/online_tree.h5" <<'PY' 2>&1
import sys, h5py
r = h5py.File(sys.argv[1], "r")["results"]
o, n, a = r["acc_tree_old"][:], r["acc_tree_new"][:], r["acc_tree_all"][:]
msg = f"old {o[0]:.3f} -> {o[-1]:.3f}, new {n[0]:.3f} -> {n[-1]:.3f}, all {a[0]:.3f} -> {a[-1]:.3f}"
assert o[-1] >= o[0] - 0.011 and n[-1] >= n[0] - 0.011, "fine-tuning on same-distribution data lost accuracy: " + msg
assert a[-1] >= a[0] + 0.10, "fine-tuning on 300 same-distribution samples gained less than 10 points: " + msg
print(msg)
PY
); then ok finetune_helps; echo "  # $out"; else fail finetune_helps "$out"; fi
# bad input
expect bad_missing 1 'nope.h5' -- $P online "${O[@]}" -online_init "$TMP/nope.h5" -out_dir "$TMP/b1"
expect bad_short 1 'fewer than -online_windows 9' -- $P online "${O[@]}" -online_windows 9 -out_dir "$TMP/b2"
expect bad_shape 1 'input shape' -- $P online "${O[@]}" -online_defines CH=3,LEN=64,AUX=2 -out_dir "$TMP/b3"
expect bad_micro 2 'must divide' -- $P online "${O[@]}" -online_micro_batch 5 -out_dir "$TMP/b4"
expect bad_ab 2 'online_alpha must not exceed' -- $P online "${O[@]}" -online_alpha 0.9 -online_beta 0.5 -out_dir "$TMP/b5"
expect bad_flag 2 "online_flag 'x'" -- $P online "${O[@]}" -online_flag x -out_dir "$TMP/b6"
expect bad_tree_kind 1 'not an online-learning tree' -- $P tree -tree_input "$TMP/i/trainset.h5" -out_dir "$TMP/b7"
if ls "$TMP"/b[1-6]/online_tree.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b*)"; else ok no_output; fi
