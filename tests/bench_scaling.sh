#!/usr/bin/env bash
# tests/bench_scaling.sh — `make bench-scaling`: strong scaling (fixed problem) and weak
# scaling (fixed work per rank) of synth, rst, vmd and train on RANKS (default "1 2 4"; on this
# 2-core machine 4 ranks oversubscribe the cores — the numbers say so). Each point is the
# median of REPS runs (default 3), the rank counts alternating within a repetition. rst's
# time is split into read / allreduce / compute / write from its PETSc log events
# (-log_view: RSTRead, RSTAllreduce, RSTCompute, RSTWrite; max over ranks), synth's into
# generate / write (SynthLST, SynthLSTWrite), train's into compute / read / allreduce / checkpoint
# (TrainCompute, TrainRead, TrainAllreduce, TrainCheckpoint), vmd's into compute / read / wait
# (agreeing before the collective steps: load imbalance) / write (VMDCompute + VMDDistributed,
# VMDRead, VMDWait, VMDWrite).
# Output: outputs/bench/scaling-<UTC>.txt (+ scaling-latest.txt), outputs/bench/scaling_strong.png,
# scaling_weak.png. The same script runs unchanged inside a Slurm allocation of hundreds of
# ranks: PRC_MPIRUN="srun --mpi=pmix" RANKS="64 128 256 512" SCALE=... (see jobs/scaling/).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
RANKS="${RANKS:-1 2 4}"
REPS="${REPS:-3}"
SCALE="${SCALE:-1}"          # multiplies the problem sizes
B=outputs/bench/scaling-tmp
mkdir -p outputs/bench "$B"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=outputs/bench/scaling-$stamp.txt
raw="$B/raw.txt"; : >"$raw"
ncores=$(nproc --all)

# fixed problems (strong) and per-rank problems (weak)
S_NX=$((256 * SCALE)); S_DAYS=730
W_NX=$((128 * SCALE)); W_DAYS=365
V_ST=$((8 * SCALE)); V_DAYS=365

ev() { # ev EVENT LOG -> max time over ranks of that event (sum over its stage sections)
  awk -v e="$1" '$1 == e && $2 ~ /^[0-9]+$/ { s += $4 } END { printf "%.4f", s + 0 }' "$2"
}
run_timed() { # run_timed LOG CMD... -> seconds (wall)
  local log="$1"; shift
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$log" 2>&1 || { echo "bench_scaling: failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 ))e-3"
}

echo "== inputs"
$PRC_MPIRUN -n "${GEN_RANKS:-2}" bin/precursor synth -synth_nx $S_NX -synth_ny $S_NX -synth_days $S_DAYS -synth_stations 0 -synth_png false -quiet \
  -out_dir "$B/strong_in" >/dev/null
$PRC_MPIRUN -n "${GEN_RANKS:-2}" bin/precursor synth -synth_nx 16 -synth_ny 16 -synth_days $V_DAYS -synth_stations $((V_ST * 4)) \
  -synth_gaps_per_year 0 -synth_png false -quiet -out_dir "$B/vmd_strong_in" >/dev/null
for n in $RANKS; do
  $PRC_MPIRUN -n "${GEN_RANKS:-2}" bin/precursor synth -synth_nx $((W_NX * n)) -synth_ny $W_NX -synth_days $W_DAYS -synth_stations 0 -synth_png false \
    -quiet -out_dir "$B/weak_in_$n" >/dev/null
  $PRC_MPIRUN -n "${GEN_RANKS:-2}" bin/precursor synth -synth_nx 16 -synth_ny 16 -synth_days $V_DAYS -synth_stations $((V_ST * n)) \
    -synth_gaps_per_year 0 -synth_png false -quiet -out_dir "$B/vmd_weak_in_$n" >/dev/null
done
VMD=(-vmd_alpha 1000 -vmd_tol 1e-7 -vmd_max_iter 200 -vmd_kmin 3 -vmd_kmax 3 -vmd_png 0 -quiet)
# train: the demo model on a synthetic set made once; strong = global batch 64 (8 micro-batches
# of 8), weak = 32 samples (4 micro-batches) per rank; T_STEPS optimiser steps, no validation
T_STEPS=$((150 * SCALE))
$PRC_MPIRUN -n "${GEN_RANKS:-2}" bin/precursor train -options_file inputs/train_demo.opts -train_synthetic 8192 -train_max_steps 1 \
  -train_checkpoint_every 0 -train_resume false -quiet -out_dir "$B/train_in" >/dev/null
TR=(-options_file inputs/train_demo.opts -train_data "$B/train_in/trainset.h5" -train_val none -train_synthetic 0 -train_epochs 1000
    -train_max_steps $T_STEPS -train_micro_batch 8 -train_checkpoint_every 0 -train_resume false -train_png false -quiet -log_view)

