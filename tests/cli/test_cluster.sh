#!/usr/bin/env bash
# test_cluster.sh — `precursor cluster` (location classes, issue 9): identical output on 1, 2
# and 4 ranks; an independent numpy check of the written solution (projection, every event
# with its nearest centroid, every centroid the mean / coordinate-wise median of its members,
# counts, class -1 outside the selection, the cost); scipy's kmeans2 as a peer on the
# squared-Euclidean cost; bad input; the real CENC catalog (Sichuan-Yunnan box) if present.
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
expect synth 0 'catalog' -- $P synth -seed 11 -synth_nx 64 -synth_ny 64 -synth_res_km 4 -synth_days 400 -synth_stations 0 -synth_png false -quiet -out_dir "$TMP/s"
C=(-cluster_catalog "$TMP/s/catalog.h5" -cluster_k 5 -cluster_replicates 8 -cluster_mmin 2.8)
for np in 1 2 4; do
  expect "np$np" 0 'events in 5 classes' -- $PRC_MPIRUN -n $np $P cluster "${C[@]}" -out_dir "$TMP/c$np"
done
h5same np1_vs_np2 "$TMP/c1/catalog.h5" "$TMP/c2/catalog.h5"
h5same np1_vs_np4 "$TMP/c1/catalog.h5" "$TMP/c4/catalog.h5"
[ -s "$TMP/c1/cluster_map.png" ] && ok png || fail png "no cluster_map.png"
check() { /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy as np
path, metric, mmin = sys.argv[1], sys.argv[2], float(sys.argv[3])
box = [float(v) for v in sys.argv[4:8]] if len(sys.argv) > 4 else [-90, 90, -180, 180]
f = h5py.File(path); c = f["catalog"]; g = f["clusters"]
lat, lon, mag, cls = c["lat"][:], c["lon"][:], c["mag"][:], c["cluster"][:]
sel = (mag >= mmin) & (lat >= box[0]) & (lat <= box[1]) & (lon >= box[2]) & (lon <= box[3])
assert ((cls >= 0) == sel).all(), "class -1 must mark exactly the events not selected"
lat0, lon0 = lat[sel].mean(), lon[sel].mean()
K = 6371.0 * np.pi / 180
x = np.column_stack([(lon[sel] - lon0) * K * np.cos(np.radians(lat0)), (lat[sel] - lat0) * K]); a = cls[sel]
cx = np.column_stack([(g["lon"][:] - lon0) * K * np.cos(np.radians(lat0)), (g["lat"][:] - lat0) * K])
k = len(cx)
d = (np.abs(x[:, None, :] - cx[None]).sum(-1) if metric == "cityblock" else ((x[:, None, :] - cx[None]) ** 2).sum(-1))
own = d[np.arange(len(a)), a]
assert (own <= d.min(1) + 1e-6 * (1 + d.min(1))).all(), "an event is nearer to another centroid"
for j in range(k):
    m = x[a == j]
    want = np.mean(m, 0) if metric != "cityblock" else np.array([np.sort(m[:, q])[(len(m) - 1) // 2] for q in range(2)])
    assert np.allclose(want, cx[j], rtol=0, atol=1e-6), (j, want, cx[j])
    assert (a == j).sum() == g["count"][j]
cost = own.sum(); assert abs(cost - g.attrs["cost"]) <= 1e-6 * cost, (cost, g.attrs["cost"])
assert (np.diff(g["lat"][:]) >= 0).all(), "not in canonical (latitude) order"
out = f"{sel.sum()} events, {k} classes, cost {cost:.6g}"
if metric == "sqeuclidean":
    from scipy.cluster.vq import kmeans2
    best = min(((x - kmeans2(x, k, minit="++", seed=s)[0][kmeans2(x, k, minit="++", seed=s)[1]]) ** 2).sum() for s in range(10))
    out += f"; scipy kmeans2 best of 10: {best:.6g} (ratio {cost / best:.4f})"
    assert cost <= best * 1.02, "worse than scipy's best by more than 2 %"
print(out)
PY
}
if out=$(check "$TMP/c1/catalog.h5" cityblock 2.8 2>&1); then ok cityblock_solution; echo "  # $out"; else fail cityblock_solution "$out"; fi
expect sqeuclidean 0 'squared Euclidean' -- $PRC_MPIRUN -n 2 $P cluster "${C[@]}" -cluster_metric sqeuclidean -out_dir "$TMP/e"
if out=$(check "$TMP/e/catalog.h5" sqeuclidean 2.8 2>&1); then ok sqeuclidean_solution; echo "  # $out"; else fail sqeuclidean_solution "$out"; fi
# the output is still a catalog the other stages read
expect reread 0 'events in 3 classes' -- $P cluster -cluster_catalog "$TMP/c1/catalog.h5" -cluster_k 3 -cluster_png false -out_dir "$TMP/r"
# bad input
expect bad_k 1 'fewer than -cluster_k 9999' -- $PRC_MPIRUN -n 2 $P cluster "${C[@]}" -cluster_k 9999 -out_dir "$TMP/b1"
expect bad_metric 2 "cluster_metric 'manhattan'" -- $P cluster "${C[@]}" -cluster_metric manhattan -out_dir "$TMP/b2"
expect bad_box 2 'cluster_lat_min must be below' -- $P cluster "${C[@]}" -cluster_lat_min 40 -cluster_lat_max 30 -out_dir "$TMP/b3"
expect bad_missing 1 'nope.h5' -- $P cluster -cluster_catalog "$TMP/nope.h5" -out_dir "$TMP/b4"
expect bad_kind 1 'catalog' -- $P cluster -cluster_catalog "$TMP/s/lst.h5" -out_dir "$TMP/b5"
if ls "$TMP"/b[1-5]/catalog.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b[1-5])"; else ok no_output; fi
# real data
R="${PRC_SHARED_DATA:-../shared/data}/catalogs/cenc_china_1970-2024.csv"
if [ ! -f "$R" ]; then skip cenc "no $R"; else
  expect cenc_import 0 'events' -- $P import-catalog -catalog_input "$R" -catalog_png false -out_dir "$TMP/cenc"
  expect cenc_cluster 0 'events in 6 classes' -- $PRC_MPIRUN -n 2 $P cluster -options_file inputs/cluster_cenc.opts -cluster_catalog "$TMP/cenc/catalog.h5" -out_dir "$TMP/cc"
  grep '^\[cluster\] ' "$TMP/cenc_cluster.out" | head -n 8 | sed 's/^/  # /'
  if out=$(check "$TMP/cc/catalog.h5" cityblock 3 26 34 97 106 2>&1); then ok cenc_solution; echo "  # $out"; else fail cenc_solution "$out"; fi
fi
