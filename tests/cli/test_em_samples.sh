#!/usr/bin/env bash
# test_em_samples.sh — `precursor em-samples` (paper 000's EM samples, issue 7): bitwise identical
# trainset/valset on 1, 2 and 4 ranks (with VMD); an independent numpy construction of the
# simulation (tests/oracle/em_samples_oracle.py: hash, segments, smoothing, noise, reflection,
# aux, split) and a property check of the VMD variant; `precursor train` reads the output with
# msrcnn.model; catalog labels checked against a numpy recomputation; the real CBI/MMB records as
# base (skipped without ../shared/data); bad input leaves no output.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
expect synth 0 'stations' -- $P synth -seed 5 -synth_nx 32 -synth_ny 32 -synth_res_km 4 -synth_days 200 -synth_stations 3 \
  -synth_scenario 1970-03-20/6.0 -synth_start 1970-01-01 -synth_png false -quiet -out_dir "$TMP/s"
ST="$TMP/s/stations.h5"
A=(-em_input "$ST" -seed 7 -em_classes a,b,c -em_class_amp 0.5,1,3 -em_per_class 12 -em_len 64 -em_stride 250 -em_segments 30
   -em_gap_max 40 -em_seg_len_min 5 -em_seg_len_max 30 -em_seg_smooth 3 -em_snr_db -5 -em_val_fraction 0.25
   -em_channels geomagnetic_field,ulf_field)
ORA=(7 3 12 64 250 30 40 5 30 3 -5 0.25 0.5,1,3 geomagnetic_field,ulf_field)
for np in 1 2 4; do
  expect "vmd_np$np" 0 'VMD of 72 sample channels' 'trainset.h5 \(27 samples\)' -- $PRC_MPIRUN -n $np $P em-samples "${A[@]}" -em_vmd true -quiet -out_dir "$TMP/v$np"
done
for np in 2 4; do
  h5same "vmd_train_np1_vs_np$np" "$TMP/v1/trainset.h5" "$TMP/v$np/trainset.h5"
  h5same "vmd_val_np1_vs_np$np" "$TMP/v1/valset.h5" "$TMP/v$np/valset.h5"
done
expect plain_np3 0 'extended by reflection' -- $PRC_MPIRUN -n 3 $P em-samples "${A[@]}" -out_dir "$TMP/p"
if out=$(/usr/bin/python3 tests/oracle/em_samples_oracle.py "$ST" "$TMP/p" "${ORA[@]}" 2>&1); then ok oracle; echo "  # $out"; else fail oracle "$out"; fi
if out=$(/usr/bin/python3 tests/oracle/em_samples_oracle.py "$ST" "$TMP/v1" "${ORA[@]}" vmd 2 6 2>&1); then ok oracle_vmd; echo "  # $out"; else fail oracle_vmd "$out"; fi
[ -s "$TMP/p/em_sample.png" ] && [ -s "$TMP/p/em_classes.png" ] && ok png || fail png "no em_sample.png / em_classes.png"
# train reads the set with the multi-scale residual CNN and its auxiliary inputs
expect train 0 'val' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/msrcnn.model -train_defines CH=2,LEN=64,CLASSES=3 \
  -train_data "$TMP/p/trainset.h5" -train_val "$TMP/p/valset.h5" -train_epochs 1 -train_batch 9 -train_micro_batch 3 -train_png false \
  -quiet -out_dir "$TMP/t"
# em-eval: the model predicts the validation set again; same accuracy as train's validation, any rank count
for np in 1 2; do
  expect "eval_np$np" 0 'accuracy' -- $PRC_MPIRUN -n $np $P em-eval -em_eval_models "$TMP/t/model.h5,$TMP/t/model.h5" -em_eval_data "$TMP/p/valset.h5" \
    -em_eval_x -5,5 -em_eval_series a,b -out_dir "$TMP/ev$np"