for r in $(seq "$REPS"); do
  for n in $RANKS; do
    echo "== repetition $r, $n rank(s)"
    L="$B/log"
    # synth strong / weak
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor synth -synth_nx $S_NX -synth_ny $S_NX -synth_days $S_DAYS -synth_stations 0 \
        -synth_png false -quiet -log_view -out_dir "$B/o")
    echo "strong synth $n $t $(ev SynthLST $L) 0 0 $(ev SynthLSTWrite $L)" >>"$raw"
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor synth -synth_nx $((W_NX * n)) -synth_ny $W_NX -synth_days $W_DAYS -synth_stations 0 \
        -synth_png false -quiet -log_view -out_dir "$B/o")
    echo "weak synth $n $t $(ev SynthLST $L) 0 0 $(ev SynthLSTWrite $L)" >>"$raw"
    # rst strong / weak
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor rst -rst_input "$B/strong_in/lst.h5" -rst_png false -quiet -log_view -out_dir "$B/o")
    echo "strong rst $n $t $(ev RSTCompute $L) $(ev RSTRead $L) $(ev RSTAllreduce $L) $(ev RSTWrite $L)" >>"$raw"
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor rst -rst_input "$B/weak_in_$n/lst.h5" -rst_png false -quiet -log_view -out_dir "$B/o")
    echo "weak rst $n $t $(ev RSTCompute $L) $(ev RSTRead $L) $(ev RSTAllreduce $L) $(ev RSTWrite $L)" >>"$raw"
    # vmd strong / weak (compute-bound: records split whole over ranks)
    # (split: compute = own records + all-rank segments, read, wait = load imbalance, write)
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor vmd -vmd_input "$B/vmd_strong_in/stations.h5" "${VMD[@]}" -log_view -out_dir "$B/o")
    echo "strong vmd $n $t $(awk -v a="$(ev VMDCompute $L)" -v b="$(ev VMDDistributed $L)" 'BEGIN {printf "%.4f", a + b}') $(ev VMDRead $L) $(ev VMDWait $L) $(ev VMDWrite $L)" >>"$raw"
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor vmd -vmd_input "$B/vmd_weak_in_$n/stations.h5" "${VMD[@]}" -log_view -out_dir "$B/o")
    echo "weak vmd $n $t $(awk -v a="$(ev VMDCompute $L)" -v b="$(ev VMDDistributed $L)" 'BEGIN {printf "%.4f", a + b}') $(ev VMDRead $L) $(ev VMDWait $L) $(ev VMDWrite $L)" >>"$raw"
    # train strong / weak (split: compute = forward/backward, read, allreduce; write = checkpoints)
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor train "${TR[@]}" -train_batch 64 -out_dir "$B/to")
    echo "strong train $n $t $(ev TrainCompute $L) $(ev TrainRead $L) $(ev TrainAllreduce $L) $(ev TrainCheckpoint $L)" >>"$raw"
    t=$(run_timed $L $PRC_MPIRUN -n $n bin/precursor train "${TR[@]}" -train_batch $((32 * n)) -out_dir "$B/to")
    echo "weak train $n $t $(ev TrainCompute $L) $(ev TrainRead $L) $(ev TrainAllreduce $L) $(ev TrainCheckpoint $L)" >>"$raw"
  done
done

/usr/bin/python3 - "$raw" "$B/plot.txt" "$ncores" "$S_NX" "$S_DAYS" "$W_NX" "$W_DAYS" "$V_ST" >"$out" <<'PY'
import sys, statistics as st
raw, plot, ncores = sys.argv[1], sys.argv[2], int(sys.argv[3])
snx, sdays, wnx, wdays, vst = (int(a) for a in sys.argv[4:9])
rows = {}
for line in open(raw):
    kind, stage, n, *v = line.split()
    rows.setdefault((kind, stage, int(n)), []).append([float(x) for x in v])
print(f"# precursor scaling, {ncores} cores; ranks > {ncores} oversubscribe (their times include waiting for a core)")
print(f"# strong: synth/rst {snx}x{snx} px x {sdays} days; vmd {vst*4} stations x 5 channels x 365 days at 2 h")
print(f"# weak:   synth/rst {wnx}x{wnx} px x {wdays} days per rank; vmd {vst} stations per rank")
print("# train: the demo model (inputs/train_demo.opts), strong = global batch 64, weak = 32 samples per rank, same number of steps")
print("# times: median wall seconds of the whole command (start-up and I/O included); the split columns are")
print("# the max over ranks of PETSc log events (rst: compute/read/allreduce/write; synth: generate/-/-/write)")
print(f"{'kind':6s} {'stage':6s} {'ranks':>5s} {'time_s':>8s} {'speedup':>8s} {'effic':>6s} {'compute':>8s} {'read':>7s} {'reduce':>7s} {'write':>7s}")
with open(plot, "w") as P:
    for kind in ("strong", "weak"):
        for stage in ("synth", "rst", "vmd", "train"):
            pts = sorted(n for (k, s, n) in rows if k == kind and s == stage)
            if not pts: continue
            med = {n: [st.median(c) for c in zip(*rows[(kind, stage, n)])] for n in pts}
            t1 = med[pts[0]][0] * pts[0]  if kind == "strong" else med[pts[0]][0]
            for n in pts:
                t, comp, rd, red, wr = med[n]
                sp = t1 / t if kind == "strong" else (t1 / t) * n
                eff = t1 / (n * t) if kind == "strong" else t1 / t
                print(f"{kind:6s} {stage:6s} {n:5d} {t:8.3f} {sp:8.2f} {eff:6.2f} {comp:8.3f} {rd:7.3f} {red:7.3f} {wr:7.3f}")
                P.write(f"{kind} {stage} {n} {sp if kind == 'strong' else eff}\n")
PY
build/tests/bench/bench_plot "$B/plot.txt" outputs/bench/scaling
cp "$out" outputs/bench/scaling-latest.txt
rm -rf "$B"
cat "$out"
echo "written: $out, outputs/bench/scaling_strong.png, outputs/bench/scaling_weak.png"
