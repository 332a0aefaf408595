#!/usr/bin/env bash
# test_em_score.sh — a trained EM window model on the forecast grid (docs/EM.md "On the study
# grid"): synth with a station network, em-samples label windows up to -em_end (training) and over
# the whole period (scoring), train msrcnn (with the auxiliary input), em-score. Checks: em-samples'
# info_end (max window end + horizon) and that -em_end drops exactly the later windows; every window
# score recomputed in PyTorch from the model.h5 spec and tensors (distance input 1), the whole table
# recomputed in numpy (cells within the radius by haversine, the lookback maximum, 0 without a
# window, times_defined, grid, unit times) for two option sets; the leakage rule (auto start at the
# first unit at/after info_end, an earlier -emsc_start refused, training files unknown or without
# info_end refused, a vouched date and none accepted); 1 vs 2 vs 3 ranks identical; evaluate reads
# the table; bad inputs leave no output.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
PY=/usr/bin/python3
expect synth 0 'stations' -- $P synth -seed 21 -synth_nx 40 -synth_ny 40 -synth_res_km 4 -synth_days 400 -synth_stations 6 -synth_start 2011-01-01 \
  -synth_scenario 2011-06-15/6.2 -synth_png false -quiet -out_dir "$TMP/s"
ST="$TMP/s/stations.h5"
L=(-em_input "$ST" -em_mode label -em_catalog "$TMP/s/catalog.h5" -em_len 96 -em_stride 24 -em_radius_km 60 -em_horizon_days 10
   -em_classes normal,felt,strong -em_class_mags 3.5,4.5 -em_channels geomagnetic_field,ulf_field -quiet)
expect samples_train 0 'trainset.h5 \([0-9]+ samples\), valset.h5' -- $PRC_MPIRUN -n 2 $P em-samples "${L[@]}" -em_end 2011-09-28 -em_val_fraction 0.2 \
  -out_dir "$TMP/tr"
expect samples_all 0 'trainset.h5' -- $PRC_MPIRUN -n 2 $P em-samples "${L[@]}" -em_val_fraction 0 -out_dir "$TMP/all"
expect train 0 'done: [0-9]+ steps' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/msrcnn.model -train_defines CH=2,LEN=96,CLASSES=3 \
  -train_data "$TMP/tr/trainset.h5" -train_val "$TMP/tr/valset.h5" -train_epochs 2 -train_batch 16 -train_micro_batch 8 -train_png false -quiet \
  -out_dir "$TMP/m"
F=(-emsc_model "$TMP/m/model.h5" -emsc_data "$TMP/all/trainset.h5" -emsc_stations "$ST" -emsc_cell_deg 0.25 -emsc_radius_km 40
   -emsc_lookback_days 3 -emsc_horizon_days 7 -emsc_lon_max 101.9 -emsc_batch 50)
expect score_np1 0 'windows of 6 station\(s\) scored' 'training information until 2011-10-08T00:00:00Z' -- $P em-score "${F[@]}" -out_dir "$TMP/f1"
expect score_np2 0 'units' -- $PRC_MPIRUN -n 2 $P em-score "${F[@]}" -emsc_png false -quiet -out_dir "$TMP/f2"
expect score_np3 0 'units' -- $PRC_MPIRUN -n 3 $P em-score "${F[@]}" -emsc_png false -quiet -out_dir "$TMP/f3"
h5same np1_vs_np2 "$TMP/f1/forecast.h5" "$TMP/f2/forecast.h5"
h5same np1_vs_np3 "$TMP/f1/forecast.h5" "$TMP/f3/forecast.h5"
[ -s "$TMP/f1/em_score_map.png" ] && ok map_png || fail map_png "no em_score_map.png"
# a second option set: classes >= 2, half-day steps, a lookback that is not a whole number of days,
# no leakage check and an explicit start inside the training period
G=(-emsc_min_class 2 -emsc_step_days 0.5 -emsc_lookback_days 1.3 -emsc_radius_km 25 -emsc_cell_deg 0.1 -emsc_info_end none
   -emsc_start 2011-03-01T06:00:00 -emsc_lat_max 31.6)
