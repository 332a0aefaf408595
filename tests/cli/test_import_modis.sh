# tests/cli/test_import_modis.sh — `precursor import-modis` on the real tile
# ../shared/data/lst/MOD11A1.A2019305.h14v09.hdf (skipped if absent): resampled grid axes,
# nearest-neighbour values against the native-grid output recomputed with the forward
# sinusoidal formula in Python, 1 / 2 / 4 ranks bitwise identical, native mode, several
# days, quicklooks; bad inputs and options (named errors, no output).
. tests/cli/lib.sh

REAL="$PRC_SHARED_DATA/lst/MOD11A1.A2019305.h14v09.hdf"
# option errors need no data
expect opt_res_zero 2 'modis_res_deg 0: out of range' -- $P import-modis -modis_files x.hdf -modis_res_deg 0 -out_dir "$TMP/o"
expect opt_lat_order 2 'modis_lat_min 5 must be below -modis_lat_max 4' -- \
  $PRC_MPIRUN -n 2 $P import-modis -modis_files x.hdf -modis_lat_min 5 -modis_lat_max 4 -out_dir "$TMP/o"
expect opt_bad_qc 2 "QC mode 'lte3k' is not strict, lte2k or any" 'modis_sds dusk: expected night or day' -- \
  $P import-modis -modis_files x.hdf -modis_qc lte3k -modis_sds dusk -out_dir "$TMP/o"
expect opt_lat_range 2 'modis_lat_max 95: out of range' 'modis_lon_min abc: not a number' -- \
  $P import-modis -modis_files x.hdf -modis_lat_max 95 -modis_lon_min abc -out_dir "$TMP/o"
expect opt_native_region 2 'do not apply with -modis_native' -- \
  $P import-modis -modis_files x.hdf -modis_native true -modis_lat_min 1 -out_dir "$TMP/o"
expect opt_no_files 2 'modis_files is required' -- $P import-modis -out_dir "$TMP/o"
expect pattern_no_match 1 "pattern '$TMP/none\*.hdf' matches no file" -- $P import-modis -modis_files "$TMP/none*.hdf" -out_dir "$TMP/o"
printf 'not hdf\n' >"$TMP/MOD11A1.A2019305.h14v09.txt.hdf"
expect not_hdf4 1 'MOD11A1.A2019305.h14v09.txt.hdf. is not an HDF4 file' -- \
  $PRC_MPIRUN -n 2 $P import-modis -modis_files "$TMP/MOD11A1.A2019305.h14v09.txt.hdf" -out_dir "$TMP/o"
: >"$TMP/MOD11A1.A2019305.h14v09.empty.hdf"
expect empty_file 1 'empty.hdf. is not an HDF4 file' -- $P import-modis -modis_files "$TMP/MOD11A1.A2019305.h14v09.empty.hdf" -out_dir "$TMP/o"
[ -e "$TMP/o/lst.h5" ] && fail no_output_after_error "$TMP/o/lst.h5 exists" || ok no_output_after_error

if [ ! -r "$REAL" ]; then skip real_tile "no $REAL"; exit 0; fi
box=(-modis_lat_min -8 -modis_lat_max -5 -modis_lon_min -38 -modis_lon_max -35 -modis_res_deg 0.01)
expect box_np1 0 'LST_Night valid before QC 0.1556' 'tiles h14v09' 'output grid 300 x 300 x 1 days' -- \
  $P import-modis -modis_files "$REAL" "${box[@]}" -out_dir "$TMP/b1"
expect box_np2 0 'wrote' -- $PRC_MPIRUN -n 2 $P import-modis -modis_files "$REAL" "${box[@]}" -out_dir "$TMP/b2" -quiet
expect box_np4 0 'wrote' -- $PRC_MPIRUN -n 4 $P import-modis -modis_files "$REAL" "${box[@]}" -out_dir "$TMP/b4" -quiet
h5same ranks_1_2 "$TMP/b1/lst.h5" "$TMP/b2/lst.h5"
h5same ranks_1_4 "$TMP/b1/lst.h5" "$TMP/b4/lst.h5"
expect native_np2 0 'grid 1200 x 1200 \(native sinusoidal\)' -- \
  $PRC_MPIRUN -n 2 $P import-modis -modis_files "$REAL" -modis_native true -modis_qc any -out_dir "$TMP/n" -modis_png false -quiet
