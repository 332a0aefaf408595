#!/usr/bin/env bash
# jobs/thermal_forecast.sh — the thermal forecast experiment of paper 001 (docs/THERMAL.md
# "Forecast experiment"): real CENC epicentres (western China 2006–2016, M >= 5) drive the
# injected anomalies of a synthetic multi-year LST stack; a control stack has the same
# weather, clouds and catalog but no anomalies. thermal-samples cuts epicentre-centred
# crops with 3/5/7/9-day labels, train fits cnn2d, resnet2d and drsn_cw on the same data
# and splits, thermal-forecast scores the test sets and writes THERMAL_FORECAST.md.
#
#   jobs/thermal_forecast.sh                  # the full run (7 min on 2 cores; results in docs/THERMAL.md)
#   SPLIT=random jobs/thermal_forecast.sh     # the paper's random 3:1 split instead of the time split
#   AUGMENT=1 SIZE=11 jobs/thermal_forecast.sh  # plus DCGAN augmentation and drsn_cw_aug (14 min)
#   AUGMENT=1 SIZE=256 RES_KM=1 ...             # the paper's 256 km at 1 km with the paper-size DCGAN (a cluster job)
#   NP=4 OUT=runs/tf jobs/thermal_forecast.sh
# Every setting below can be given in the environment (the demo uses a small version).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/env.sh
NP=${NP:-2}
OUT=${OUT:-outputs/thermal_forecast}
CATALOG_CSV=${CATALOG_CSV:-${PRC_SHARED_DATA:-../shared/data}/catalogs/cenc_china_1970-2024.csv}
LAT0=${LAT0:-25} LAT1=${LAT1:-45} LON0=${LON0:-73} LON1=${LON1:-105}  # western China, as paper 001
START=${START:-2006-01-01} END=${END:-2016-12-31}
MMIN=${MMIN:-5}
RES_KM=${RES_KM:-16}          # pixel size of the synthetic stack
SIZE=${SIZE:-16}              # crop width in pixels: 16 x 16 km = 256 km, the paper's extent
DAYS=${DAYS:-3,5,7,9}
MODELS=${MODELS:-cnn2d,resnet2d,drsn_cw}
SPLIT=${SPLIT:-time}          # time (train earlier, test later) or random (the paper's 3:1)
EPOCHS=${EPOCHS:-12}
LR=${LR:-0.003}
BATCH=${BATCH:-32}
ANOM_RADIUS_KM=${ANOM_RADIUS_KM:-20}  # synth default (20 km at M5, growing with M)
ANOM_AMP_K=${ANOM_AMP_K:-4}           # synth default (4 K at M5, + 4 K per magnitude unit)
SEED=${SEED:-1}
AUGMENT=${AUGMENT:-0}         # 1: also DCGAN augmentation (thermal-gan per class) and drsn_cw_aug trained on it; needs SIZE=11
GAN_STEPS=${GAN_STEPS:-300}
# the DCGAN pair: 11 x 11 crops use dcgan_g/dcgan_d at scaled-down widths; SIZE=256 the paper-size pair
# dcgan_g256/dcgan_d256 at the paper's widths (GAN_DEFINES none; a cluster job: ~7 s per step of batch 2 on 2 cores)
if [ "${SIZE:-16}" = 256 ]; then
  GAN_DEFINES=${GAN_DEFINES:-none} GAN_G=${GAN_G:-inputs/models/dcgan_g256.model} GAN_D=${GAN_D:-inputs/models/dcgan_d256.model}
else
  GAN_DEFINES=${GAN_DEFINES:-NZ=16,G1=32,G2=16,G3=8,G4=8,D1=8,D2=16,D3=32,D4=32,D5=64}
  GAN_G=${GAN_G:-inputs/models/dcgan_g.model} GAN_D=${GAN_D:-inputs/models/dcgan_d.model}
fi
BOOT=${BOOT:-1000}
# CATALOG_CSV=none: no real catalog; synth generates an ETAS catalog (SYNTH_RATE) instead
SYNTH_RATE=${SYNTH_RATE:-0.01}   # M >= 2.5 per day per 10^4 km^2: ~80 M >= 5 over the default box and span
if [ "$AUGMENT" = 1 ] && [ "$SIZE" != 11 ] && [ "$SIZE" != 256 ]; then
  echo "thermal_forecast: AUGMENT=1 needs SIZE=11 (dcgan_g/dcgan_d make 11 x 11 images) or SIZE=256 (the paper-size dcgan_g256/dcgan_d256)" >&2; exit 1; fi
if [ "$CATALOG_CSV" != none ] && [ ! -f "$CATALOG_CSV" ]; then
  echo "thermal_forecast: no CENC catalog at $CATALOG_CSV (set CATALOG_CSV, PRC_SHARED_DATA, or CATALOG_CSV=none for a synthetic catalog)" >&2; exit 1; fi
mkdir -p "$OUT"
run() { # run LOGNAME STAGE ARGS...
  local name="$1"; shift
  echo "== $name"
  $PRC_MPIRUN -n "$NP" bin/precursor "$@" 2>&1 | tee "$OUT/$name.log" | sed -u '/%  .*ETA/d' || { echo "thermal_forecast: $name failed (log: $OUT/$name.log)" >&2; exit 1; }
}
# grid size of the box at RES_KM (the synthetic region's flat-earth geometry, docs/SYNTH.md)
read -r NX NY < <(awk -v a="$LAT0" -v b="$LAT1" -v c="$LON0" -v d="$LON1" -v r="$RES_KM" 'BEGIN {
  pi = atan2(0, -1); k = 111.195; lc = (a + b) / 2 * pi / 180
  printf "%d %d\n", int((d - c) * k * cos(lc) / r), int((b - a) * k / r) }')
