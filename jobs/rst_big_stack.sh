#!/usr/bin/env bash
# jobs/rst_big_stack.sh [NX] [DAYS] [RANKS] — memory per rank of `precursor rst` on a stack
# larger than a quarter of this machine's RAM (issue 4): synth writes NX x NX px x DAYS days
# of float32 LST (default 512 x 512 x 6575 days = 18 years = 6.9 GB), then rst runs on RANKS
# ranks (default 2) with each rank's peak RSS measured by GNU time around the rank itself.
# Output folder: ${PRC_BIG_DIR:-/tmp/precursor-big} (about 1.2 x the stack on disk; removed
# at the end unless PRC_KEEP=1). Results: docs/PERFORMANCE.md "End to end from HDF5".
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
NX=${1:-512}; DAYS=${2:-6575}; NP=${3:-2}; B=${PRC_BIG_DIR:-/tmp/precursor-big}
mkdir -p "$B"
[ "${PRC_KEEP:-0}" = 1 ] || trap 'rm -rf "$B"' EXIT
ram_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
stack=$((NX * NX * DAYS * 4))
echo "stack ${NX}x${NX}x${DAYS} float32 = $((stack / 1000000)) MB; RAM/4 = $((ram_kb / 4000)) MB"
$PRC_MPIRUN -n "$NP" bin/precursor synth -seed 5 -synth_nx "$NX" -synth_ny "$NX" -synth_days "$DAYS" -synth_start 2005-01-01 \
  -synth_stations 0 -synth_png false -quiet -out_dir "$B/s"
ls -l "$B/s/lst.h5"
dd if="$B/s/lst.h5" of=/dev/null bs=16M 2>&1 | tail -n 1
t0=$(date +%s.%N)
$PRC_MPIRUN -n "$NP" /usr/bin/time -f "rank_peak_rss_kb=%M" bin/precursor rst -rst_input "$B/s/lst.h5" -rst_catalog "$B/s/catalog.h5" \
  -rst_start "$(( 2005 + DAYS / 366 - 1 ))-01-01" -rst_png false -quiet -out_dir "$B/r" 2>&1 | grep -E 'rank_peak|^\[rst\] (events|[0-9])'
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v s="$stack" 'BEGIN {printf "rst wall %.1f s, %.3f GB/s of input end to end\n", b - a, s / 1e9 / (b - a)}'
