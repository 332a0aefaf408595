#!/usr/bin/env bash
# test_valgrind.sh — valgrind memcheck on the single-rank paths (issue 12): every stage on a
# tiny input, run as an MPI singleton under memcheck with Open MPI's suppression file; any
# invalid read/write, use of uninitialised memory, invalid free or fishy argument fails the
# case (--error-exitcode). Leak checking is off: Open MPI, PETSc and HDF5 keep allocations
# until exit (the fuzz harnesses check our parsers for leaks under LeakSanitizer).
# Skips when valgrind is not installed (make deps installs it).
cd "$(dirname "$0")/../.." && . tests/cli/lib.sh
if ! command -v valgrind >/dev/null; then skip valgrind "valgrind not installed (apt-get install valgrind)"; exit 0; fi
SUP=$(ls /usr/share/openmpi/openmpi-valgrind.supp 2>/dev/null)
VG=(valgrind -q --error-exitcode=97 --track-origins=no --leak-check=no ${SUP:+--suppressions=$SUP})
vg() { # vg NAME ARGS...: one stage under memcheck
  local name="$1"; shift
  if timeout 900 "${VG[@]}" $P "$@" >"$TMP/$name.log" 2>&1; then ok "$name"
  else fail "$name" "exit $? under valgrind" "$(grep -m 12 '==[0-9]*==' "$TMP/$name.log")"; fi
}
S=(-seed 3 -synth_nx 12 -synth_ny 10 -synth_res_km 4 -synth_days 60 -synth_stations 2 -synth_png false -quiet)
expect synth_input 0 '' -- $P synth "${S[@]}" -out_dir "$TMP/s"
vg synth synth "${S[@]}" -synth_png true -out_dir "$TMP/vs"
vg rst rst -rst_input "$TMP/s/lst.h5" -rst_catalog "$TMP/s/catalog.h5" -rst_min_samples 2 -rst_png_maps 1 -quiet -out_dir "$TMP/vr"
vg rst_forecast rst-forecast -rstf_input "$TMP/vr/rst.h5" -rstf_cell_deg 0.1 -quiet -out_dir "$TMP/vrf"
vg vmd vmd -vmd_input "$TMP/s/stations.h5" -vmd_kmax 3 -vmd_max_iter 50 -vmd_png 1 -quiet -out_dir "$TMP/vv"
vg cluster cluster -cluster_catalog "$TMP/s/catalog.h5" -cluster_k 3 -cluster_replicates 2 -quiet -out_dir "$TMP/vc"
vg thermal_samples thermal-samples -thermal_input "$TMP/s/lst.h5" -thermal_catalog "$TMP/s/catalog.h5" -thermal_mmin 2.5 -thermal_size 6 -thermal_days 3,4 -quiet -out_dir "$TMP/vts"
expect thermal_samples11 0 '' -- $P thermal-samples -thermal_input "$TMP/s/lst.h5" -thermal_catalog "$TMP/s/catalog.h5" -thermal_mmin 2.5 -thermal_size 11 -thermal_days 3 -thermal_png false -quiet -out_dir "$TMP/vts11"
expect thermal_train 0 '' -- $P train -train_model inputs/models/cnn2d.model -train_defines SIZE=11 -train_data "$TMP/vts11/thermal_N3_train.h5" -train_val none -train_max_steps 2 -train_batch 4 -train_micro_batch 2 -train_png false -quiet -out_dir "$TMP/vtr/cnn2d_N3"
vg thermal_forecast thermal-forecast -tfc_runs "$TMP/vtr" -tfc_samples "$TMP/vts11" -tfc_models cnn2d -tfc_days 3 -tfc_bootstrap 20 -quiet -out_dir "$TMP/vtf"
vg thermal_gan thermal-gan -gan_data "$TMP/vts11/thermal_N3_train.h5" -gan_defines NZ=4,G1=4,G2=4,G3=4,G4=4,D1=4,D2=4,D3=4,D4=4,D5=4 -gan_steps 2 -gan_batch 4 -gan_micro_batch 2 -gan_generate 4 -gan_augment true -quiet -out_dir "$TMP/vtg"
vg train train -options_file inputs/train_demo.opts -train_synthetic 128 -train_epochs 1 -train_batch 16 -train_micro_batch 8 \
  -train_defines CLASSES=4,LEN=32 -train_lr_schedule constant -train_checkpoint_every 4 -train_resume false -quiet -out_dir "$TMP/vt"
