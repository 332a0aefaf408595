#!/usr/bin/env bash
# test_detect.sh — the event-detection chain of paper 004 (issue 9): synth-waves, windows,
# train (ConvNetQuake spec), detect. Checks: every stage bitwise identical on 1, 2 and 4
# ranks; an independent numpy oracle of the windows (exact time slicing, joint normalisation,
# labels from the injected events' location classes, noise windows clear of every event,
# the noise:event ratio, augmentation noise level); an independent numpy merge of the
# per-window probabilities into detections; detection quality on an unseen synthetic record
# (recall of injected events, false detections per hour); gaps; bad input with no output;
# the real data (STEAD-style labelled windows + KW1 noise + the South Napa record) if present.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
expect synth 0 'catalog' -- $P synth -seed 5 -synth_nx 32 -synth_ny 32 -synth_res_km 4 -synth_days 300 -synth_stations 0 -synth_png false -quiet -out_dir "$TMP/s"
expect cluster 0 'in 3 classes' -- $P cluster -cluster_catalog "$TMP/s/catalog.h5" -cluster_k 3 -cluster_png false -quiet -out_dir "$TMP/c"
SW=(-sw_catalog "$TMP/c/catalog.h5" -sw_max_dist_km 50 -sw_snr_db 20 -sw_snr_spread_db 4 -sw_events_per_hour 40 -sw_gaps 2)
for np in 1 2 4; do
  expect "synth_waves_np$np" 0 'events injected' -- $PRC_MPIRUN -n $np $P synth-waves "${SW[@]}" -sw_hours 4 -quiet -out_dir "$TMP/w$np"
done
h5same synth_waves_np1_vs_np2 "$TMP/w1/waveforms.h5" "$TMP/w2/waveforms.h5"
h5same synth_waves_np1_vs_np4 "$TMP/w1/waveforms.h5" "$TMP/w4/waveforms.h5"
h5same synth_waves_events_np1_vs_np4 "$TMP/w1/events.h5" "$TMP/w4/events.h5"
WI=(-windows_waveforms "$TMP/w1/waveforms.h5" -windows_catalog "$TMP/w1/events.h5" -windows_shifts 2)
for np in 1 2 4; do
  expect "windows_np$np" 0 'event and [0-9]+ noise windows selected' -- $PRC_MPIRUN -n $np $P windows "${WI[@]}" -quiet -out_dir "$TMP/x$np"
done
for f in windows_train windows_test; do
  h5same "${f}_np1_vs_np2" "$TMP/x1/$f.h5" "$TMP/x2/$f.h5"
  h5same "${f}_np1_vs_np4" "$TMP/x1/$f.h5" "$TMP/x4/$f.h5"
done
[ -s "$TMP/x1/windows_examples.png" ] && ok windows_png || fail windows_png "no windows_examples.png"