done
h5same eval_np1_vs_np2 "$TMP/ev1/em_eval.h5" "$TMP/ev2/em_eval.h5"
va=$(grep -oE 'validation loss [0-9.]+ accuracy [0-9.]+' "$TMP/train.out" | tail -n 1 | awk '{print $5}')
ea=$(grep -oE 'accuracy [0-9.]+ \(9 test' "$TMP/eval_np1.out" | head -n 1 | awk '{print $2}')
[ -n "$va" ] && [ "$va" = "$ea" ] && ok eval_equals_train || fail eval_equals_train "train validation accuracy '$va', em-eval '$ea'"
if out=$(/usr/bin/python3 - "$TMP/ev1/em_eval.h5" <<'PY' 2>&1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
c, a, n = f["confusion"][:], f["accuracy"][:], f["n"][:]
assert c.shape == (2, 3, 3) and (c.sum((1, 2)) == n).all() and (n == 9).all(), (c.shape, n)
assert np.allclose(np.trace(c, axis1=1, axis2=2) / n, a), a
print(f"confusion rows sum to the test size, accuracy = trace / n = {a[0]:.4f}")
PY
); then ok eval_confusion; echo "  # $out"; else fail eval_confusion "$out"; fi
[ -s "$TMP/ev1/em_accuracy.png" ] && [ -s "$TMP/ev1/em_eval.md" ] && ok eval_outputs || fail eval_outputs "no em_accuracy.png / em_eval.md"
expect eval_bad_count 2 'expected 2 numbers' -- $P em-eval -em_eval_models "$TMP/t/model.h5,$TMP/t/model.h5" -em_eval_data "$TMP/p/valset.h5" -em_eval_x 1 -out_dir "$TMP/be1"
expect eval_bad_kind 1 'not a training/test set' -- $P em-eval -em_eval_models "$TMP/t/model.h5" -em_eval_data "$ST" -em_eval_x 1 -out_dir "$TMP/be2"
expect eval_bad_model 1 'nope.h5' -- $P em-eval -em_eval_models "$TMP/nope.h5" -em_eval_data "$TMP/p/valset.h5" -em_eval_x 1 -out_dir "$TMP/be4"
# catalog labels: every window's class recomputed from the catalog
expect label 0 'label: [0-9]+ windows' -- $PRC_MPIRUN -n 2 $P em-samples -em_input "$ST" -em_mode label -em_catalog "$TMP/s/catalog.h5" \
  -em_len 96 -em_stride 48 -em_radius_km 150 -em_horizon_days 5 -em_class_mags 3,4.5,6,7,8 -em_val_fraction 0.2 -out_dir "$TMP/l"
