#!/usr/bin/env bash
# tests/bench.sh — `make bench`: performance of precursor's stages and parallel wrappers,
# each against a peer where one exists, in the same run, alternating sides REPS times and
# reporting medians and ratios (the machines are noisy: +-25 % between runs).
# Writes outputs/bench/bench-<UTC time>.txt and outputs/bench/latest.txt; docs/BENCHMARKS.md
# summarises a run. Sizes: BENCH_SCALE=small|medium (default medium).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
# Both sides (precursor and the numpy/scipy peer) load the same OpenBLAS with the same
# settings. OPENBLAS_CORETYPE is left to OpenBLAS's own detection unless the caller sets it
# (SKYLAKEX helps on Sapphire Rapids but is an illegal instruction on CPUs without AVX-512).
REPS="${REPS:-3}"
case "${BENCH_SCALE:-medium}" in
  small) NX=128; ND=120; NFFT=$((1 << 18)); NSVD=400 ;;
  *)     NX=384; ND=365; NFFT=$((1 << 20)); NSVD=1000 ;;
esac
mkdir -p outputs/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=outputs/bench/bench-$stamp.txt
raw=$(mktemp); trap 'rm -f "$raw"; rm -rf outputs/bench/tmp' EXIT
{
  echo "# precursor benchmarks $stamp  version $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo "# host $(hostname) cores $(nproc --all) cpu '$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')'"
  echo "# OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-auto} OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS reps=$REPS (medians)"
} >"$out"

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
echo "== parallel wrappers vs numpy/scipy (same OpenBLAS), $REPS alternations"
for r in $(seq "$REPS"); do
  for np in 1 2; do $PRC_MPIRUN -n $np build/tests/bench/bench_par $NFFT $NSVD 5 | sed "s/^/precursor_/" | tee -a "$raw"; done
  /usr/bin/python3 tests/bench/peer_numpy.py $NFFT $NSVD 5 | sed "s/^/numpy_/" | tee -a "$raw"
done

/usr/bin/python3 - "$raw" "$NX" "$ND" >>"$out" <<'PY'
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
cp "$out" outputs/bench/latest.txt
echo; cat "$out"; echo; echo "written: $out"

# --- reliability (docs/RELIABILITY.md): long fuzzing run and more kill-injection trials
if command -v clang >/dev/null && make --no-print-directory fuzz >/dev/null 2>&1; then
  echo "== fuzzing, ${PRC_FUZZ_BENCH_SECONDS:-120} s per harness -> outputs/bench/fuzz.txt"
  mkdir -p outputs/bench
  tests/fuzz/run.sh "${PRC_FUZZ_BENCH_SECONDS:-120}" outputs/bench/fuzz.txt || echo "fuzzing found crashes: see build/fuzz/"
fi
echo "== kill injection, 50 + 20 + 10 trials"
PRC_KILL_TRIALS=50 PRC_KILL_CKPT_TRIALS=20 PRC_KILL_RANK_TRIALS=10 bash tests/cli/test_kill.sh 2>&1 | grep -E '^(ok|FAIL)|^[abc]:' | tee outputs/bench/kill.txt