# independent oracle of the windows
oracle() { /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy as np
wpath, epath, d = sys.argv[1], sys.argv[2], sys.argv[3]
W = h5py.File(wpath); name = W["trace_table/name"][0].decode(); tr = W["waveforms/" + name][:].astype(np.float64)
a = W["waveforms/" + name].attrs; t0, rate = float(a["start_time"]), float(a["sampling_rate"])
E = h5py.File(epath)["catalog"]; et, ec = E["time"][:], E["cluster"][:]
L, ga, gb = 1000, 60.0, 5.0
nev = nno = 0; worst = 0.0
for part in ("windows_train", "windows_test"):
    f = h5py.File(f"{d}/{part}.h5"); x, y = f["x"][:], f["y"][:]
    ts, kind, lev = f["windows/start_time"][:], f["windows/kind"][:], f["windows/noise_level"][:]
    assert x.shape[1:] == (3, L), x.shape
    orig = -1
    for i in range(len(y)):
        if kind[i] != 2: orig = i
        r0 = int(round((ts[i] - t0) * rate)); raw = tr[r0:r0 + L].T.copy()
        assert raw.shape == (3, L) and np.isfinite(raw).all(), "window leaves the record or holds a gap"
        raw -= raw.mean(1, keepdims=True); ref = raw / np.abs(raw).max()
        if kind[i] in (0, 1, 3):
            worst = max(worst, np.abs(ref - x[i]).max())
        if kind[i] == 0:
            j = np.argmin(np.abs(et - ts[i])); assert abs(et[j] - ts[i]) < 1e-6, "an event window not at an origin time"
            assert y[i] == ec[j] + 1, f"label {y[i]} for an event of class {ec[j]}"
            nev += part == "windows_train"
        if kind[i] == 3:
            j = np.argmin(np.abs(et - ts[i])); assert abs(et[j] - ts[i]) <= 3 + 1e-6 and y[i] == ec[j] + 1, "a shifted copy"
            assert part == "windows_train", "a shifted copy in the test set"
        if kind[i] == 1:
            assert y[i] == 0
            near = (et - gb < ts[i] + L / rate) & (et + L / rate + ga > ts[i])
            assert not near.any(), f"noise window at {ts[i]} overlaps an event's guard zone"
            nno += part == "windows_train"
        if kind[i] == 2:
            assert y[i] == y[orig] and ts[i] == ts[orig], "an augmented copy not after its window"
            dlt = x[i] - x[orig]; sd = dlt.std(); want = lev[i] * np.abs(x[orig]).max()
            assert abs(sd - want) < 0.1 * want, (sd, want)
    assert worst < 1e-5, f"window values differ from the oracle by {worst}"
print(f"{nev} train event windows, {nno} train noise windows; max |x - oracle| {worst:.2e}")
PY
}
if out=$(oracle "$TMP/w1/waveforms.h5" "$TMP/w1/events.h5" "$TMP/x1" 2>&1); then ok windows_oracle; echo "  # $out"; else fail windows_oracle "$out"; fi
# noise = min(ratio x events x (1 + shifts), clear windows available)
read -r nev nno avail < <(sed -n 's/.*\] \([0-9]*\) event and \([0-9]*\) noise windows selected.*; \([0-9]*\) clear noise.*/\1 \2 \3/p' "$TMP/windows_np1.out")
want=$((9 * ${nev:-0})); [ "$want" -gt "${avail:-0}" ] && want=${avail:-0}
if [ -n "$nev" ] && [ "$nno" = "$want" ] && grep -q 'with missing data' "$TMP/windows_np1.out"; then ok windows_ratio; echo "  # $nev event, $nno noise windows ($avail clear)"; else fail windows_ratio "events $nev, noise $nno, available $avail, expected noise $want"; fi

# train on the windows, detect on an unseen record (other seed)
expect train 0 'done:' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/convnetquake.model -train_defines CLASSES=4,LEN=1000 \
  -train_data "$TMP/x1/windows_train.h5" -train_val "$TMP/x1/windows_test.h5" -train_batch 32 -train_micro_batch 16 -train_optimizer adam \
  -train_lr 0.002 -train_lr_schedule cosine -train_epochs 5 -train_resume false -train_png false -quiet -out_dir "$TMP/t"
expect synth_waves_test 0 'events injected' -- $P synth-waves "${SW[@]}" -sw_hours 1 -sw_gaps 1 -seed 77 -quiet -out_dir "$TMP/u"
D=(-detect_model "$TMP/t/model.h5" -detect_waveforms "$TMP/u/waveforms.h5" -detect_catalog "$TMP/u/events.h5" -detect_min_windows 3 -detect_testset "$TMP/x1/windows_test.h5")
for np in 1 2 4; do
  expect "detect_np$np" 0 'catalog: [0-9]+ event' 'held-out windows' -- $PRC_MPIRUN -n $np $P detect "${D[@]}" -out_dir "$TMP/d$np"
done
h5same detect_np1_vs_np2 "$TMP/d1/detections.h5" "$TMP/d2/detections.h5"
h5same detect_np1_vs_np4 "$TMP/d1/detections.h5" "$TMP/d4/detections.h5"
h5same testset_np1_vs_np4 "$TMP/d1/testset_scores.h5" "$TMP/d4/testset_scores.h5"
ls "$TMP"/d1/detect_*.png >/dev/null 2>&1 && ok detect_png || fail detect_png "no detect_*.png"
grep '^\[detect\]' "$TMP/detect_np2.out" | grep -E 'catalog:|held-out|accuracy|h of data' | sed 's/^/  # /'
quality() { /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1]); E = h5py.File(sys.argv[2])["catalog"]
w = f["windows"]; t, p, sk = w["start_time"][:], w["p_event"][:], w["skipped"][:]
L, thr, minw = f.attrs["window_s"], f.attrs["threshold"], 3
# independent merge: runs of positive windows whose starts are at most L apart
pos = np.where((sk == 0) & (p >= thr))[0]; dets = []
for i in pos:
    if dets and t[i] <= dets[-1][1] + 0: dets[-1][1] = t[i] + L; dets[-1][2] += 1
    else: dets.append([t[i], t[i] + L, 1])
