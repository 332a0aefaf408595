#!/usr/bin/env bash
# jobs/em_fusion.sh — ground–space fusion of paper 000 measured out of sample (docs/EM.md
# "Ground–space fusion"): a ground and a space model are trained on the label-mode windows of one
# synthetic network (seed A) and fused on another network (seed B, its own stations, catalog and
# records); the alarms are evaluated against B's catalog (hits against the random-alarm base rate,
# observable events detected, location error of the overlap vs the stations' mean position).
# Usage: jobs/em_fusion.sh [NRANKS] [OUT]   (defaults 2, outputs/em_fusion)
# Environment: DAYS (730), STATIONS (10), MMIN (4.5: precursors injected and the class threshold),
#   RADIUS_KM (100: labels, fusion and evaluation), HORIZON_DAYS (10), EPOCHS (4), WEIGHT (10: the
#   weight of the M >= MMIN class, about quiet / positive windows), FUSION_RADII ("60 100").
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
np="${1:-2}"
out="${2:-outputs/em_fusion}"
DAYS="${DAYS:-730}" STATIONS="${STATIONS:-10}" MMIN="${MMIN:-4.5}" RADIUS_KM="${RADIUS_KM:-100}" HORIZON_DAYS="${HORIZON_DAYS:-10}"
EPOCHS="${EPOCHS:-4}" WEIGHT="${WEIGHT:-10}" FUSION_RADII="${FUSION_RADII:-60 100}"
mkdir -p "$out"
run() { local log="$1"; shift; $PRC_MPIRUN -n "$np" bin/precursor "$@" >"$out/$log.log" 2>&1 || { tail -n 20 "$out/$log.log"; exit 1; }; }
t0=$(date +%s)
for v in A:31 B:32; do
  n=${v%%:*} seed=${v#*:}
  echo "== synth $n (seed $seed): 300 x 300 km, $STATIONS stations, $DAYS days"
  run "synth_$n" synth -seed "$seed" -synth_nx 100 -synth_ny 100 -synth_res_km 3 -synth_days "$DAYS" -synth_start 2012-01-01 \
    -synth_stations "$STATIONS" -synth_anom_mmin "$MMIN" -synth_png false -quiet -out_dir "$out/synth_$n"
  grep -h 'region' "$out/synth_$n.log"
  for ch in ground:ground_resistivity,geomagnetic_field,geoelectric_field space:ionospheric_ne,ulf_field; do
    k=${ch%%:*}
    run "samples_${n}_$k" em-samples -em_input "$out/synth_$n/stations.h5" -em_mode label -em_catalog "$out/synth_$n/catalog.h5" -em_channels "${ch#*:}" \
      -em_classes "quiet,M$MMIN" -em_class_mags "$MMIN" -em_len 576 -em_stride 12 -em_radius_km "$RADIUS_KM" -em_horizon_days "$HORIZON_DAYS" \
      -em_val_fraction 0 -em_png false -out_dir "$out/${n}_$k"
    grep -h '^\[em-samples\] label' "$out/samples_${n}_$k.log"
  done
done
for k in ground:3 space:2; do
  m=${k%%:*}
  echo "== train the $m model on network A (class weights 1:$WEIGHT), B as validation ($(( $(date +%s) - t0 )) s so far)"
  run "train_$m" train -train_model inputs/models/msrcnn.model -train_defines "CH=${k#*:},LEN=576,CLASSES=2,CLASS_WEIGHTS=1:$WEIGHT" \
    -train_data "$out/A_$m/trainset.h5" -train_val "$out/B_$m/trainset.h5" -train_epochs "$EPOCHS" -train_batch 32 -train_micro_batch 8 \
    -train_lr 1e-3 -train_png false -train_resume false -out_dir "$out/model_$m"
  grep -h '^\[train\] done' "$out/train_$m.log"
done
for R in $FUSION_RADII; do
  echo "== em-fusion on network B, radius $R km"
  run "fusion_$R" em-fusion -fusion_stations "$out/synth_B/stations.h5" -fusion_ground_model "$out/model_ground/model.h5" \
    -fusion_ground_data "$out/B_ground/trainset.h5" -fusion_space_model "$out/model_space/model.h5" -fusion_space_data "$out/B_space/trainset.h5" \
    -fusion_radius_km "$R" -fusion_window_days 2 -fusion_watch_days 10 -fusion_catalog "$out/synth_B/catalog.h5" -fusion_eval_mag "$MMIN" \
    -fusion_eval_days "$HORIZON_DAYS" -out_dir "$out/fusion_$R"
  grep -h '^\[em-fusion\] ' "$out/fusion_$R.log" | grep -v outputs
done
{
  echo "# Paper 000: ground–space fusion out of sample"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), version $(bin/precursor -version | awk '{print $2}'), $np MPI ranks, $(( $(date +%s) - t0 )) s."
  echo "Models trained on network A (seed 31), fused and evaluated on network B (seed 32): M >= $MMIN within $HORIZON_DAYS days."
  echo "Discussion: docs/EM.md \"Ground–space fusion\"."
  for R in $FUSION_RADII; do
    echo
    sed -n '1,/^| time/p' "$out/fusion_$R/fusion.md" | sed '$d' | sed 's/^## /## Radius '"$R"' km: /'
  done
} >"$out/REPORT.md"
echo "== report: $out/REPORT.md ($(( $(date +%s) - t0 )) s)"
