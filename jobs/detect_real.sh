#!/usr/bin/env bash
# jobs/detect_real.sh — event detection on the real waveforms of ../shared/data/waveforms
# (issue 9, docs/DETECTION.md "Results"): the 154 STEAD-style labelled traces give event
# windows (vertical, from 1 s before P) and pre-P noise, the KW1 record's first two hours
# noise; ConvNetQuake (1 channel) is trained; the held-out windows are scored; the last 36
# minutes of KW1 measure false detections per hour; the South Napa record (BK.HELL, 40 Hz
# resampled to 100 Hz) must show the M6.0 of 2014-08-24 10:20:44 UTC.
#   jobs/detect_real.sh [NP] [OUT]   (about 1 minute on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"; out="${2:-outputs/detect_real}"; D=${PRC_SHARED_DATA:-../shared/data}/waveforms
mkdir -p "$out"
run() { local name="$1"; shift; echo "== $name"; $PRC_MPIRUN -n "$np" bin/precursor "$@" 2>&1 | tee "$out/$name.log" | grep -v 'ETA'; }
run stead import-stead -options_file inputs/import_stead.opts -out_dir "$out/stead"
run kw1 import-mseed -mseed_input "$D/BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed" -out_dir "$out/kw1"
run hell import-mseed -mseed_input "$D/BK.HELL.00.BH_2014-08-24_southnapa_40Hz.mseed" -mseed_rate 100 -out_dir "$out/hell"
run windows windows -options_file inputs/windows_real.opts -windows_waveforms "$out/stead/waveforms.h5,$out/kw1/waveforms.h5" -out_dir "$out/windows"
run train train -options_file inputs/train_detect_demo.opts -train_defines CH=1,CLASSES=2,LEN=1000 -train_data "$out/windows/windows_train.h5" \
  -train_val "$out/windows/windows_test.h5" -train_epochs 10 -train_resume false -out_dir "$out/train"
# the one event to find, as a ComCat CSV row (origin, epicentre and magnitude of the USGS/NCSN solution)
printf 'time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type\n2014-08-24T10:20:44.070Z,38.2151,-122.3123,11.12,6.02,mw,,,,,nc,nc72282711,,South Napa,earthquake\n' >"$out/napa.csv"
run napa_catalog import-catalog -catalog_input "$out/napa.csv" -out_dir "$out/napa"
run detect_hell detect -detect_model "$out/train/model.h5" -detect_waveforms "$out/hell/waveforms.h5" -detect_catalog "$out/napa/catalog.h5" \
  -detect_match_after_s 60 -detect_min_windows 3 -out_dir "$out/detect_hell"
run detect_kw1 detect -detect_model "$out/train/model.h5" -detect_waveforms "$out/kw1/waveforms.h5" -detect_tmin 2011-03-31T02:00:00 \
  -detect_testset "$out/windows/windows_test.h5" -detect_min_windows 3 -out_dir "$out/detect_kw1"
echo "== outputs in $out/ (detect_hell/detect_BK.HELL.00.BH.png, detect_kw1/, windows/windows_examples.png)"