# event detection: synthetic record (from the cluster output), windows, a 2-step model, detect
vg synth_waves synth-waves -sw_catalog "$TMP/vc/catalog.h5" -sw_hours 0.1 -sw_events_per_hour 60 -sw_gaps 1 -sw_max_dist_km 500 -quiet -out_dir "$TMP/vw"
vg windows windows -windows_waveforms "$TMP/vw/waveforms.h5" -windows_catalog "$TMP/vw/events.h5" -windows_shifts 1 -quiet -out_dir "$TMP/vx"
expect detect_model 0 'done:' -- $P train -train_model inputs/models/convnetquake.model -train_defines CLASSES=4,LEN=1000 -train_data "$TMP/vx/windows_train.h5" \
  -train_val none -train_batch 8 -train_micro_batch 8 -train_max_steps 2 -train_resume false -train_png false -quiet -out_dir "$TMP/vdm"
vg detect detect -detect_model "$TMP/vdm/model.h5" -detect_waveforms "$TMP/vw/waveforms.h5" -detect_catalog "$TMP/vw/events.h5" -detect_step_s 5 \
  -detect_testset "$TMP/vx/windows_test.h5" -quiet -out_dir "$TMP/vd"
vg selftest selftest -selftest_n 24 -selftest_nb 8 -out_dir "$TMP/vst"
D="${PRC_SHARED_DATA:-../shared/data}"
if [ -d "$D" ]; then
  head -n 400 "$D/catalogs/cenc_china_1970-2024.csv" >"$TMP/cenc.csv"
  vg import_catalog import-catalog -catalog_input "$TMP/cenc.csv" -catalog_png true -out_dir "$TMP/vic"
  head -n 600 "$D/geomag/cbi_2011-03_1min.iaga2002" >"$TMP/cbi.iaga2002"
  vg import_iaga import-iaga -iaga_input "$TMP/cbi.iaga2002" -out_dir "$TMP/via"
  head -c 16384 "$D/waveforms/BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed" >"$TMP/kw1.mseed"
  vg import_mseed import-mseed -mseed_input "$TMP/kw1.mseed" -out_dir "$TMP/vim"
  vg import_modis import-modis -modis_files "$D/lst/MOD11A1.A2019305.h14v09.hdf" -modis_native true -modis_png false -out_dir "$TMP/vio"
  vg indicators indicators -ind_catalog "$TMP/vic/catalog.h5" -ind_lat_min 20 -ind_lat_max 45 -ind_lon_min 95 -ind_lon_max 125 -ind_cell_deg 5 \
    -ind_start 1970-03-01 -ind_end 1971-06-01 -ind_step_days 30 -ind_n_events 10 -ind_label_mag 3.5 -ind_horizon_days 30 -out_dir "$TMP/vin"
  vg import_stead import-stead -stead_h5 "$D/waveforms/phasenet_154_100Hz.h5" -stead_csv "$D/waveforms/phasenet_154_100Hz.csv" -out_dir "$TMP/vis"
  vg evaluate evaluate -eval_input "$TMP/vin/indicators.h5" -eval_bootstrap 20 -out_dir "$TMP/vev"
else skip real_inputs "no $D"; fi
# the study on a synthetic feature table (tests/oracle/study_oracle.py), all three models
if /usr/bin/python3 tests/oracle/study_oracle.py make "$TMP/t.h5" 5 >/dev/null 2>&1; then
  vg study study -study_input "$TMP/t.h5" -study_test_start 2008-01-01 -study_test_days 730 -study_models climatology,logistic,mlp \
    -study_mlp_epochs 30 -study_boot 20 -out_dir "$TMP/vsd"
else skip study "python3-h5py missing"; fi
# a bad input too: the error path under memcheck
if timeout 300 "${VG[@]}" $P import-mseed -mseed_input tests/fuzz/regress/mseed-selflooping-blockette-chain -out_dir "$TMP/vbad" >"$TMP/bad.log" 2>&1; then
  fail error_path "a bad file was accepted"
elif grep -q '==[0-9]*==' "$TMP/bad.log"; then fail error_path "$(grep -m 8 '==[0-9]*==' "$TMP/bad.log")"
else ok error_path; fi
