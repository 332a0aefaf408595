#!/usr/bin/env bash
# jobs/demo.sh — the main job on the embedded default data: `make demo` runs it after
# installing dependencies and building. Usage: jobs/demo.sh [NRANKS] (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"
out=outputs/demo
mkdir -p "$out"
echo "== precursor demo: $np MPI ranks, deck inputs/demo.opts -> $out/"
$PRC_MPIRUN -n "$np" bin/precursor selftest -out_dir "$out/selftest"
$PRC_MPIRUN -n "$np" bin/precursor synth -options_file inputs/demo.opts -out_dir "$out/synth"
$PRC_MPIRUN -n "$np" bin/precursor vmd -options_file inputs/vmd_demo.opts -vmd_input "$out/synth/stations.h5" -out_dir "$out/vmd"
$PRC_MPIRUN -n "$np" bin/precursor rst -options_file inputs/rst_demo.opts -rst_input "$out/synth/lst.h5" \
  -rst_catalog "$out/synth/catalog.h5" -out_dir "$out/rst"
echo "== outputs:"
ls -l "$out"/selftest "$out"/synth "$out"/vmd "$out"/rst
echo "== pictures: $out/synth/*.png $out/vmd/*.png $out/rst/*.png   data: $out/*/*.h5 (layout: docs/DATA_MODEL.md)"
