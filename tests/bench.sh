#!/usr/bin/env bash
# tests/bench.sh — `make bench`: performance of precursor's stages and parallel wrappers,
# each against a peer where one exists, in the same run, alternating sides REPS times and
# reporting medians and ratios (the machines are noisy: +-25 % between runs).
# Writes outputs/bench/bench-<UTC time>.txt and outputs/bench/latest.txt; docs/BENCHMARKS.md
# summarises a run. Sizes: BENCH_SCALE=small|medium (default medium).
# BENCH_SECTIONS="synth par vmd" (default all) selects sections; VMD_N="576 100076 1000000",
# VMD_N1 (one rank, C only; default 10000000), VMD_NDIST (2 ranks; default 10000000).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
# Both sides (precursor and the numpy/scipy peer) load the same OpenBLAS with the same
# settings. OPENBLAS_CORETYPE is left to OpenBLAS's own detection unless the caller sets it
# (SKYLAKEX helps on Sapphire Rapids but is an illegal instruction on CPUs without AVX-512).
REPS="${REPS:-3}"
case "${BENCH_SCALE:-medium}" in
  small) NX=128; ND=120; NFFT=$((1 << 18)); NSVD=400; RNX=128; RY=2; RENX=128; REY=2 ;;
  *)     NX=384; ND=365; NFFT=$((1 << 20)); NSVD=1000; RNX=512; RY=3; RENX=512; REY=3 ;;
esac
# RST (docs/PERFORMANCE.md): in-memory kernels on RNX^2 px x RY years (RST_YEARS overrides:
# RST_YEARS=10 is the issue's 10 y x 365 x 512^2 = 3.8 GB), end to end on RENX^2 x REY years.
RY="${RST_YEARS:-$RY}"
RST_BENCH="${RST_BENCH:-1}"   # 0 skips the RST part
mkdir -p outputs/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=outputs/bench/bench-$stamp.txt
raw=$(mktemp); trap 'rm -f "$raw"; rm -rf outputs/bench/tmp' EXIT
{
  echo "# precursor benchmarks $stamp  version $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo "# host $(hostname) cores $(nproc --all) cpu '$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')'"
  echo "# OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto} OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS reps=$REPS (medians)"
} >"$out"

SECTIONS=" ${BENCH_SECTIONS:-synth par vmd} "
if [[ $SECTIONS == *" synth "* ]]; then
echo "== synth: ${NX}x${NX} px x $ND days, 1 vs 2 ranks (strong scaling), $REPS alternations"
for r in $(seq "$REPS"); do
  for np in 1 2; do
    t0=$(date +%s%N)
    $PRC_MPIRUN -n $np bin/precursor synth -synth_nx $NX -synth_ny $NX -synth_days $ND -synth_stations 16 \
      -synth_png false -quiet -out_dir outputs/bench/tmp >/dev/null
    t1=$(date +%s%N)
    echo "synth_total np=$np seconds=$(( (t1 - t0) / 1000000 ))e-3" | tee -a "$raw"
  done
done
fi
if [[ $SECTIONS == *" par "* ]]; then
echo "== parallel wrappers vs numpy/scipy (same OpenBLAS), $REPS alternations"
for r in $(seq "$REPS"); do
  for np in 1 2; do $PRC_MPIRUN -n $np build/tests/bench/bench_par $NFFT $NSVD 5 | sed "s/^/precursor_/" | tee -a "$raw"; done
  /usr/bin/python3 tests/bench/peer_numpy.py $NFFT $NSVD 5 | sed "s/^/numpy_/" | tee -a "$raw"
done
fi
vraw=$(mktemp)
if [[ $SECTIONS == *" vmd "* ]]; then
  # VMD (docs/VMD.md "Speed"): K = 5, alpha 2000 (vmdpy's) = 1000 (ours), tau 0, uniform init,
  # 20 iterations per run both sides (equal work), then the C kernel to tol 1e-7.
  echo "== vmd: C kernel vs numpy peer, one process each, $REPS alternations"
  for r in $(seq "$REPS"); do
    for n in ${VMD_N:-576 100076 1000000}; do
      build/tests/bench/bench_vmd $n 5 1000 1e-7 20 1 | sed "s/^/c_/" | tee -a "$vraw"
      /usr/bin/python3 tests/bench/vmd_numpy_peer.py $n 5 1000 20 1 | sed "s/^/numpy_/" | tee -a "$vraw"
    done
  done
  build/tests/bench/bench_vmd ${VMD_N1:-10000000} 5 1000 0 20 1 | sed "s/^/c1_/" | tee -a "$vraw"
  for np in 1 2; do
    $PRC_MPIRUN -n $np build/tests/bench/bench_vmd_dist ${VMD_NDIST:-10000000} 5 1000 20 | tee -a "$vraw"
  done