dets = [d for d in dets if d[2] >= minw]
g = f["detections"]; st = g["start_time"][:]
assert len(st) == len(dets) and np.allclose(st, [d[0] for d in dets]), (len(st), len(dets))
assert (sk[np.isnan(p)] >= 0).all()
hits = sum(any(d[0] <= te + 30 and d[1] >= te for d in dets) for te in E["time"][:] if te + 30 <= t[-1] + L)
n = sum(1 for te in E["time"][:] if te + 30 <= t[-1] + L)
rec = hits / n; hours = f.attrs["hours_scanned"]; fa = f.attrs["false_detections"] / hours
assert f.attrs["catalog_events_detected"] == hits, (f.attrs["catalog_events_detected"], hits)
print(f"recall {rec:.3f} ({hits}/{n}), {fa:.2f} false detections per hour, {int((sk > 0).sum())} windows skipped (gaps)")
assert (sk == 2).sum() > 0, "the record's gap skipped no window"
assert rec >= 0.8, f"recall {rec:.3f} below 0.8 at SNR 20 dB"
assert fa <= 30, f"{fa:.1f} false detections per hour"
PY
}
if out=$(quality "$TMP/d1/detections.h5" "$TMP/u/events.h5" 2>&1); then ok detect_quality; echo "  # $out"; else fail detect_quality "$out"; fi