expect box_any 0 'after QC \(any\)' -- $P import-modis -modis_files "$REAL" "${box[@]}" -modis_qc any -out_dir "$TMP/ba" -modis_png false -quiet
if [ -s "$TMP/b1/lst_2019-11-01.png" ] && [ "$(head -c 8 "$TMP/b1/lst_2019-11-01.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
then ok quicklook_png; else fail quicklook_png "no $TMP/b1/lst_2019-11-01.png"; fi

# axes, date, values: independent check in Python (sinusoidal forward formula written here)
dump() { h5dump -d "$2" -b LE -o "$3" "$1" >/dev/null 2>&1; }
dump "$TMP/ba/lst.h5" /lst "$TMP/r.bin"; dump "$TMP/ba/lst.h5" /lat "$TMP/lat.bin"; dump "$TMP/ba/lst.h5" /lon "$TMP/lon.bin"
dump "$TMP/ba/lst.h5" /time "$TMP/t.bin"; dump "$TMP/n/lst.h5" /lst "$TMP/n.bin"; dump "$TMP/n/lst.h5" /lat "$TMP/nlat.bin"
if out=$(/usr/bin/python3 - "$TMP" <<'PY' 2>&1
import sys, numpy as np, calendar
d = sys.argv[1]
r = np.fromfile(d + "/r.bin", "<f4").reshape(300, 300)
lat = np.fromfile(d + "/lat.bin", "<f8"); lon = np.fromfile(d + "/lon.bin", "<f8"); t = np.fromfile(d + "/t.bin", "<f8")
n = np.fromfile(d + "/n.bin", "<f4").reshape(1200, 1200); nlat = np.fromfile(d + "/nlat.bin", "<f8").reshape(1200, 1200)
assert t.tolist() == [calendar.timegm((2019, 11, 1, 0, 0, 0))], t
assert np.allclose(lat, -8 + (np.arange(300) + 0.5) * 0.01, atol=1e-12, rtol=0), "lat axis"
assert np.allclose(lon, -38 + (np.arange(300) + 0.5) * 0.01, atol=1e-12, rtol=0), "lon axis"
assert nlat[0, 0] < nlat[-1, 0], "native rows are not south -> north"
R, T = 6371007.181, 1111950.5197665
ulx, uly, w = -20015109.354 + 14 * T, 10007554.677 - 9 * T, T / 1200
valid = 0; checked = 0
rng = np.random.default_rng(1)
for j, i in zip(rng.integers(0, 300, 3000), rng.integers(0, 300, 3000)):
    phi = np.radians(lat[j]); x = R * np.radians(lon[i]) * np.cos(phi); y = R * phi
    col = int(np.floor((x - ulx) / w)); row = int(np.floor((uly - y) / w))
    v = n[1199 - row, col]          # native output: rows flipped to south -> north
    a = r[j, i]
    assert (np.isnan(a) and np.isnan(v)) or a == v, (j, i, a, v)
    checked += 1; valid += not np.isnan(a)
assert valid > 300, valid
fin = r[np.isfinite(r)]
assert fin.min() >= 200 and fin.max() <= 350, (fin.min(), fin.max())
print("checked", checked, "valid", valid)
PY
); then ok resampled_axes_and_nearest_values; else fail resampled_axes_and_nearest_values "$out"; fi

# several days and tiles: copies of the tile under other names are rejected (metadata date)
cp "$REAL" "$TMP/MOD11A1.A2019306.h14v09.hdf"
expect date_mismatch 1 'A2019306.*disagrees with CoreMetadata.0 RANGEBEGINNINGDATE "2019-11-01"' -- \
  $PRC_MPIRUN -n 2 $P import-modis -modis_files "$REAL,$TMP/MOD11A1.A2019306.h14v09.hdf" "${box[@]}" -out_dir "$TMP/o"
cp "$REAL" "$TMP/MOD11A1.A2019305.h15v09.hdf"
expect tile_mismatch 1 'are not those of tile h15v09' -- $P import-modis -modis_files "$TMP/MOD11A1.A2019305.h15v09.hdf" -out_dir "$TMP/o"
cp "$REAL" "$TMP/lst_tile.hdf"
expect name_without_date 1 'lst_tile.hdf.: file name is not PRODUCT.AYYYYDDD.hHHvVV' -- $P import-modis -modis_files "$TMP/lst_tile.hdf" -out_dir "$TMP/o"
mkdir -p "$TMP/x"; cp "$REAL" "$TMP/x/"
expect duplicate_tile_day 1 'two files of tile h14v09 for day A2019305' -- $P import-modis -modis_files "$REAL,$TMP/x/*.hdf" -out_dir "$TMP/o"
head -c 1000000 "$REAL" >"$TMP/MOD11A1.A2019305.h14v09.trunc.hdf"
expect truncated 1 'trunc.hdf' -- $PRC_MPIRUN -n 2 $P import-modis -modis_files "$TMP/MOD11A1.A2019305.h14v09.trunc.hdf" -out_dir "$TMP/o"
expect region_outside 1 'is outside every one of the 1 tiles' 'does not intersect the region' -- \
  $P import-modis -modis_files "$REAL" -modis_lat_min 30 -modis_lat_max 31 -modis_lon_min 100 -modis_lon_max 101 -out_dir "$TMP/o"
[ -e "$TMP/o/lst.h5" ] && fail no_output_after_data_error "$TMP/o/lst.h5 exists" || ok no_output_after_data_error
