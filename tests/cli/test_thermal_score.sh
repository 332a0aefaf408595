#!/usr/bin/env bash
# test_thermal_score.sh — a trained thermal image model on the forecast grid (issue 10,
# docs/THERMAL.md "On the study grid"): synth with anomalies before M >= 4.5 events,
# thermal-samples up to a date, train drsn_cw, thermal-score. Checks: the info_end of the
# training files (recomputed from the catalog and the groups) and the leakage rule (no unit
# before it; an explicit earlier start is refused); every score recomputed independently (crops
# cut and scaled in numpy, the network run in PyTorch from the model.h5 spec and tensors, the
# lookback maximum); 1 vs 2 vs 3 ranks identical; bad inputs leave no output.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
PY=/usr/bin/python3
S=(-seed 21 -synth_nx 40 -synth_ny 32 -synth_res_km 8 -synth_days 500 -synth_stations 0 -synth_rate 2 -synth_anom_mmin 4.5 -synth_png false -quiet)
expect synth 0 'catalog' -- $PRC_MPIRUN -n 2 $P synth "${S[@]}" -out_dir "$TMP/s"
expect samples 0 'N = 5 days' -- $PRC_MPIRUN -n 2 $P thermal-samples -thermal_input "$TMP/s/lst.h5" -thermal_catalog "$TMP/s/catalog.h5" \
  -thermal_mmin 4.5 -thermal_size 8 -thermal_days 5 -thermal_end 2010-12-31 -thermal_png false -quiet -out_dir "$TMP/samples"
expect train 0 'done: [0-9]+ steps' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/drsn_cw.model -train_defines SIZE=8 \
  -train_data "$TMP/samples/thermal_N5_train.h5" -train_val "$TMP/samples/thermal_N5_test.h5" -train_epochs 3 -train_batch 32 \
  -train_micro_batch 8 -train_lr 0.003 -train_png false -quiet -out_dir "$TMP/run"
F=(-tsc_model "$TMP/run/model.h5" -tsc_input "$TMP/s/lst.h5" -tsc_cell_deg 0.25 -tsc_lookback_days 3 -tsc_horizon_days 7 -tsc_step_days 2)
expect score_np1 0 'crops scored' 'training information until 2010-12' -- $P thermal-score "${F[@]}" -out_dir "$TMP/f1"
expect score_np2 0 'units' -- $PRC_MPIRUN -n 2 $P thermal-score "${F[@]}" -tsc_png false -quiet -out_dir "$TMP/f2"
expect score_np3 0 'units' -- $PRC_MPIRUN -n 3 $P thermal-score "${F[@]}" -tsc_png false -quiet -out_dir "$TMP/f3"
h5same np1_vs_np2 "$TMP/f1/forecast.h5" "$TMP/f2/forecast.h5"
h5same np1_vs_np3 "$TMP/f1/forecast.h5" "$TMP/f3/forecast.h5"
[ -s "$TMP/f1/thermal_score_map.png" ] && ok map_png || fail map_png "no thermal_score_map.png"
if out=$($PY - "$TMP/f1/forecast.h5" "$TMP/s/lst.h5" "$TMP/s/catalog.h5" "$TMP/samples" "$TMP/run/model.h5" <<'PY' 2>&1
import os, sys, tempfile, h5py, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, "tests/oracle")
from nn_model_torch import apply, parse_spec
fc, lst, catp, sdir, mp = sys.argv[1:6]
DAY = 86400.0
# info_end of the training files: eq groups -> event time, quiet -> last image + 1 day + guard
ie = -np.inf
cat = h5py.File(catp, "r")
ct = cat["catalog/time"][:]
for s in ("train", "test"):
    t = h5py.File(f"{sdir}/thermal_N5_{s}.h5", "r")
    kind, ev, tim, grp = t["sample/kind"][:], t["sample/event"][:], t["sample/time"][:], t["sample/group"][:]
    g = float(t.attrs["guard_days"]); want = -np.inf
    for q in np.unique(grp):
        r = np.where(grp == q)[0]
        want = max(want, ct[ev[r[0]]] if kind[r[0]] else tim[r].max() + DAY + g * DAY)
    assert abs(float(t.attrs["info_end"]) - want) < 1e-6, (s, t.attrs["info_end"], want)
    assert want <= 1293753600 + 12 * DAY, ("training information after -thermal_end + 1 day + guard", want)
    ie = max(ie, want)
f = h5py.File(fc, "r")["forecast"]
assert abs(float(f.attrs["info_end"]) - ie) < 1e-6, (f.attrs["info_end"], ie)
ut, us, uc, ud = f["time"][:], f["score"][:], f["cell"][:], f["days_defined"][:]
assert ut.min() >= ie, ("a unit before the end of the training information", ut.min(), ie)
# the model in torch
M = h5py.File(mp, "r")
txt = M.attrs["spec_text"]; txt = txt.decode() if isinstance(txt, bytes) else txt
defs = M.attrs["spec_defines"]; defs = defs.decode() if isinstance(defs, bytes) else defs
defines = dict(d.split("=", 1) for d in defs.split(",") if "=" in d) if defs not in ("", "none") else {}
with tempfile.NamedTemporaryFile("w", suffix=".model", delete=False) as tf:
    tf.write(txt)
spec = parse_spec(tf.name, defines); os.unlink(tf.name)
P = {k: torch.tensor(M["params"][k][:]) for k in M["params"]}
B = {k: torch.tensor(M["buffers"][k][:]) for k in M["buffers"]}
(iname, ishape), = spec["inputs"][:1]
W = ishape[-1]
def forward(x):
    env = {iname: x}
    for nname, layer, ins, keys in spec["nodes"]:
        env[nname] = apply(nname, layer, [env[i] for i in ins], keys, P, B, False)
    return env[spec["output"]]