expect none_np2 0 'training information until \(not checked\)' -- $PRC_MPIRUN -n 2 $P em-score "${F[@]}" "${G[@]}" -emsc_png false -out_dir "$TMP/g2"
if out=$($PY - "$TMP" 2011-09-28 10 <<'PY' 2>&1
import os, sys, tempfile, calendar, h5py, numpy as np, torch, torch.nn.functional as Fn
sys.path.insert(0, "tests/oracle")
from nn_model_torch import apply, parse_spec
tmp, em_end, H = sys.argv[1], sys.argv[2], float(sys.argv[3]) * 86400
DAY = 86400.0
tlast = calendar.timegm(tuple(int(v) for v in em_end.split("-")) + (0, 0, 0))
torch.set_default_dtype(torch.float64); torch.set_grad_enabled(False)
# em-samples: info_end = max window end + horizon per file; -em_end drops exactly the later windows
def windows(p):
    f = h5py.File(p, "r")
    return f, f["samples/station"][:], f["samples/end_time"][:]
ie = -np.inf
tr = set()
for name in ("trainset", "valset"):
    f, s, te = windows(f"{tmp}/tr/{name}.h5")
    want = te.max() + H
    assert abs(float(f.attrs["info_end"]) - want) < 1e-6, (name, f.attrs["info_end"], want)
    iu = f.attrs["info_end_utc"]; iu = iu.decode() if isinstance(iu, bytes) else iu
    assert iu == np.datetime_as_string(np.datetime64(int(want), "s")) + "Z", (iu, want)
    assert te.max() <= tlast, ("a training window after -em_end", te.max(), tlast)
    ie = max(ie, want); tr |= set(zip(s.tolist(), te.tolist()))
A, ast, ate = windows(f"{tmp}/all/trainset.h5")
assert abs(float(A.attrs["info_end"]) - (ate.max() + H)) < 1e-6
allw = set(zip(ast.tolist(), ate.tolist()))
assert len(allw) == len(ate) and ate.max() > tlast + 30 * DAY and tlast in ate, "the full set does not extend past -em_end or has no window ending at it: the check cannot fail"
assert tr == {w for w in allw if w[1] <= tlast}, ("-em_end kept", len(tr), "windows; want", sum(w[1] <= tlast for w in allw))
# the model in torch (float64), fed the windows with the distance input 1 (no event known)
M = h5py.File(f"{tmp}/m/model.h5", "r")
txt = M.attrs["spec_text"]; txt = txt.decode() if isinstance(txt, bytes) else txt
defs = M.attrs["spec_defines"]; defs = defs.decode() if isinstance(defs, bytes) else defs
defines = dict(d.split("=", 1) for d in defs.split(",") if "=" in d) if defs not in ("", "none") else {}
with tempfile.NamedTemporaryFile("w", suffix=".model", delete=False) as tf:
    tf.write(txt)
spec = parse_spec(tf.name, defines); os.unlink(tf.name)
P = {k: torch.tensor(M["params"][k][:], dtype=torch.float64) for k in M["params"]}
B = {k: torch.tensor(M["buffers"][k][:], dtype=torch.float64) for k in M["buffers"]}
names = [n for n, _ in spec["inputs"]]
assert len(names) == 2, names
aux = A["aux"][:].astype(np.float64); aux[:, 1] = 1.0
env = {names[0]: torch.tensor(A["x"][:].astype(np.float64)), names[1]: torch.tensor(aux)}
for nname, layer, ins, keys in spec["nodes"]:
    env[nname] = apply(nname, layer, [env[i] for i in ins], keys, P, B, False)
prob = Fn.softmax(env[spec["output"]], dim=1).numpy()
st = h5py.File(f"{tmp}/s/stations.h5", "r")["station_table"]
slat, slon = st["lat"][:], st["lon"][:]
def dist(la1, lo1, la2, lo2):
    p = np.radians
    h = np.sin(p(la2 - la1) / 2) ** 2 + np.cos(p(la1)) * np.cos(p(la2)) * np.sin(p(lo2 - lo1) / 2) ** 2
    return 2 * 6371 * np.arcsin(np.sqrt(np.minimum(h, 1)))
def check(path, minc, R, lat_max, lon_max, info_end, start):
    f = h5py.File(path, "r")["forecast"]
    score = prob[:, minc:].sum(1)                                  # window score P(class >= minc)
    used = np.unique(ast)
    la0, lo0 = slat[used].min(), slon[used].min()
    la1 = lat_max if lat_max is not None else slat[used].max(); lo1 = lon_max if lon_max is not None else slon[used].max()
    d = float(f.attrs["grid_dlat"])
    nlat, nlon = int(np.floor((la1 - la0) / d)) + 1, int(np.floor((lo1 - lo0) / d)) + 1
    assert (f.attrs["grid_lat_min"], f.attrs["grid_lon_min"], f.attrs["grid_nlat"], f.attrs["grid_nlon"]) == (la0, lo0, nlat, nlon), \
        ("grid", f.attrs["grid_lat_min"], f.attrs["grid_lon_min"], f.attrs["grid_nlat"], f.attrs["grid_nlon"], la0, lo0, nlat, nlon)
    L, step = f.attrs["lookback_days"] * DAY, f.attrs["step_days"] * DAY
    near = {}                                                      # cell -> stations within R of its centre
    for c in range(nlat * nlon):
        cla, clo = la0 + (c // nlon + 0.5) * d, lo0 + (c % nlon + 0.5) * d
        s = [q for q in used if dist(cla, clo, slat[q], slon[q]) <= R]
        if s: near[c] = (cla, clo, s)
    t0 = start if start is not None else np.floor(ate.min() / DAY) * DAY + L
    if start is None and t0 < info_end: t0 += np.ceil((info_end - t0) / step) * step
    times = t0 + step * np.arange(int(np.floor((ate.max() + DAY - t0) / step)) + 1)
    uc, ut, us, ud, ula, ulo = (f[k][:] for k in ("cell", "time", "score", "times_defined", "lat", "lon"))
    cells = sorted(near)
    assert len(uc) == len(cells) * len(times) and (uc == np.repeat(cells, len(times))).all(), ("cells", sorted(set(uc.tolist())), cells)
    assert np.abs(ut - np.tile(times, len(cells))).max() <= 1e-6, "unit times"
    worst, nd_bad, pos = 0.0, 0, 0
    for r in range(len(uc)):
        cla, clo, s = near[uc[r]]
        assert abs(ula[r] - cla) < 1e-9 and abs(ulo[r] - clo) < 1e-9
        w = np.isin(ast, s) & (ate >= ut[r] - L) & (ate < ut[r])
        want = score[w].max() if w.any() else 0.0
        worst = max(worst, abs(want - us[r])); nd_bad += len(np.unique(ate[w])) != ud[r]; pos += w.any()
    assert worst < 2e-6 and nd_bad == 0, (path, worst, nd_bad)
    assert pos > 0 and (start is None or pos < len(uc)), ("no unit with / without windows", pos, len(uc))
    return len(uc), len(cells), worst, times[0]
n1, c1, w1, first = check(f"{tmp}/f1/forecast.h5", 1, 40, None, 101.9, ie, None)
f1 = h5py.File(f"{tmp}/f1/forecast.h5", "r")["forecast"]
assert abs(float(f1.attrs["info_end"]) - ie) < 1e-6, (f1.attrs["info_end"], ie)
assert first >= ie and first - f1.attrs["step_days"] * DAY < ie, ("auto start not the first unit at/after info_end", first, ie)
n2, c2, w2, _ = check(f"{tmp}/g2/forecast.h5", 2, 25, 31.6, 101.9, -np.inf, calendar.timegm((2011, 3, 1, 6, 0, 0)))
assert c1 > 1 and c2 > c1, ("too few cells for the check to mean much", c1, c2)
sc = prob[:, 1:].sum(1)
print(f"{len(ate)} windows scored in torch; table 1: {n1} units ({c1} cells) max |score - oracle| {w1:.1e}; table 2: {n2} units ({c2} cells) "
      f"{w2:.1e}; info_end {ie:.0f}; window scores {sc.min():.3f}..{sc.max():.3f}")
PY
); then ok oracle; echo "  # $out"; else fail oracle "$out"; fi
expect evaluate 0 'units' -- $P evaluate -eval_input "$TMP/f1/forecast.h5" -eval_catalog "$TMP/s/catalog.h5" -eval_mmin 3.5 -eval_png false \
  -eval_bootstrap 50 -out_dir "$TMP/ev"
# leakage: an explicit start before the end of the training information is refused
expect leak_start 1 'before the end of the training information' -- $P em-score "${F[@]}" -emsc_start 2011-10-01 -out_dir "$TMP/b0"
# the training files cannot be found: auto cannot check; a vouched date is used as given
mkdir -p "$TMP/moved" && cp "$TMP/m/model.h5" "$TMP/moved/" && mv "$TMP/tr" "$TMP/tr_gone"
expect leak_unknown 1 'end of its training information is unknown' -- $P em-score "${F[@]}" -emsc_model "$TMP/moved/model.h5" -out_dir "$TMP/b1"
expect vouched 0 'training information until 2011-11-01' '2011-11-01\.\.' -- $P em-score "${F[@]}" -emsc_model "$TMP/moved/model.h5" \
  -emsc_info_end 2011-11-01 -emsc_png false -out_dir "$TMP/f4"
expect leak_vouched_start 1 'before the end of the training information' -- $P em-score "${F[@]}" -emsc_model "$TMP/moved/model.h5" \
  -emsc_info_end 2011-11-01 -emsc_start 2011-10-20 -out_dir "$TMP/b2"
mv "$TMP/tr_gone" "$TMP/tr"
# bad inputs
expect bad_model_missing 1 'nope.h5' -- $P em-score "${F[@]}" -emsc_model "$TMP/nope.h5" -out_dir "$TMP/b3"
expect bad_model_kind 1 'trainset.h5' -- $P em-score "${F[@]}" -emsc_model "$TMP/all/trainset.h5" -out_dir "$TMP/b4"
expect data_short 0 'trainset' -- $P em-samples "${L[@]}" -em_len 48 -em_val_fraction 0 -out_dir "$TMP/d48"
expect bad_shape 1 'do not have the input shape 2 x 96' -- $P em-score "${F[@]}" -emsc_data "$TMP/d48/trainset.h5" -out_dir "$TMP/b5"
expect data_chans 0 'trainset' -- $P em-samples "${L[@]}" -em_channels geomagnetic_field,geoelectric_field -em_val_fraction 0 -out_dir "$TMP/dch"
expect bad_channels 1 "trained on 'geomagnetic_field,ulf_field'" -- $P em-score "${F[@]}" -emsc_data "$TMP/dch/trainset.h5" -out_dir "$TMP/b6"
expect data_sim 0 'trainset' -- $P em-samples -em_input "$ST" -em_channels geomagnetic_field,ulf_field -em_classes a,b,c -em_class_amp 0.5,1,3 \
  -em_per_class 4 -em_len 96 -em_stride 100 -em_val_fraction 0 -em_png false -quiet -out_dir "$TMP/dsim"
expect bad_simulate 1 "not a label-mode window set \(em_mode 'simulate'" -- $P em-score "${F[@]}" -emsc_data "$TMP/dsim/trainset.h5" -out_dir "$TMP/b7"
expect bad_min_class 1 'emsc_min_class 3: .* has 3 classes' -- $P em-score "${F[@]}" -emsc_min_class 3 -out_dir "$TMP/b8"
expect bad_radius 1 'no cell centre of the grid lies within -emsc_radius_km 0.5' -- $P em-score "${F[@]}" -emsc_radius_km 0.5 -out_dir "$TMP/b9"
expect bad_lat_max 1 'emsc_lat_max 30.9 is south of the northernmost station' -- $P em-score "${F[@]}" -emsc_lat_max 30.9 -out_dir "$TMP/b10"
expect bad_stations 1 "expected 'stations'" -- $P em-score "${F[@]}" -emsc_stations "$TMP/s/catalog.h5" -out_dir "$TMP/b11"
expect bad_start_late 1 'after the windows' -- $P em-score "${F[@]}" -emsc_start 2015-01-01 -out_dir "$TMP/b12"
expect bad_info_end 2 "emsc_info_end 'yesterday'" -- $P em-score "${F[@]}" -emsc_info_end yesterday -out_dir "$TMP/b13"
expect bad_lon_max 2 "emsc_lon_max 'east'" -- $P em-score "${F[@]}" -emsc_lon_max east -out_dir "$TMP/b14"
expect bad_em_end 2 "em_end '2011-13-01'" -- $P em-samples "${L[@]}" -em_end 2011-13-01 -out_dir "$TMP/b15"
expect bad_em_end_sim 2 'em_end applies to -em_mode label only' -- $P em-samples -em_input "$ST" -em_end 2011-05-01 -out_dir "$TMP/b16"
# a training set without info_end (made by an older em-samples) is refused under auto
if $PY -c "import sys, h5py; f = h5py.File(sys.argv[1], 'r+'); del f.attrs['info_end']" "$TMP/tr/trainset.h5"; then
  expect leak_no_info_end 1 "has no info_end attribute: remake it .* or give -emsc_info_end" -- $P em-score "${F[@]}" -out_dir "$TMP/b17"
else fail leak_no_info_end "could not remove the attribute"; fi
if ls "$TMP"/b[0-9]*/forecast.h5* "$TMP"/b1[56]/*.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b*)"; else ok no_output; fi
