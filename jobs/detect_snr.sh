#!/usr/bin/env bash
# jobs/detect_snr.sh — the detection floor vs SNR (issue 9, docs/DETECTION.md "Results"):
# train ConvNetQuake on a synthetic record with events over a wide SNR range, then detect on an
# unseen record whose injected events span -10 .. 20 dB; detect reports the recall per 5 dB bin
# and draws detect_recall_snr.png.   jobs/detect_snr.sh [NP] [OUT]   (about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"; out="${2:-outputs/detect_snr}"
mkdir -p "$out"
run() { local name="$1"; shift; echo "== $name"; $PRC_MPIRUN -n "$np" bin/precursor "$@" 2>&1 | tee "$out/$name.log" | grep -v 'ETA'; }
run synth synth -options_file inputs/demo.opts -synth_stations 0 -synth_png false -out_dir "$out/synth"
run cluster cluster -options_file inputs/cluster_demo.opts -cluster_catalog "$out/synth/catalog.h5" -out_dir "$out/cluster"
run sw_train synth-waves -options_file inputs/synth_waves_demo.opts -sw_catalog "$out/cluster/catalog.h5" -sw_hours 16 -sw_snr_db 10 \
  -sw_snr_spread_db 10 -out_dir "$out/sw_train"
run sw_test synth-waves -options_file inputs/synth_waves_demo.opts -sw_catalog "$out/cluster/catalog.h5" -sw_hours 6 -sw_snr_db 5 \
  -sw_snr_spread_db 15 -sw_gaps 0 -seed 4242 -out_dir "$out/sw_test"
run windows windows -options_file inputs/windows_demo.opts -windows_waveforms "$out/sw_train/waveforms.h5" \
  -windows_catalog "$out/sw_train/events.h5" -out_dir "$out/windows"
run train train -options_file inputs/train_detect_demo.opts -train_data "$out/windows/windows_train.h5" -train_val "$out/windows/windows_test.h5" \
  -train_epochs 8 -train_resume false -out_dir "$out/train"
run detect detect -options_file inputs/detect_demo.opts -detect_model "$out/train/model.h5" -detect_waveforms "$out/sw_test/waveforms.h5" \
  -detect_catalog "$out/sw_test/events.h5" -detect_testset "$out/windows/windows_test.h5" -out_dir "$out/detect"
echo "== recall vs SNR: $out/detect/detect_recall_snr.png; log $out/detect.log"
