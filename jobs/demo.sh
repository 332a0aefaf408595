#!/usr/bin/env bash
# jobs/demo.sh — the main job on the embedded default data: `make demo` runs it after
# installing dependencies and building. Usage: jobs/demo.sh [NRANKS] (default 2).
# Each stage's console output goes to the terminal and to outputs/demo/<stage>.log; at the
# end outputs/demo/REPORT.md collects the summaries and the pictures.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"
out=outputs/demo
mkdir -p "$out"
echo "== precursor demo: $np MPI ranks, deck inputs/demo.opts -> $out/"

run() { # run NAME ARGS...: one stage, logged
  local name="$1"; shift
  echo "== $name"
  $PRC_MPIRUN -n "$np" bin/precursor "$@" 2>&1 | tee "$out/$name.log"
}
run selftest selftest -out_dir "$out/selftest"
run synth synth -options_file inputs/demo.opts -out_dir "$out/synth"
run vmd vmd -options_file inputs/vmd_demo.opts -vmd_input "$out/synth/stations.h5" -out_dir "$out/vmd"
run rst rst -options_file inputs/rst_demo.opts -rst_input "$out/synth/lst.h5" -rst_catalog "$out/synth/catalog.h5" \
  -out_dir "$out/rst"
run rst_forecast rst-forecast -options_file inputs/rst_forecast_demo.opts -rstf_input "$out/rst/rst.h5" -out_dir "$out/rst_forecast"
run rst_forecast_eval evaluate -eval_input "$out/rst_forecast/forecast.h5" -eval_catalog "$out/synth/catalog.h5" -eval_mmin 5 \
  -eval_thresholds 0.1,0.3 -eval_bootstrap 200 -out_dir "$out/rst_forecast_eval"
# a deep thermal model for the study (docs/THERMAL.md "On the study grid"): DRSN-CW trained on another synthetic
# region (2006-2008, another seed, a larger area and 3x the background rate: 51 M >= 5 events to learn from), then
# run on every cell of the demo grid day by day (thermal-score) and scored against the demo catalog
run thermal_score_region synth -options_file inputs/demo.opts -seed 777 -synth_start 2006-01-01 -synth_rate 3 -synth_nx 96 -synth_ny 96 \
  -synth_scenario none -synth_stations 0 -synth_png false -out_dir "$out/thermal_score_region"
run thermal_score_samples thermal-samples -thermal_input "$out/thermal_score_region/lst.h5" -thermal_catalog "$out/thermal_score_region/catalog.h5" \
  -thermal_mmin 5 -thermal_size 11 -thermal_days 5 -thermal_ratio 0.25 -thermal_quiet_places uniform -out_dir "$out/thermal_score_samples"
run thermal_score_train train -train_model inputs/models/drsn_cw.model -train_defines SIZE=11 -train_data "$out/thermal_score_samples/thermal_N5_train.h5" \
  -train_val "$out/thermal_score_samples/thermal_N5_test.h5" -train_epochs 10 -train_batch 32 -train_micro_batch 8 -train_lr 0.003 -train_resume false \
  -out_dir "$out/thermal_score_train"
run thermal_score thermal-score -options_file inputs/thermal_score_demo.opts -tsc_model "$out/thermal_score_train/model.h5" -tsc_input "$out/synth/lst.h5" \
  -out_dir "$out/thermal_score"
run thermal_score_eval evaluate -eval_input "$out/thermal_score/forecast.h5" -eval_catalog "$out/synth/catalog.h5" -eval_mmin 5 \
  -eval_thresholds 0.5,0.8 -eval_bootstrap 200 -out_dir "$out/thermal_score_eval"
# the deep EM model for the study (docs/EM.md "On the study grid"): msrcnn trained on the demo network's label windows
# ending by 2011-06-30, then every window of the period scored per cell and week (em-score) and evaluated
run em_score_train_windows em-samples -options_file inputs/em_labels_demo.opts -em_input "$out/synth/stations.h5" -em_catalog "$out/synth/catalog.h5" \
  -em_end 2011-06-30 -em_png false -out_dir "$out/em_score_train_windows"