NDAYS=$(( ( $(date -u -d "$END" +%s) - $(date -u -d "$START" +%s) ) / 86400 + 1 ))
echo "== thermal forecast experiment: ${NX} x ${NY} px at ${RES_KM} km, ${NDAYS} days, crops ${SIZE} px, windows $DAYS, models $MODELS, $SPLIT split, $NP ranks -> $OUT/"
END_EXCL=$(date -u -d "$END + 1 day" +%Y-%m-%d)
CAT_OPT=()
if [ "$CATALOG_CSV" != none ]; then
run import import-catalog -catalog_input "$CATALOG_CSV" -catalog_format cenc -catalog_lat_min "$LAT0" -catalog_lat_max "$LAT1" \
  -catalog_lon_min "$LON0" -catalog_lon_max "$LON1" -catalog_start "$START" -catalog_end "$END_EXCL" -catalog_mag_min "$MMIN" -out_dir "$OUT/catalog"
CAT_OPT=(-synth_catalog "$OUT/catalog/catalog.h5")
else CAT_OPT=(-synth_rate "$SYNTH_RATE"); fi
S=(-seed "$SEED" -synth_lat0 "$LAT0" -synth_lon0 "$LON0" -synth_res_km "$RES_KM" -synth_nx "$NX" -synth_ny "$NY" -synth_start "$START"
   -synth_days "$NDAYS" "${CAT_OPT[@]}" -synth_stations 0 -synth_anom_mmin "$MMIN" -synth_anom_radius_km "$ANOM_RADIUS_KM" -quiet)
run synth synth "${S[@]}" -synth_anom_amp_k "$ANOM_AMP_K" -out_dir "$OUT/synth"
run synth_control synth "${S[@]}" -synth_anom_amp_k 0 -synth_png false -out_dir "$OUT/synth_control"
for v in main control; do
  d=$OUT/synth; [ $v = control ] && d=$OUT/synth_control
  run "samples_$v" thermal-samples -seed "$SEED" -thermal_input "$d/lst.h5" -thermal_catalog "$d/catalog.h5" -thermal_mmin "$MMIN" -thermal_size "$SIZE" \
    -thermal_days "$DAYS" -thermal_split "$SPLIT" -thermal_png "$([ $v = main ] && echo true || echo false)" -quiet -out_dir "$OUT/samples_$v"
  for n in ${DAYS//,/ }; do
    for m in ${MODELS//,/ }; do
      run "train_${v}_${m}_N$n" train -seed "$SEED" -train_model "inputs/models/$m.model" -train_defines "SIZE=$SIZE" \
        -train_data "$OUT/samples_$v/thermal_N${n}_train.h5" -train_val "$OUT/samples_$v/thermal_N${n}_test.h5" \
        -train_epochs "$EPOCHS" -train_batch "$BATCH" -train_micro_batch 8 -train_optimizer adam -train_lr "$LR" \
        -train_resume false -train_png false -quiet -out_dir "$OUT/runs_$v/${m}_N$n"
    done
    if [ "$AUGMENT" = 1 ]; then # DCGAN per class, each generating twice its real count: threefold data (paper 001)
      g=$OUT/gan_$v/N$n
      run "gan_${v}_N${n}_eq" thermal-gan -seed "$SEED" -gan_data "$OUT/samples_$v/thermal_N${n}_train.h5" -gan_class 1 -gan_defines "$GAN_DEFINES" \
        -gan_generator "$GAN_G" -gan_discriminator "$GAN_D" -gan_steps "$GAN_STEPS" -gan_generate_factor 2 -gan_augment true -quiet -out_dir "$g/eq"
      run "gan_${v}_N${n}_quiet" thermal-gan -seed "$SEED" -gan_data "$g/eq/augmented.h5" -gan_class 0 -gan_defines "$GAN_DEFINES" \
        -gan_generator "$GAN_G" -gan_discriminator "$GAN_D" -gan_steps "$GAN_STEPS" -gan_generate_factor 2 -gan_augment true -quiet -out_dir "$g/quiet"
      run "train_${v}_drsn_cw_aug_N$n" train -seed "$SEED" -train_model inputs/models/drsn_cw.model -train_defines "SIZE=$SIZE" \
        -train_data "$g/quiet/augmented.h5" -train_val "$OUT/samples_$v/thermal_N${n}_test.h5" \
        -train_epochs "$EPOCHS" -train_batch "$BATCH" -train_micro_batch 8 -train_optimizer adam -train_lr "$LR" \
        -train_resume false -train_png false -quiet -out_dir "$OUT/runs_$v/drsn_cw_aug_N$n"
    fi
  done
done
[ "$AUGMENT" = 1 ] && MODELS="$MODELS,drsn_cw_aug"
run forecast thermal-forecast -seed "$SEED" -tfc_runs "$OUT/runs_main" -tfc_samples "$OUT/samples_main" -tfc_control_runs "$OUT/runs_control" \
  -tfc_control_samples "$OUT/samples_control" -tfc_models "$MODELS" -tfc_days "$DAYS" -tfc_bootstrap "$BOOT" \
  -tfc_title "Thermal short-term forecasting (paper 001): CENC M >= $MMIN epicentres $START..$END over a synthetic LST stack" -out_dir "$OUT/forecast"
echo "== report: $OUT/forecast/THERMAL_FORECAST.md"