fi

if [ "$RST_BENCH" = 1 ]; then
  echo "== RST kernels in memory: ${RNX}^2 px x $RY years, C (1, 2 ranks; blocks: whole stack, 32 days) vs numpy (chunks of 32 days), $REPS alternations"
  for r in $(seq "$REPS"); do
    for np in 1 2; do
      for blk in 0 32; do $PRC_MPIRUN -n $np build/tests/bench/bench_rst $RNX $RNX $RY $blk 1 | tee -a "$raw"; done
    done
    /usr/bin/python3 tests/bench/rst_numpy_peer.py $RNX $RNX $RY 32 1 | tee -a "$raw"
  done
  echo "== memory bandwidth (the bound of the streamed kernels): 1 GB per rank, 1 and 2 ranks"
  for np in 1 2; do $PRC_MPIRUN -n $np build/tests/bench/bench_membw 1024 5 | sed 's/^membw/rst_membw/' | tee -a "$raw"; done
  echo "== RST kernels: the scalar _ref kernels (before), 1 rank, 1 year, once"
  $PRC_MPIRUN -n 1 build/tests/bench/bench_rst $RNX $RNX 1 0 1 ref | tee -a "$raw"
  $PRC_MPIRUN -n 1 build/tests/bench/bench_rst $RNX $RNX 1 0 1 | sed 's/variant=fast/variant=fast1y/' | tee -a "$raw"
  echo "== RST weak scaling: ${RNX} x $((RNX / 2))*np px per run, $RY years, whole-stack blocks (4 ranks oversubscribe 2 cores)"
  for np in 1 2 4; do
    $PRC_MPIRUN -n $np build/tests/bench/bench_rst $RNX $((RNX / 2 * np)) $RY 0 1 | sed 's/variant=fast/variant=weak/' | tee -a "$raw"
  done
  echo "== RST end to end: synth ${RENX}^2 x $REY years and x 1 year, then precursor rst on 1, 2, 4 ranks"
  mkdir -p outputs/bench/tmp
  for y in 1 $REY; do
    d=outputs/bench/tmp/rst${y}y
    $PRC_MPIRUN -n 2 bin/precursor synth -synth_nx $RENX -synth_ny $RENX -synth_days $((365 * y)) -synth_stations 1 \
      -synth_png false -quiet -out_dir $d >/dev/null
    sz=$(stat -c %s $d/lst.h5)
    echo "rst_file years=$y bytes=$sz" | tee -a "$raw"
    for r in $(seq "$REPS"); do
      t0=$(date +%s%N); dd if=$d/lst.h5 of=/dev/null bs=16M 2>/dev/null; t1=$(date +%s%N)
      echo "rst_ddread years=$y np=1 seconds=$(( (t1 - t0) / 1000 ))e-6 (warm page cache)" | tee -a "$raw"
      for np in 1 2 4; do
        [ "$y" = "$REY" ] || [ "$np" = 2 ] || continue
        t0=$(date +%s%N)
        $PRC_MPIRUN -n $np /usr/bin/time -f "rst_maxrss years=$y np=$np kb=%M" bin/precursor rst -rst_input $d/lst.h5 \
          -rst_png false -quiet -out_dir $d/rst >/dev/null 2>"$raw.rss"
        t1=$(date +%s%N)
        grep rst_maxrss "$raw.rss" | tee -a "$raw"
        echo "rst_e2e years=$y np=$np seconds=$(( (t1 - t0) / 1000 ))e-6" | tee -a "$raw"
      done
    done
  done
  rm -f "$raw.rss"
fi

[[ $SECTIONS == *" synth "* && $SECTIONS == *" par "* ]] && /usr/bin/python3 - "$raw" "$NX" "$ND" >>"$out" <<'PY'
import sys, re, statistics as st
raw, nx, nd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = {}
for line in open(raw):
    m = re.match(r"(\S+) n?=?(\S*)\s*np=(\d+) seconds=(\S+)", line.replace(" n=", " "))
    if not m: continue
    name, _, np_, s = m.groups()
    t.setdefault((name, int(np_)), []).append(float(s))
