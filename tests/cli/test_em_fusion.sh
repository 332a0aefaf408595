#!/usr/bin/env bash
# test_em_fusion.sh — `precursor em-fusion` (ground–space fusion of paper 000, issue 7): label-mode
# windows of the ground and the space channels of a synthetic network, a small ground and space
# model trained on them, the fusion table identical on 1 and 2 ranks, and every row of the table
# checked against the rules in numpy (agreement within radius and window, the overlap of the
# stations' circles recomputed on a fine lat/lon grid, watch coverage, hits against the catalog); bad input.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
expect synth 0 'stations' -- $P synth -seed 21 -synth_nx 40 -synth_ny 40 -synth_res_km 4 -synth_days 400 -synth_stations 6 -synth_start 2011-01-01 \
  -synth_scenario 2011-06-15/6.2 -synth_png false -quiet -out_dir "$TMP/s"
L=(-em_input "$TMP/s/stations.h5" -em_mode label -em_catalog "$TMP/s/catalog.h5" -em_len 96 -em_stride 24 -em_radius_km 150 -em_horizon_days 10
   -em_val_fraction 0 -quiet)
expect ground_set 0 'trainset' -- $P em-samples "${L[@]}" -em_channels ground_resistivity,geomagnetic_field,geoelectric_field -out_dir "$TMP/g"
expect space_set 0 'trainset' -- $P em-samples "${L[@]}" -em_channels ionospheric_ne,ulf_field -out_dir "$TMP/p"
T=(-train_epochs 2 -train_batch 16 -train_micro_batch 8 -train_val none -train_png false -quiet)
expect ground_model 0 'done' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/msrcnn.model -train_defines CH=3,LEN=96 -train_data "$TMP/g/trainset.h5" "${T[@]}" -out_dir "$TMP/gm"
expect space_model 0 'done' -- $PRC_MPIRUN -n 2 $P train -train_model inputs/models/msrcnn.model -train_defines CH=2,LEN=96 -train_data "$TMP/p/trainset.h5" "${T[@]}" -out_dir "$TMP/pm"
F=(-fusion_stations "$TMP/s/stations.h5" -fusion_ground_model "$TMP/gm/model.h5" -fusion_ground_data "$TMP/g/trainset.h5"
   -fusion_space_model "$TMP/pm/model.h5" -fusion_space_data "$TMP/p/trainset.h5" -fusion_radius_km 60 -fusion_window_days 2 -fusion_watch_days 10
   -fusion_catalog "$TMP/s/catalog.h5" -fusion_eval_mag 3 -fusion_eval_days 10)
for np in 1 2; do
  expect "np$np" 0 'ground windows .* alarms' -- $PRC_MPIRUN -n $np $P em-fusion "${F[@]}" -out_dir "$TMP/f$np"