if out=$(/usr/bin/python3 - "$ST" "$TMP/s/catalog.h5" "$TMP/l" <<'PY' 2>&1
import sys, h5py, numpy as np
st, cat, od = sys.argv[1:4]
f, c = h5py.File(st, "r"), h5py.File(cat, "r")["catalog"]
slat, slon = f["station_table/lat"][:], f["station_table/lon"][:]
t, la, lo, m = c["time"][:], c["lat"][:], c["lon"][:], c["mag"][:]
thr = [3, 4.5, 6, 7, 8]
n = tot = 0
counts = np.zeros(6, int)
for name in ("trainset", "valset"):
    g = h5py.File(f"{od}/{name}.h5", "r")
    y, s, te, aux = g["y"][:], g["samples/station"][:], g["samples/end_time"][:], g["aux"][:]
    for r in range(len(y)):
        r0 = np.radians
        a = np.sin(r0(la - slat[s[r]]) / 2) ** 2 + np.cos(r0(slat[s[r]])) * np.cos(r0(la)) * np.sin(r0(lo - slon[s[r]]) / 2) ** 2
        d = 2 * 6371 * np.arcsin(np.sqrt(np.minimum(a, 1)))
        sel = (t > te[r]) & (t <= te[r] + 5 * 86400) & (d <= 150)
        want = 0 if not sel.any() else int(np.searchsorted(thr, m[sel].max(), side="right"))
        assert y[r] == want, (name, r, y[r], want)
        wd = 1.0 if not sel.any() else d[sel][np.argmax(m[sel])] / 150
        assert abs(aux[r, 1] - wd) < 1e-5, (r, aux[r, 1], wd)
        counts[want] += 1
        tot += 1
    assert np.isfinite(g["x"][:]).all()
assert counts[1:].sum() > 0, "no window labelled with an event: the test cannot fail"
print(f"{tot} windows, classes {counts.tolist()}")
PY
); then ok label_oracle; echo "  # $out"; else fail label_oracle "$out"; fi
expect eval_bad_shape 1 'input shape' -- $P em-eval -em_eval_models "$TMP/t/model.h5" -em_eval_data "$TMP/l/valset.h5" -em_eval_x 1 -out_dir "$TMP/be3"
if ls "$TMP"/be*/em_eval.h5* >/dev/null 2>&1; then fail eval_no_output "$(ls "$TMP"/be*)"; else ok eval_no_output; fi
# real data: the CBI and MMB 1-minute records block-averaged to 2 h as base records
G="${PRC_SHARED_DATA:-../shared/data}/geomag"
if [ ! -f "$G/cbi_2011-03_1min.iaga2002" ] || [ ! -f "$G/mmb_2011-03_1min.iaga2002" ]; then skip real_geomag "no $G"; else
  expect iaga 0 'CBI' -- $P import-iaga -options_file inputs/import_iaga.opts -iaga_input "$G/cbi_2011-03_1min.iaga2002,$G/mmb_2011-03_1min.iaga2002" \
    -out_dir "$TMP/g"
  expect real_geomag 0 'base CBI/H.*372 points, extended by reflection' -- $PRC_MPIRUN -n 2 $P em-samples -em_input "$TMP/g/stations.h5" \
    -em_channels CBI/H,CBI/Z,MMB/H,MMB/Z,MMB/F -em_per_class 10 -out_dir "$TMP/r"
fi
# bad input: clear messages, no output
expect bad_missing 1 'nope.h5' -- $P em-samples -em_input "$TMP/nope.h5" -out_dir "$TMP/b1"
expect bad_channel 1 "no channel 'rain'" -- $PRC_MPIRUN -n 2 $P em-samples "${A[@]}" -em_channels geomagnetic_field,rain -out_dir "$TMP/b2"
expect bad_station 1 "no station 'XXX'" -- $P em-samples "${A[@]}" -em_channels XXX/H -out_dir "$TMP/b3"
expect bad_amp_count 2 'expected 3 numbers' -- $P em-samples "${A[@]}" -em_class_amp 1,2 -out_dir "$TMP/b4"
expect bad_amp_neg 2 'must be finite and >= 0' -- $P em-samples "${A[@]}" -em_class_amp 1,-2,3 -out_dir "$TMP/b5"
expect bad_mode 2 "em_mode 'guess'" -- $P em-samples "${A[@]}" -em_mode guess -out_dir "$TMP/b6"
expect bad_label 2 'needs -em_catalog' -- $P em-samples -em_input "$ST" -em_mode label -out_dir "$TMP/b7"
expect bad_mags 2 'strictly ascending' -- $P em-samples -em_input "$ST" -em_mode label -em_catalog "$TMP/s/catalog.h5" -em_class_mags 3,5,4,7,8 -out_dir "$TMP/b8"
expect bad_kind 1 'stations' -- $P em-samples -em_input "$TMP/s/catalog.h5" -out_dir "$TMP/b9"
expect bad_split 1 'no training samples' -- $P em-samples "${A[@]}" -em_per_class 1 -em_val_fraction 0.9 -out_dir "$TMP/b10"
expect bad_window 1 'no window of 100000 points' -- $P em-samples -em_input "$ST" -em_mode label -em_catalog "$TMP/s/catalog.h5" -em_len 100000 -out_dir "$TMP/b11"
if ls "$TMP"/b*/*.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b*)"; else ok no_output; fi