med = {k: st.median(v) for k, v in t.items()}
pxd = nx * nx * nd
print(f"\n## synth ({nx}x{nx} px x {nd} days = {pxd/1e6:.1f} M pixel-days, 16 stations; wall time incl. start-up and I/O)")
for np_ in (1, 2):
    s = med[("synth_total", np_)]
    print(f"synth np={np_}: {s:.2f} s  ({pxd/s/1e6:.2f} M pixel-days/s)")
print(f"synth speed-up 1 -> 2 ranks: {med[('synth_total',1)]/med[('synth_total',2)]:.2f}x")
print("\n## kernels: precursor (np=1, np=2) vs peer (numpy/scipy, one process); ratio = peer / precursor (>1: precursor faster)")
for k in ("fft1d_forward", "svd_values", "lu_solve"):
    peer = med[("numpy_" + k, 1)]
    for np_ in (1, 2):
        mine = med[("precursor_" + k, np_)]
        print(f"{k:14s} np={np_}: precursor {mine:.4e} s   peer {peer:.4e} s   ratio {peer/mine:.2f}")
PY
[ "$RST_BENCH" = 1 ] && /usr/bin/python3 tests/bench/rst_report.py "$raw" >>"$out"
[[ $SECTIONS == *" vmd "* ]] && /usr/bin/python3 - "$vraw" >>"$out" <<'PY'
import sys, re, statistics as st
t, extra = {}, []
for line in open(sys.argv[1]):
    m = re.match(r"(c|numpy)_vmd_iter n=(\d+) np=1 seconds=(\S+)", line)
    if m: t.setdefault((m[1], int(m[2])), []).append(float(m[3])); continue
    if line.startswith(("c_vmd_conv", "c_vmd_mem", "c1_vmd_iter", "c1_vmd_mem", "vmd_dist")): extra.append(line.strip())
print("\n## vmd: K = 5, alpha 2000 (vmdpy convention), tau 0; ms per ADMM iteration over 20-iteration runs "
      "(incl. the forward FFT and K inverse FFTs); ratio = numpy / C (> 1: C faster)")
for n in sorted({k[1] for k in t}):
    c, p = st.median(t[("c", n)]), st.median(t[("numpy", n)])
    print(f"vmd n={n:>9d}: C {1e3*c:9.3f} ms/iter   numpy {1e3*p:9.3f} ms/iter   ratio {p/c:6.1f}")
seen = set()
for e in extra:
    k = e.split(" seconds")[0].split(" vmhwm")[0]
    if k not in seen or e.startswith("vmd_dist"): seen.add(k); print(e)
PY
rm -f "$vraw"
cp "$out" outputs/bench/latest.txt
echo; cat "$out"; echo; echo "written: $out"

# --- reliability (docs/RELIABILITY.md): long fuzzing run and more kill-injection trials
# (skipped when BENCH_SECTIONS is given without "reliab")
if [[ -z ${BENCH_SECTIONS:-} || $SECTIONS == *" reliab "* ]]; then
if command -v clang >/dev/null && make --no-print-directory fuzz >/dev/null 2>&1; then
  echo "== fuzzing, ${PRC_FUZZ_BENCH_SECONDS:-120} s per harness -> outputs/bench/fuzz.txt"
  mkdir -p outputs/bench
  tests/fuzz/run.sh "${PRC_FUZZ_BENCH_SECONDS:-120}" outputs/bench/fuzz.txt || echo "fuzzing found crashes: see build/fuzz/"
fi
echo "== kill injection, 50 + 20 + 10 trials"
PRC_KILL_TRIALS=50 PRC_KILL_CKPT_TRIALS=20 PRC_KILL_RANK_TRIALS=10 bash tests/cli/test_kill.sh 2>&1 | grep -E '^(ok|FAIL)|^[abc]:' | tee outputs/bench/kill.txt
fi