L = h5py.File(lst, "r")
X, tim, lat, lon = L["lst"][:].astype(np.float64), L["time"][:], L["lat"][:], L["lon"][:]
d, la0, lo0, nlon = f.attrs["grid_dlat"], f.attrs["grid_lat_min"], f.attrs["grid_lon_min"], int(f.attrs["grid_nlon"])
look, step = f.attrs["lookback_days"] * DAY, f.attrs["step_days"] * DAY
assert abs(la0 - lat[0]) < 1e-9 and abs(lo0 - lon[0]) < 1e-9
cells = np.unique(uc)
# cells holding pixel centres
hold = {int(np.floor((a - la0) / d)) * nlon + int(np.floor((b - lo0) / d)) for a in lat for b in lon}
assert set(cells.tolist()) == hold, "cells != the cells holding pixel centres"
dl, dn = lat[1] - lat[0], lon[1] - lon[0]
prob = {}
torch.set_grad_enabled(False)
days = [i for i in range(len(tim)) if tim[i] >= ut.min() - look]
for c in cells:
    cla, clo = la0 + (c // nlon + 0.5) * d, lo0 + (c % nlon + 0.5) * d
    r = int(min(max(np.floor((cla - lat[0]) / dl + 0.5), 0), len(lat) - 1)); q = int(min(max(np.floor((clo - lon[0]) / dn + 0.5), 0), len(lon) - 1))
    crops, ok = [], []
    for i in days:
        cr = np.full((W, W), np.nan)
        for a in range(W):
            for b in range(W):
                y, x = r - W // 2 + a, q - W // 2 + b
                if 0 <= y < len(lat) and 0 <= x < len(lon): cr[a, b] = X[i, y, x]
        v = np.isfinite(cr); vf = v.mean()
        if v.sum() >= 2:
            mu = cr[v].mean(); sd = np.sqrt(((cr[v] - mu) ** 2).mean())
            cr = np.where(v, (cr - mu) / sd if sd > 0 else 0, 0)
        else:
            cr = np.zeros((W, W))
        if vf > 0 and vf >= 0.2: crops.append(cr.astype(np.float32)); ok.append(i)
    if crops:
        p = F.softmax(forward(torch.from_numpy(np.stack(crops)[:, None])), dim=1)[:, 1].numpy()
        for i, pi in zip(ok, p): prob[(i, c)] = float(pi)
worst, nd_bad = 0.0, 0
for t, s, c, nd in zip(ut, us, uc, ud):
    vals = [prob[(i, c)] for i in days if t - look <= tim[i] < t and (i, c) in prob]
    want = max(vals) if vals else 0.0
    worst = max(worst, abs(want - s)); nd_bad += len(vals) != nd
assert worst < 2e-5 and nd_bad == 0, (worst, nd_bad)
print(f"{len(ut)} units, {len(prob)} crops recomputed in numpy + torch: max |score - oracle| {worst:.1e}; info_end {ie:.0f}; "
      f"score > 0.5 in {(us > 0.5).sum()} units")
PY
); then ok oracle; echo "  # $out"; else fail oracle "$out"; fi
# leakage: a start before the end of the training information is refused
expect leak_start 1 'before the end of the training information' -- $P thermal-score "${F[@]}" -tsc_start 2010-06-01 -out_dir "$TMP/b0"
# a model whose training files cannot be found: auto cannot check
mkdir -p "$TMP/moved" && cp "$TMP/run/model.h5" "$TMP/moved/" && mv "$TMP/samples" "$TMP/samples_gone"
expect leak_unknown 1 'end of its training information is unknown' -- $P thermal-score "${F[@]}" -tsc_model "$TMP/moved/model.h5" -out_dir "$TMP/b1"
expect leak_unknown_scale 1 'give -tsc_scale' -- $P thermal-score "${F[@]}" -tsc_model "$TMP/moved/model.h5" -tsc_info_end 2011-01-10 -out_dir "$TMP/b2"
expect vouched 0 'training information until 2011-01-10' -- $P thermal-score "${F[@]}" -tsc_model "$TMP/moved/model.h5" -tsc_info_end 2011-01-10 -tsc_scale zscore -tsc_png false -out_dir "$TMP/f4"
mv "$TMP/samples_gone" "$TMP/samples"
expect bad_model 1 'model' -- $P thermal-score "${F[@]}" -tsc_model "$TMP/samples/thermal_N5_train.h5" -out_dir "$TMP/b3"
expect bad_missing 1 'nofile.h5' -- $P thermal-score "${F[@]}" -tsc_input "$TMP/nofile.h5" -out_dir "$TMP/b4"
expect bad_class 1 'tsc_class 5' -- $P thermal-score "${F[@]}" -tsc_class 5 -out_dir "$TMP/b5"
expect bad_info_end 2 'tsc_info_end' -- $P thermal-score "${F[@]}" -tsc_info_end yesterday -out_dir "$TMP/b6"
expect bad_scale 2 'tsc_scale' -- $P thermal-score "${F[@]}" -tsc_scale log -out_dir "$TMP/b7"
expect bad_start_late 1 'after the stack' -- $P thermal-score "${F[@]}" -tsc_start 2015-01-01 -out_dir "$TMP/b8"
if ls "$TMP"/b[0-8]/forecast.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b[0-8])"; else ok no_output; fi
