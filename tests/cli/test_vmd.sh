#!/usr/bin/env bash
# test_vmd.sh — `precursor vmd`: rank-count independence (1 vs 2 ranks, h5diff), the
# output is a station set (vmd runs on its own output), gaps stay NaN, bad input, and the
# real CBI/MMB March 2011 minute records (skipped without ../shared/data).
cd "$(dirname "$0")/../.."
. tests/cli/lib.sh
R="$PRC_MPIRUN"
S=(-seed 7 -synth_nx 8 -synth_ny 8 -synth_days 120 -synth_stations 2 -synth_gaps_per_year 12 -synth_start 2011-03-01)
expect synth 0 'stations' -- $P synth "${S[@]}" -out_dir "$TMP/s" -quiet
V=(-vmd_input "$TMP/s/stations.h5" -vmd_channels geomagnetic_field,ulf_field -vmd_kmax 5 -vmd_write_modes true -vmd_png 1)
expect np1 0 'record\(s\) of 2 station' 'K = ' -- $R -n 1 $P vmd "${V[@]}" -out_dir "$TMP/v1"
expect np2 0 'on 2 rank' -- $R -n 2 $P vmd "${V[@]}" -out_dir "$TMP/v2"
h5same np1_vs_np2 "$TMP/v1/vmd.h5" "$TMP/v2/vmd.h5"
# long segments over all ranks (-vmd_dist_min_samples, FFTW-MPI prc_vmd_dist_denoise): every
# segment of >= 200 samples decomposed by 2 and 4 ranks together vs the one-rank serial kernel:
# same K, same kept modes, omega within 1e-9, denoised samples within 1e-9 of max |input|
V0=(-vmd_input "$TMP/s/stations.h5" -vmd_channels geomagnetic_field,ulf_field -vmd_kmax 5 -vmd_png 0)
expect serial_nodist 0 'record' -- $R -n 1 $P vmd "${V0[@]}" -vmd_dist_min_samples 0 -out_dir "$TMP/d0"
for np in 2 4; do
  expect "dist_np$np" 0 'over all ranks' -- $R -n $np $P vmd "${V0[@]}" -vmd_dist_min_samples 200 -out_dir "$TMP/d$np"
  if /usr/bin/python3 - "$TMP/d0/vmd.h5" "$TMP/d$np/vmd.h5" >"$TMP/dcmp$np.txt" 2>&1 <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2]); nseg = 0; worst = 0.0
for code in a["vmd"]:
    for ch in a["vmd"][code]:
        ga, gb = a["vmd"][code][ch], b["vmd"][code][ch]
        assert (ga["segments"][:] == gb["segments"][:]).all()
        assert (ga["k"][:] == gb["k"][:]).all(), (code, ch, ga["k"][:], gb["k"][:])
        assert (ga["kept"][:] == gb["kept"][:]).all(), (code, ch)
        oa, ob = ga["omega"][:], gb["omega"][:]
        assert np.allclose(np.nan_to_num(oa), np.nan_to_num(ob), rtol=0, atol=1e-9), (code, ch, oa, ob)
        x = a["series"][code][ch]["values"][:]; y = b["series"][code][ch]["values"][:]
        assert (np.isnan(x) == np.isnan(y)).all()
        f = np.isfinite(x); d = np.max(np.abs(x[f] - y[f])) / np.max(np.abs(x[f]))
        worst = max(worst, d); nseg += len(ga["segments"][:])
        assert d < 1e-9, (code, ch, d)
print(f"{nseg} segments, max |den_dist - den_serial| / max|den| = {worst:.2e}")
PY
  then ok "dist_np${np}_vs_serial"; echo "  # $(cat "$TMP/dcmp$np.txt")"; else fail "dist_np${np}_vs_serial" "$(tail -n 3 "$TMP/dcmp$np.txt")"; fi
