# tests/cli/test_rst_forecast.sh — `precursor rst-forecast`: the RST anomalies of `rst` as a
# forecast table. An independent numpy computation from /anomaly gives every score (the largest
# anomalous fraction of the cell's defined pixels on the days in [t - lookback, t)); 1, 2 and 4
# ranks give the same file; `evaluate` scores it against the catalog; bad inputs leave no output.
. tests/cli/lib.sh

expect synth 0 'outputs in' -- $PRC_MPIRUN -n 2 $P synth -synth_nx 20 -synth_ny 16 -synth_res_km 4 -synth_days 500 \
  -synth_stations 0 -synth_png false -quiet -synth_scenario 2010-09-15/6 -synth_anom_radius_km 12 -out_dir "$TMP/s"
expect rst 0 'outputs in' -- $PRC_MPIRUN -n 2 $P rst -rst_input "$TMP/s/lst.h5" -rst_start 2010-07-01 -rst_window_days 5 -rst_min_samples 8 \
  -rst_png false -quiet -out_dir "$TMP/r"
F=(-rstf_input "$TMP/r/rst.h5" -rstf_cell_deg 0.1 -rstf_lookback_days 3 -rstf_horizon_days 4 -rstf_step_days 2 -quiet)
for np in 1 2 4; do
  expect "np$np" 0 'units .* cells x .* times' -- $PRC_MPIRUN -n $np $P rst-forecast "${F[@]}" -out_dir "$TMP/f$np"
done
h5same np1_vs_np2 "$TMP/f1/forecast.h5" "$TMP/f2/forecast.h5"
h5same np1_vs_np4 "$TMP/f1/forecast.h5" "$TMP/f4/forecast.h5"
[ -s "$TMP/f1/rst_forecast_map.png" ] && ok map_png || fail map_png "no rst_forecast_map.png"
if out=$(/usr/bin/python3 - "$TMP/r/rst.h5" "$TMP/f1/forecast.h5" 0.1 3 4 2 <<'PY' 2>&1
import sys, h5py, numpy as np
r = h5py.File(sys.argv[1], "r"); f = h5py.File(sys.argv[2], "r")["forecast"]
d, L, H, S = (float(v) for v in sys.argv[3:7]); day = 86400.0
an, tim, lat, lon = r["anomaly"][:], r["time"][:], r["lat"][:], r["lon"][:]
la0, lo0 = lat.min(), lon.min()
nlat, nlon = int(np.floor((lat.max() - la0) / d)) + 1, int(np.floor((lon.max() - lo0) / d)) + 1
assert f.attrs["grid_nlat"] == nlat and f.attrs["grid_nlon"] == nlon and f.attrs["horizon_days"] == H
cellmap = np.floor((lat - la0) / d).astype(int)[:, None] * nlon + np.floor((lon - lo0) / d).astype(int)[None, :]
cells = np.unique(cellmap)
t0 = np.floor(tim[0] / day) * day + L * day
times = t0 + S * day * np.arange(int(np.floor((tim[-1] + day - t0) / (S * day))) + 1)
# per (day, cell) anomalous and defined counts
A = np.zeros((len(tim), nlat * nlon)); D = np.zeros_like(A)
for c in cells:
    m = cellmap == c
    A[:, c] = (an[:, m] == 1).sum(axis=1); D[:, c] = (an[:, m] >= 0).sum(axis=1)
want = []
for c in cells:
    for t in times:
        sel = (tim >= t - L * day) & (tim < t) & (D[:, c] > 0)
        want.append((A[sel, c] / D[sel, c]).max() if sel.any() else 0.0)
got = f["score"][:]
assert len(got) == len(want), f"{len(got)} units, numpy {len(want)}"
assert (f["cell"][:] == np.repeat(cells, len(times))).all() and np.allclose(f["time"][:], np.tile(times, len(cells)), rtol=0, atol=1e-6)
err = np.abs(got - np.array(want)).max()
assert err <= 1e-15, f"scores differ from numpy by {err}"
print(f"{len(got)} units ({len(cells)} cells x {len(times)} times) match numpy; {int((got > 0).sum())} with score > 0, max {got.max():.3f}")
PY
); then ok numpy_scores; echo "  # $out"; else fail numpy_scores "$out"; fi
expect evaluate 0 'units, .* with events' -- $P evaluate -eval_input "$TMP/f1/forecast.h5" -eval_catalog "$TMP/s/catalog.h5" -eval_mmin 3 -eval_png false \
  -eval_bootstrap 50 -out_dir "$TMP/ev"
# bad input
expect bad_missing 1 'nope.h5' -- $P rst-forecast "${F[@]}" -rstf_input "$TMP/nope.h5" -out_dir "$TMP/b1"
expect bad_kind 1 'anomaly' -- $P rst-forecast "${F[@]}" -rstf_input "$TMP/s/catalog.h5" -out_dir "$TMP/b2"
expect bad_grid 1 'must hold every point' -- $P rst-forecast "${F[@]}" -rstf_lat_min 60 -out_dir "$TMP/b3"
expect bad_start 1 'after the analysis period' -- $P rst-forecast "${F[@]}" -rstf_start 2030-01-01 -out_dir "$TMP/b4"
expect bad_lat 2 "rstf_lat_min 'north'" -- $P rst-forecast "${F[@]}" -rstf_lat_min north -out_dir "$TMP/b5"
expect bad_cell 2 'rstf_cell_deg' -- $P rst-forecast "${F[@]}" -rstf_cell_deg 0 -out_dir "$TMP/b6"
if ls "$TMP"/b[1-6]/forecast.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b*)"; else ok no_output; fi