run em_score_train train -train_model inputs/models/msrcnn.model -train_data "$out/em_score_train_windows/trainset.h5" \
  -train_val "$out/em_score_train_windows/valset.h5" -train_epochs 10 -train_resume false -out_dir "$out/em_score_train"
run em_score_windows em-samples -options_file inputs/em_labels_demo.opts -em_input "$out/synth/stations.h5" -em_catalog "$out/synth/catalog.h5" \
  -em_val_fraction 0 -em_png false -out_dir "$out/em_score_windows"
run em_score em-score -options_file inputs/em_score_demo.opts -emsc_model "$out/em_score_train/model.h5" -emsc_data "$out/em_score_windows/trainset.h5" \
  -emsc_stations "$out/synth/stations.h5" -out_dir "$out/em_score"
run em_score_eval evaluate -eval_input "$out/em_score/forecast.h5" -eval_catalog "$out/synth/catalog.h5" -eval_mmin 3.5 \
  -eval_thresholds 0.5,0.9 -eval_bootstrap 200 -out_dir "$out/em_score_eval"
run indicators indicators -options_file inputs/indicators_demo.opts -ind_catalog "$out/synth/catalog.h5" -out_dir "$out/indicators"
run study study -options_file inputs/study_demo.opts -study_input "$out/indicators/indicators.h5" \
  -study_external "rst=$out/rst_forecast/forecast.h5,drsn=$out/thermal_score/forecast.h5,em=$out/em_score/forecast.h5" -out_dir "$out/study"
run cluster cluster -options_file inputs/cluster_demo.opts -cluster_catalog "$out/synth/catalog.h5" -out_dir "$out/cluster"
run train train -options_file inputs/train_demo.opts -out_dir "$out/train" -train_resume false
# event detection (paper 004): synthetic records with the clustered catalog's events, windows, ConvNetQuake, sliding detection
run synth_waves synth-waves -options_file inputs/synth_waves_demo.opts -sw_catalog "$out/cluster/catalog.h5" -out_dir "$out/synth_waves"
run synth_waves_test synth-waves -options_file inputs/synth_waves_demo.opts -sw_catalog "$out/cluster/catalog.h5" -sw_hours 1 -seed 77 \
  -out_dir "$out/synth_waves_test"
run windows windows -options_file inputs/windows_demo.opts -windows_waveforms "$out/synth_waves/waveforms.h5" \
  -windows_catalog "$out/synth_waves/events.h5" -out_dir "$out/windows"
run train_detect train -options_file inputs/train_detect_demo.opts -train_data "$out/windows/windows_train.h5" \
  -train_val "$out/windows/windows_test.h5" -out_dir "$out/train_detect" -train_resume false
run detect detect -options_file inputs/detect_demo.opts -detect_model "$out/train_detect/model.h5" \
  -detect_waveforms "$out/synth_waves_test/waveforms.h5" -detect_catalog "$out/synth_waves_test/events.h5" \
  -detect_testset "$out/windows/windows_test.h5" -out_dir "$out/detect"
# paper 000 (docs/EM.md), small versions of results 1-3 on the demo stations
echo "== em"
SNRS="-20 20" PER_CLASS=40 EPOCHS=8 BASE="$out/synth/stations.h5" jobs/em_snr.sh "$np" "$out/em" 2>&1 | tee "$out/em.log"
echo "== em_online"
PER_CLASS=40 STREAM_PER_CLASS=40 BASE="$out/synth/stations.h5" \
  ONLINE_ARGS="-online_window 50 -online_windows 3 -online_epochs_init 8 -online_epochs_inc 3 -online_epochs_router 3" \
  jobs/em_online.sh "$np" "$out/em_online" 2>&1 | tee "$out/em_online.log"