done
if [ -s "$TMP/v1/vmd_S001_geomagnetic_field.png" ] && [ ! -e "$TMP/v1/vmd_S002_geomagnetic_field.png" ]; then ok png; else fail png "PNGs: $(ls "$TMP/v1")"; fi
expect reread 0 'record\(s\)' -- $P vmd -vmd_input "$TMP/v1/vmd.h5" -vmd_kmin 1 -vmd_kmax 2 -vmd_png 0 -out_dir "$TMP/v3"
# gaps of the input stay NaN, every decomposed sample finite, per-record groups complete
if /usr/bin/python3 - "$TMP/s/stations.h5" "$TMP/v1/vmd.h5" <<'PY'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
for code in b["series"]:
    for ch in b["series"][code]:
        x = a["series"][code][ch]["values"][:]; y = b["series"][code][ch]["values"][:]
        assert len(x) == len(y), (code, ch)
        assert np.all(np.isnan(y[np.isnan(x)])), "gap filled"
        g = b["vmd"][code][ch]; seg = g["segments"][:]
        for s0, n in seg: assert np.all(np.isfinite(y[s0:s0 + n])), (code, ch, s0)
        k = g["k"][:]; m = g["modes"][:]
        for (s0, n), kk in zip(seg, k):
            assert np.allclose(np.nansum(m[:kk, s0:s0+n] * g["kept"][list(seg[:,0]).index(s0)][:kk, None], 0), y[s0:s0+n])
        assert set(ch for ch in b["series"][code]) == {"geomagnetic_field", "ulf_field"}
PY
then ok gaps_nan; else fail gaps_nan "python check failed"; fi
# bad input: clear message, non-zero status, no output
expect missing_channel 1 "no channel 'nope'" -- $R -n 2 $P vmd -vmd_input "$TMP/s/stations.h5" -vmd_channels nope -out_dir "$TMP/b1"
expect k0 2 'vmd_kmin' -- $R -n 2 $P vmd -vmd_input "$TMP/s/stations.h5" -vmd_kmin 0 -out_dir "$TMP/b2"
expect alpha_neg 2 'alpha' -- $R -n 2 $P vmd -vmd_input "$TMP/s/stations.h5" -vmd_alpha -1 -out_dir "$TMP/b3"
expect tol0 2 'tol' -- $R -n 2 $P vmd -vmd_input "$TMP/s/stations.h5" -vmd_tol 0 -out_dir "$TMP/b4"
expect kmin_gt_kmax 2 'K_min <= K_max' -- $R -n 2 $P vmd -vmd_input "$TMP/s/stations.h5" -vmd_kmin 5 -vmd_kmax 3 -out_dir "$TMP/b5"
/usr/bin/python3 - "$TMP/s/stations.h5" "$TMP/nan.h5" <<'PY'
import sys, shutil, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    g = f["series/S002/ulf_field"]; n = g["values"].shape[0]
    g["values"][:] = np.nan
    del g["gaps"]; g["gaps"] = np.array([[0, n]], dtype=np.int64); g.attrs["n_gaps"] = 1.0
PY
expect all_nan 1 'S002/ulf_field: no gap-free segment.*all NaN' -- $R -n 2 $P vmd -vmd_input "$TMP/nan.h5" -vmd_channels ulf_field -out_dir "$TMP/b6"
if ls "$TMP"/b[1-6]/vmd.h5* >/dev/null 2>&1; then fail no_output "$(ls "$TMP"/b[1-6])"; else ok no_output; fi
# the station-set reader on damaged files (issue 12: >= 10 malformed cases per reader)
printf 'not an HDF5 file\n' >"$TMP/text.h5"
/usr/bin/python3 - "$TMP/s/stations.h5" "$TMP" <<'PY'
import sys, shutil, h5py, numpy as np
src, d = sys.argv[1], sys.argv[2]
def edit(name, fn):
    shutil.copy(src, f"{d}/{name}.h5")
    with h5py.File(f"{d}/{name}.h5", "r+") as f: fn(f)
def rank2(f):
    g = f["series/S001/geomagnetic_field"]; v = g["values"][:]; del g["values"]; g["values"] = v.reshape(-1, 1) if len(v) % 2 else v.reshape(-1, 2)