# bad input: clear messages, no output
expect bad_model_missing 1 'nope.h5' -- $P detect -detect_model "$TMP/nope.h5" -detect_waveforms "$TMP/u/waveforms.h5" -out_dir "$TMP/b1"
expect bad_model_kind 1 'not a trained model' -- $PRC_MPIRUN -n 2 $P detect -detect_model "$TMP/u/waveforms.h5" -detect_waveforms "$TMP/u/waveforms.h5" -out_dir "$TMP/b2"
expect bad_rate 1 'another rate than 40 Hz' -- $PRC_MPIRUN -n 2 $P detect -detect_model "$TMP/t/model.h5" -detect_waveforms "$TMP/u/waveforms.h5" -detect_rate 40 -out_dir "$TMP/b3"
expect bad_waveforms_kind 1 'not a waveforms file' -- $P windows -windows_waveforms "$TMP/u/events.h5" -out_dir "$TMP/b4"
expect bad_anchor 2 'windows_anchor origin needs -windows_catalog' -- $P windows -windows_waveforms "$TMP/u/waveforms.h5" -windows_anchor origin -out_dir "$TMP/b5"
expect bad_augment 2 "windows_augment 'x'" -- $P windows -windows_waveforms "$TMP/u/waveforms.h5" -windows_augment x -out_dir "$TMP/b6"
expect bad_classes 1 'has no /catalog/cluster' -- $P windows -windows_waveforms "$TMP/u/waveforms.h5" -windows_catalog "$TMP/s/catalog.h5" -windows_classes clusters -out_dir "$TMP/b7"
expect bad_components 1 'no usable window' -- $P windows -windows_waveforms "$TMP/u/waveforms.h5" -windows_rate 50 -out_dir "$TMP/b8"
expect bad_testset_kind 1 'not a set of labelled windows' -- $P detect -detect_model "$TMP/t/model.h5" -detect_waveforms "$TMP/u/waveforms.h5" -detect_testset "$TMP/t/model.h5" -out_dir "$TMP/b9"
expect vertical_windows 0 'x 1000 samples' -- $P windows "${WI[@]}" -windows_components 1 -windows_png false -quiet -out_dir "$TMP/v1"
expect bad_testset_shape 1 'not \(N, 3, 1000\)' -- $P detect -detect_model "$TMP/t/model.h5" -detect_waveforms "$TMP/u/waveforms.h5" -detect_testset "$TMP/v1/windows_test.h5" -out_dir "$TMP/b11"
expect bad_sw_vs 2 'sw_vs must be below' -- $P synth-waves -sw_catalog "$TMP/c/catalog.h5" -sw_vs 7 -out_dir "$TMP/b10"
if ls "$TMP"/b[0-9]*/*.h5 >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b[0-9]*)"; else ok no_output; fi

# real data: 154 labelled windows (vertical) + KW1 noise, held-out scores, the South Napa M6.0, KW1 false detections
R=${PRC_SHARED_DATA:-../shared/data}/waveforms
if [ ! -f "$R/phasenet_154_100Hz.h5" ] || [ ! -f "$R/BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed" ] || [ ! -f "$R/BK.HELL.00.BH_2014-08-24_southnapa_40Hz.mseed" ]; then
  skip real_data "shared waveforms not found in $R"
else
  expect real_stead 0 'labels' -- $P import-stead -stead_h5 "$R/phasenet_154_100Hz.h5" -stead_csv "$R/phasenet_154_100Hz.csv" -stead_png_max 0 -quiet -out_dir "$TMP/rs"
  expect real_kw1 0 'BW.KW1' -- $P import-mseed -mseed_input "$R/BW.KW1..EHZ_2011-03-31_noise_100Hz.mseed" -mseed_png false -out_dir "$TMP/rk"
  expect real_hell 0 'resampled' -- $P import-mseed -mseed_input "$R/BK.HELL.00.BH_2014-08-24_southnapa_40Hz.mseed" -mseed_rate 100 -mseed_png false -out_dir "$TMP/rh"
  expect real_windows 0 '154 event and' -- $PRC_MPIRUN -n 2 $P windows -windows_waveforms "$TMP/rs/waveforms.h5,$TMP/rk/waveforms.h5" -windows_components 1 \
    -windows_anchor p -windows_shifts 2 -windows_continuous_tmax 2011-03-31T02:00:00 -quiet -out_dir "$TMP/rw"
  expect real_train 0 'done:' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/convnetquake.model -train_defines CH=1,CLASSES=2,LEN=1000 \
    -train_data "$TMP/rw/windows_train.h5" -train_val "$TMP/rw/windows_test.h5" -train_batch 32 -train_micro_batch 16 -train_optimizer adam \
    -train_lr 0.002 -train_lr_schedule cosine -train_epochs 10 -train_resume false -train_png false -quiet -out_dir "$TMP/rt"
    # the one event to find, as a ComCat CSV row (origin time, epicentre and magnitude of the USGS/NCSN solution)
  printf 'time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,place,type\n2014-08-24T10:20:44.070Z,38.2151,-122.3123,11.12,6.02,mw,,,,,nc,nc72282711,,South Napa,earthquake\n' >"$TMP/napa.csv"
  expect real_napa_catalog 0 'wrote' -- $P import-catalog -catalog_input "$TMP/napa.csv" -quiet -out_dir "$TMP/rn"
  expect real_napa 0 'catalog: 1 event\(s\) in the scanned span, 1 detected' -- $PRC_MPIRUN -n 2 $P detect -detect_model "$TMP/rt/model.h5" \
    -detect_waveforms "$TMP/rh/waveforms.h5" -detect_catalog "$TMP/rn/catalog.h5" -detect_match_after_s 60 -detect_min_windows 3 -out_dir "$TMP/rdh"
  grep -E '^\[detect\]   20|catalog:' "$TMP/real_napa.out" | sed 's/^/  # South Napa: /'
  expect real_kw1_heldout 0 'held-out windows' -- $PRC_MPIRUN -n 2 $P detect -detect_model "$TMP/rt/model.h5" -detect_testset "$TMP/rw/windows_test.h5" \
    -detect_waveforms "$TMP/rk/waveforms.h5" -detect_tmin 2011-03-31T02:00:00 -detect_min_windows 3 -out_dir "$TMP/rdk"
  grep -E 'accuracy|detection\(s\)' "$TMP/real_kw1_heldout.out" | sed 's/^/  # KW1 held out: /'
  rec=$(sed -n 's/.*recall \([0-9.]*\) specificity.*/\1/p' "$TMP/real_kw1_heldout.out")
  fph=$(sed -n 's/.*merged): \([0-9.]*\) per hour.*/\1/p' "$TMP/real_kw1_heldout.out")
  if awk -v r="$rec" -v f="$fph" 'BEGIN{exit !(r >= 0.8 && f <= 10)}'; then ok real_quality; else fail real_quality "held-out recall $rec (need >= 0.8), KW1 false detections $fph per hour (need <= 10)"; fi
fi