echo "== em_fusion"
jobs/em_fusion.sh "$np" "$out/em_fusion" 2>&1 | tee "$out/em_fusion.log"
# thermal forecasting of paper 001, small version of jobs/thermal_forecast.sh (docs/THERMAL.md): CENC M >= 5
# epicentres of western China 2006-2016 (a synthetic ETAS catalog when ../shared/data is absent) over a
# 32 km synthetic LST stack with and without injected anomalies, 11 x 11 crops, 3/5/7/9-day windows, three
# models, and DCGAN augmentation (thermal-gan per class, drsn_cw_aug): the layout of paper 001's Tables 2-3
echo "== thermal"
tf_cat=${PRC_SHARED_DATA:-../shared/data}/catalogs/cenc_china_1970-2024.csv
[ -f "$tf_cat" ] || tf_cat=none
OUT="$out/thermal" NP="$np" CATALOG_CSV="$tf_cat" RES_KM=32 SIZE=11 EPOCHS=8 DAYS=3,5,7,9 BOOT=500 AUGMENT=1 GAN_STEPS=100 \
  jobs/thermal_forecast.sh 2>&1 | tee "$out/thermal.log"

# the report: summary lines (not progress lines) and every picture, stage by stage
{
  echo "# precursor demo report"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), version $(bin/precursor -version | awk '{print $2}'), $np MPI ranks, deck \`inputs/demo.opts\`."
  echo "Data layout: docs/DATA_MODEL.md. Each stage's full console output is in \`<stage>.log\`."
  for s in selftest synth vmd rst rst_forecast rst_forecast_eval thermal_score_samples thermal_score_train thermal_score thermal_score_eval em_score_train em_score em_score_eval indicators study cluster train synth_waves synth_waves_test windows train_detect detect em em_online; do
    echo
    echo "## $s"
    echo
    echo '```'
    grep -vE '%  .*ETA|done in [0-9]' "$out/$s.log" || true
    echo '```'
    for p in "$out/$s"/*.png; do
      [ -e "$p" ] || continue
      echo
      echo "![${p##*/}]($s/${p##*/})"
    done
  done
  echo
  echo "## em_fusion (paper 000: ground-space fusion, trained on network A, evaluated on network B)"
  echo
  sed -e 's/^# /### /' -e 's/^## /#### /' "$out/em_fusion/REPORT.md"
  echo
  echo "## thermal (paper 001: thermal-samples, train, thermal-forecast)"
  echo
  echo "Samples: the last image before 4 earthquakes (top) and of 4 quiet groups (bottom), 5-day window:"
  echo
  echo "![thermal_samples_N5.png](thermal/samples_main/thermal_samples_N5.png)"
  echo
  echo "DCGAN (fusion discriminator, 100 steps) of the 5-day earthquake images: generated next to real, and the RST validity check:"
  echo
  echo '```'
  grep -E '^\[thermal-gan\] ([0-9]+ steps|validity|RST check)' "$out/thermal/gan_main_N5_eq.log" || true
  echo '```'
  echo
  echo "![gan_samples.png](thermal/gan_main/N5/eq/gan_samples.png) ![gan_rst.png](thermal/gan_main/N5/eq/gan_rst.png)"
  echo
  sed -e 's/^# /### /' -e 's/^## /### /' -e 's/^### \(Table\|All\|Paper\)/#### \1/' -e 's#](\([a-z_0-9N]*\.png\))#](thermal/forecast/\1)#g' "$out/thermal/forecast/THERMAL_FORECAST.md"
} >"$out/REPORT.md"
echo "== outputs:"
ls -l "$out"/selftest "$out"/synth "$out"/vmd "$out"/rst "$out"/rst_forecast "$out"/rst_forecast_eval "$out"/thermal_score "$out"/thermal_score_eval "$out"/em_score "$out"/em_score_eval "$out"/indicators "$out"/study "$out"/cluster "$out"/train \
  "$out"/synth_waves "$out"/windows "$out"/train_detect "$out"/detect "$out"/em "$out"/em_online "$out"/em_fusion "$out"/thermal/forecast "$out"/thermal/gan_main/N5/eq
echo "== report: $out/REPORT.md (summaries and pictures); data: $out/*/*.h5 (layout: docs/DATA_MODEL.md)"