edit("rank2", rank2)
edit("dt0", lambda f: f["series/S001/geomagnetic_field"].attrs.__setitem__("dt", 0.0))
edit("ngaps", lambda f: f["series/S001/geomagnetic_field"].attrs.__setitem__("n_gaps", 99.0))
edit("nostart", lambda f: f["series/S001/geomagnetic_field"].attrs.__delitem__("start_time"))
PY
VC=(-vmd_channels geomagnetic_field -vmd_kmax 3)
expect bad_missing_file 1 'nope.h5' -- $P vmd -vmd_input "$TMP/nope.h5" "${VC[@]}" -out_dir "$TMP/c1"
expect bad_not_hdf5 1 'text.h5' -- $R -n 2 $P vmd -vmd_input "$TMP/text.h5" "${VC[@]}" -out_dir "$TMP/c2"
expect bad_wrong_kind 1 "precursor_kind is 'catalog', expected 'stations'" -- $P vmd -vmd_input "$TMP/s/catalog.h5" "${VC[@]}" -out_dir "$TMP/c3"
expect bad_values_rank2 1 'values has rank 2, expected 1' -- $R -n 2 $P vmd -vmd_input "$TMP/rank2.h5" "${VC[@]}" -out_dir "$TMP/c4"
expect bad_dt0 1 'dt 0 \(expected finite and dt > 0\)' -- $P vmd -vmd_input "$TMP/dt0.h5" "${VC[@]}" -out_dir "$TMP/c5"
expect bad_gaps_shape 1 'gaps must be \(n_gaps = 99, 2\)' -- $P vmd -vmd_input "$TMP/ngaps.h5" "${VC[@]}" -out_dir "$TMP/c6"
expect bad_no_start_time 1 'start_time' -- $P vmd -vmd_input "$TMP/nostart.h5" "${VC[@]}" -out_dir "$TMP/c7"
if ls "$TMP"/c[1-7]/vmd.h5* >/dev/null 2>&1; then fail no_output_reader "$(ls "$TMP"/c[1-7])"; else ok no_output_reader; fi
# real data: CBI and MMB, March 2011, 1-minute
D="${PRC_SHARED_DATA:-../shared/data}/geomag"
files=$(ls "$D"/cbi_2011-03_1min.iaga2002 "$D"/mmb_2011-03_1min.iaga2002 2>/dev/null | paste -sd, -)
if [ -z "$files" ]; then skip real_cbi_mmb "no CBI/MMB March 2011 files under $D"; else
  expect real_import 0 'station' -- $P import-iaga -iaga_input "$files" -iaga_png false -out_dir "$TMP/r"
  expect real_vmd 0 'CBI/' 'MMB/' 'K = ' -- $R -n 2 $P vmd -vmd_input "$TMP/r/stations.h5" -vmd_channels all -vmd_kmax 6 \
    -vmd_min_segment 1440 -out_dir "$TMP/rv"
  grep -E '^\[vmd\]' "$TMP/real_vmd.out" | head -n 12
  if ls "$TMP"/rv/vmd_CBI_*.png >/dev/null 2>&1; then ok real_png; else fail real_png "no vmd_CBI_*.png"; fi
fi
# independent numpy oracle (tests/oracle/vmd_oracle.py): tones + noise, chirp, odd length;
# plain (K 3, tau 0, uniform init) and DC mode with dual ascent (K 4, tau 0.1, zero init)
if /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then
  /usr/bin/python3 tests/oracle/vmd_oracle.py make "$TMP/or.h5"
  for cfg in "3 1000 0 1e-7 500 false uniform" "4 500 0.1 1e-8 300 true zero"; do
    set -- $cfg
    expect "oracle_run_K$1" 0 'record' -- $P vmd -vmd_input "$TMP/or.h5" -vmd_kmin $1 -vmd_kmax $1 -vmd_alpha $2 -vmd_tau $3 \
      -vmd_tol $4 -vmd_max_iter $5 -vmd_dc $6 -vmd_init $7 -vmd_write_modes true -vmd_png 0 -out_dir "$TMP/or_$1"
    if out=$(/usr/bin/python3 tests/oracle/vmd_oracle.py check "$TMP/or.h5" "$TMP/or_$1/vmd.h5" $1 $2 $3 $4 $5 $6 2>&1); then
      ok "oracle_K$1"; echo "$out" | sed 's/^/  # /'
    else fail "oracle_K$1" "$out"; fi
  done
else skip oracle "no numpy/h5py"; fi
# denoising quality at SNR -20 .. 20 dB: corr(denoised, clean) >= corr(input, clean) - 0.01
# (the clean series rebuilt from the generator's parameters: tests/oracle/vmd_snr.py)
if /usr/bin/python3 -c 'import numpy, h5py' 2>/dev/null; then
  for s in -20 -10 0 10 20; do
    $P synth -options_file inputs/demo.opts -synth_days 365 -synth_start 2011-01-01 -synth_scenario 2011-06-15/6.2 \
      -synth_stations 4 -synth_snr_db $s -out_dir "$TMP/q/s$s" -quiet >/dev/null 2>&1
    $R -n 2 $P vmd -options_file inputs/vmd_demo.opts -vmd_input "$TMP/q/s$s/stations.h5" -vmd_png 0 -out_dir "$TMP/q/v$s" -quiet >/dev/null 2>&1
  done
  if out=$(/usr/bin/python3 tests/oracle/vmd_snr.py "$TMP/q" -20 -10 0 10 20 2>&1); then ok snr_quality; echo "$out" | sed 's/^/  # /'
  else fail snr_quality "$out"; fi
else skip snr_quality "no numpy/h5py"; fi