# --- NN training-step throughput (docs/PERFORMANCE.md "NN"): forward + backward + SGD on
# the flat parameter buffer, samples/s, C (bench_nn) vs PyTorch (nn_torch_peer.py, same
# spec) alternating REPS times on 1 and 2 threads; medians and ratios C / torch.
bench_nn_section() {
  local nout=outputs/bench/nn-$stamp.txt nraw tdir
  nraw=$(mktemp); tdir=$(mktemp -d)
  local models="msrcnn:64 convnetquake:128 drsn_cw:64"
  echo "== NN training step: $models -> $nout"
  for r in $(seq "$REPS"); do
    for t in 1 2; do
      OPENBLAS_NUM_THREADS=$t build/tests/bench/bench_nn -t "$t" -s "${NN_SECONDS:-3}" -w "$tdir" $models >>"$nraw"
      # the project's way to use t cores: t ranks x 1 thread, train's exact data-parallel step
      [ "$t" -gt 1 ] && OPENBLAS_NUM_THREADS=1 $PRC_MPIRUN -n "$t" build/tests/bench/bench_nn -t 1 -s "${NN_SECONDS:-3}" $models >>"$nraw"
      # or t threads in one process: train -train_threads t (t model replicas, the same step)
      [ "$t" -gt 1 ] && OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_nn -T "$t" -s "${NN_SECONDS:-3}" $models >>"$nraw"
      # weak scaling (the issue's DDP figure: batch 64 per rank): t ranks / t replicas at t x the batch
      if [ "$t" -gt 1 ]; then
        weak=$(for mb in $models; do echo "${mb%%:*}:$((${mb##*:} * t))"; done)
        OPENBLAS_NUM_THREADS=1 $PRC_MPIRUN -n "$t" build/tests/bench/bench_nn -t 1 -s "${NN_SECONDS:-3}" $weak >>"$nraw"
        OPENBLAS_NUM_THREADS=1 build/tests/bench/bench_nn -T "$t" -s "${NN_SECONDS:-3}" $weak >>"$nraw"
      fi
      if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        OMP_NUM_THREADS=$t /usr/bin/python3 tests/bench/nn_torch_peer.py -t "$t" -s "${NN_SECONDS:-3}" -w "$tdir" $models >>"$nraw"
      fi
    done
  done
  /usr/bin/python3 - "$nraw" >"$nout" <<'PY'
import re, sys, statistics as st
t = {}
for line in open(sys.argv[1]):
    m = re.match(r"(c|torch)_nn model=(\S+) batch=(\d+) threads=(\d+) (?:ranks=(\d+) )?(?:replicas=(\d+) )?.* samples_per_s=(\S+)", line)
    if m: t.setdefault((m[1], m[2], int(m[3]), int(m[4]), int(m[5] or 1), int(m[6] or 1)), []).append(float(m[7]))
print("## NN training step (forward + backward + SGD), samples/s, medians; ratio = C / torch (>= 1: C as fast or faster)")
print("## 'ranks R x 1 thread': R MPI ranks, train's exact data-parallel step (global batch cut in R), against torch on R threads")
print("## 'T replica threads': one process, train -train_threads T (the batch cut in T micro-batches on T model replicas), against torch on T threads")
print("## 'threads T': one process, one model, OpenBLAS on T threads")
base = {}  # the batch of each model's main rows (the smallest measured); larger ones are the weak-scaling runs
for k in t:
    if k[0] == "c": base[k[1]] = min(base.get(k[1], k[2]), k[2])
for (side, model, b, th, rk, rp) in sorted(k for k in t if k[0] == "c" and k[2] == base[k[1]]):
    c = st.median(t[("c", model, b, th, rk, rp)])
    p = t.get(("torch", model, b, th * rk * rp, 1, 1))
    tail = f"   torch {st.median(p):9.1f}   ratio {c / st.median(p):5.2f}" if p else "   torch n/a"
    what = (f"threads {th}" if rk == 1 and rp == 1 else f"ranks {rk} x 1 thread (vs torch {rk} threads)" if rp == 1
            else f"{rp} replica threads (vs torch {rp} threads)")
    print(f"nn {model:13s} batch {b:4d} {what}: C {c:9.1f}{tail}")
# weak scaling: R ranks (or R replica threads) at R x the batch vs 1 rank at the batch
print("## weak scaling: samples/s at R x the batch on R ranks (or R replica threads) / (R x samples/s of 1 rank, 1 thread at the batch)")
for (side, model, b, th, rk, rp) in sorted(k for k in t if k[0] == "c" and k[2] > base[k[1]]):
    R = rk * rp
    one = t.get(("c", model, b // R, 1, 1, 1))
    if R > 1 and b == R * base[model] and one:
        c = st.median(t[("c", model, b, th, rk, rp)])
        how = f"{rk} ranks x 1 thread" if rp == 1 else f"{rp} replica threads"
        print(f"nn weak {model:13s} batch {b // R:4d} per {'rank' if rp == 1 else 'thread'}, {how}: {c:9.1f} samples/s, efficiency {c / (R * st.median(one)):.3f}")
PY
  rm -rf "$nraw" "$tdir"
  cat "$nout"; cat "$nout" >>"$out"
}
if [[ -z ${BENCH_SECTIONS:-} || $SECTIONS == *" nn "* ]]; then
  make --no-print-directory build/tests/bench/bench_nn >/dev/null
  bench_nn_section
fi

# --- event detection throughput (docs/DETECTION.md "Speed", docs/BENCHMARKS.md): hours of
# 100 Hz 3-component data classified per second on ONE core (1 rank, 1 thread), ConvNetQuake
# windows of 10 s every DETECT_STEP s, C (`precursor detect`) vs PyTorch running the same
# trained network on the same windows (tests/bench/detect_torch_peer.py), alternating REPS times.
if [[ -z ${BENCH_SECTIONS:-} || $SECTIONS == *" detect "* ]]; then
  dout=outputs/bench/detect-$stamp.txt; dd=outputs/bench/tmp/detect; mkdir -p "$dd"
  DSTEP="${DETECT_STEP:-1}"; DHOURS="${DETECT_HOURS:-2}"; DB="${DETECT_BATCH:-32}"
  echo "== detect: $DHOURS h record, step $DSTEP s, 1 core, C vs PyTorch -> $dout"
  q() { "$@" -quiet >/dev/null 2>&1; }
  q bin/precursor synth -options_file inputs/demo.opts -synth_stations 0 -synth_png false -out_dir "$dd/s"
  q bin/precursor cluster -options_file inputs/cluster_demo.opts -cluster_catalog "$dd/s/catalog.h5" -cluster_png false -out_dir "$dd/c"
  q bin/precursor synth-waves -options_file inputs/synth_waves_demo.opts -sw_catalog "$dd/c/catalog.h5" -sw_hours 4 -sw_png false -out_dir "$dd/w"
  q bin/precursor synth-waves -options_file inputs/synth_waves_demo.opts -sw_catalog "$dd/c/catalog.h5" -sw_hours "$DHOURS" -sw_gaps 0 -seed 9 -sw_png false -out_dir "$dd/u"
  q bin/precursor windows -options_file inputs/windows_demo.opts -windows_waveforms "$dd/w/waveforms.h5" -windows_catalog "$dd/w/events.h5" -windows_png false -out_dir "$dd/x"
  q $PRC_MPIRUN -n 2 bin/precursor train -options_file inputs/train_detect_demo.opts -train_data "$dd/x/windows_train.h5" -train_val "$dd/x/windows_test.h5" \
    -train_epochs 2 -train_resume false -train_png false -out_dir "$dd/t"
  draw=$(mktemp)
  for r in $(seq "$REPS"); do
    OPENBLAS_NUM_THREADS=1 bin/precursor detect -detect_model "$dd/t/model.h5" -detect_waveforms "$dd/u/waveforms.h5" -detect_step_s "$DSTEP" \
      -detect_batch "$DB" -detect_png false -out_dir "$dd/d" 2>&1 | sed -n 's/.*classified \([0-9.e+]*\) h of data in \([0-9.e+]*\) s on 1 rank.*/c_detect hours=\1 seconds=\2/p' >>"$draw"
    if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
      OMP_NUM_THREADS=1 /usr/bin/python3 tests/bench/detect_torch_peer.py "$dd/t/model.h5" "$dd/u/waveforms.h5" "$dd/d/detections.h5" "$DSTEP" "$DB" 1 >>"$draw"
    fi
  done
  /usr/bin/python3 - "$draw" "$DSTEP" "$DB" >"$dout" <<'PY'
import re, sys, statistics as st
c, t, dp = [], [], []
for line in open(sys.argv[1]):
    m = re.match(r"c_detect hours=(\S+) seconds=(\S+)", line)
    if m: c.append(float(m[1]) / float(m[2]))
    m = re.match(r"torch_detect .* hours_per_s=(\S+) max_dp=(\S+)", line)
    if m: t.append(float(m[1])); dp.append(float(m[2]))
print(f"## detection throughput, 3 x 1000 windows every {sys.argv[2]} s, batches of {sys.argv[3]}, 1 core: hours of data per second (medians of {len(c)}); ratio = C / torch")
tail = f"   torch {st.median(t):8.3f}   ratio {st.median(c) / st.median(t):5.2f}   max |p_C - p_torch| {max(dp):.1e}" if t else "   torch n/a"
print(f"detect convnetquake: C {st.median(c):8.3f}{tail}")
print(f"detect one month (720 h) of data on one core: C {720 / st.median(c) / 60:.1f} min" + (f", torch {720 / st.median(t) / 60:.1f} min" if t else ""))
PY
  rm -f "$draw"
  cat "$dout"; cat "$dout" >>"$out"; cp "$out" outputs/bench/latest.txt
fi