done
h5same np1_vs_np2 "$TMP/f1/fusion.h5" "$TMP/f2/fusion.h5"
grep '^\[em-fusion\] [0-9]' "$TMP/np1.out" | sed 's/^/  # /'
if out=$(/usr/bin/python3 - "$TMP/f1/fusion.h5" "$TMP/s/stations.h5" 60 2 10 "$TMP/s/catalog.h5" 3 "$TMP/g/trainset.h5" <<'PY' 2>&1
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["alarms"]; st = h5py.File(sys.argv[2], "r")["station_table"]
R, W, WA = float(sys.argv[3]), float(sys.argv[4]) * 86400, float(sys.argv[5]) * 86400
lat, lon = st["lat"][:], st["lon"][:]
def dist(la1, lo1, la2, lo2):
    p = np.radians
    h = np.sin(p(la2 - la1) / 2) ** 2 + np.cos(p(la1)) * np.cos(p(la2)) * np.sin(p(lo2 - lo1) / 2) ** 2
    return 2 * 6371 * np.arcsin(np.sqrt(np.minimum(h, 1)))
t, lev, s, src, alat, alon = a["time"][:], a["level"][:], a["station"][:], a["source"][:], a["lat"][:], a["lon"][:]
assert len(t) > 0, "no alarms at all: the test cannot fail"
assert (np.diff(t) >= 0).all(), "rows not in time order"
gr = src == 0
def overlap(m):
    """the circles' intersection on a fine regular lat/lon grid (area weights cos(lat)): area, centroid"""
    la0, lo0 = lat[m[0]], lon[m[0]]
    dla = R / 111.195 * 1.02; dlo = dla / np.cos(np.radians(la0))
    g = np.linspace(-1, 1, 401)
    LA, LO = np.meshgrid(la0 + dla * g, lo0 + dlo * g, indexing="ij")
    inside = np.ones(LA.shape, bool)
    for q in m: inside &= dist(LA, LO, lat[q], lon[q]) <= R
    w = np.cos(np.radians(LA)) * inside * np.radians(dla * (g[1] - g[0])) * np.radians(dlo * (g[1] - g[0])) * 6371.0 ** 2
    A = w.sum()
    if A == 0: return 0.0, np.nan, np.nan
    x, y, z = (np.cos(np.radians(LA)) * np.cos(np.radians(LO)), np.cos(np.radians(LA)) * np.sin(np.radians(LO)), np.sin(np.radians(LA)))
    vx, vy, vz = (w * x).sum(), (w * y).sum(), (w * z).sum()
    return A, np.degrees(np.arctan2(vz, np.hypot(vx, vy))), np.degrees(np.arctan2(vy, vx))
nov = 0
alarm_rows = [i for i in range(len(t)) if src[i] == 0 and lev[i] == 1]
check = set(alarm_rows[:: max(1, len(alarm_rows) // 25)])  # 25 overlaps recomputed (spread over the run)
for i in range(len(t)):
    if src[i] == 0:
        others = {s[j] for j in np.where(gr & (s != s[i]) & (np.abs(t - t[i]) <= W))[0] if dist(lat[s[i]], lon[s[i]], lat[s[j]], lon[s[j]]) <= R}
        assert lev[i] == (1 if others else 0), (i, lev[i], others)
        if others:
            m = [s[i]] + sorted(others)
            assert abs(a["centroid_lat"][i] - lat[m].mean()) < 1e-9 and abs(a["centroid_lon"][i] - lon[m].mean()) < 1e-9, "centroid column"
            A, cla, clo = overlap(m) if i in check else (0.0, np.nan, np.nan)
            if A > 0:
                assert dist(alat[i], alon[i], cla, clo) < 1.0, f"row {i}: overlap centre {alat[i]},{alon[i]} vs numpy {cla},{clo}"
                assert abs(a["area_km2"][i] - A) <= 0.02 * A, f"row {i}: overlap area {a['area_km2'][i]} vs numpy {A}"
                assert abs(a["radius_km"][i] - np.sqrt(A / np.pi)) <= 0.02 * np.sqrt(A / np.pi), "equivalent radius"
                nov += 1
    else:
        cover = [j for j in range(i) if lev[j] == 1 and t[j] <= t[i] <= t[j] + WA and dist(alat[j], alon[j], lat[s[i]], lon[s[i]]) <= R]
        assert lev[i] == (2 if cover else 3), (i, lev[i], cover)
# evaluation against the catalog, recomputed
c = h5py.File(sys.argv[6], "r")["catalog"]; M = float(sys.argv[7])
et, ela, elo, em = c["time"][:], c["lat"][:], c["lon"][:], c["mag"][:]
hit = a["hit"][:]
for i in range(len(t)):
    h = lev[i] in (1, 2) and any((em >= M) & (et > t[i]) & (et <= t[i] + 10 * 86400) & (dist(alat[i], alon[i], ela, elo) <= R))
    assert hit[i] == h, f"row {i}: hit {hit[i]} vs numpy {h}"
ev = h5py.File(sys.argv[1], "r")["evaluation"].attrs
gw = h5py.File(sys.argv[8], "r")["samples"]; gs, gt = gw["station"][:], gw["end_time"][:]
pos = sum(any((em >= M) & (et > gt[i]) & (et <= gt[i] + 10 * 86400) & (dist(lat[gs[i]], lon[gs[i]], ela, elo) <= R)) for i in range(len(gt)))
assert abs(ev["window_base_rate"] - pos / len(gt)) < 1e-12, f"base rate {ev['window_base_rate']} vs numpy {pos / len(gt)}"
assert ev["alarms"] == (lev == 1).sum() and ev["alarm_hits"] == hit[lev == 1].sum() and ev["warning_hits"] == hit[lev == 2].sum()
names = ["interference", "alarm", "warning", "recheck"]
print(f"{len(t)} rows checked ({nov} overlaps recomputed): " + ", ".join(f"{names[k]} {int((lev == k).sum())}" for k in range(4))
      + f"; hits: alarms {int(ev['alarm_hits'])}/{int(ev['alarms'])}, events detected {int(ev['events_detected'])}/{int(ev['events'])},"
      + f" (random {ev['window_base_rate']:.3f}), location error {ev['location_error_km']:.1f} km (overlap) vs {ev['location_error_centroid_km']:.1f} km (centroid)")
PY
); then ok rules; echo "  # $out"; else fail rules "$out"; fi
[ -s "$TMP/f1/fusion.md" ] && ok markdown || fail markdown "no fusion.md"
expect bad_model 1 'nope.h5' -- $P em-fusion "${F[@]}" -fusion_ground_model "$TMP/nope.h5" -out_dir "$TMP/b1"
expect bad_shape 1 'input shape' -- $P em-fusion "${F[@]}" -fusion_ground_data "$TMP/p/trainset.h5" -out_dir "$TMP/b2"
expect bad_stations 1 'stations' -- $P em-fusion "${F[@]}" -fusion_stations "$TMP/s/catalog.h5" -out_dir "$TMP/b3"
expect bad_catalog 1 'nope_cat.h5' -- $P em-fusion "${F[@]}" -fusion_catalog "$TMP/nope_cat.h5" -out_dir "$TMP/b4"
expect bad_catalog_kind 1 'catalog' -- $P em-fusion "${F[@]}" -fusion_catalog "$TMP/s/stations.h5" -out_dir "$TMP/b5"
expect bad_grid 2 'fusion_grid' -- $P em-fusion "${F[@]}" -fusion_grid 3 -out_dir "$TMP/b6"
if ls "$TMP"/b[1-6]/fusion.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b*)"; else ok no_output; fi
