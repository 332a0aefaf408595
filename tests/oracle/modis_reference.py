#!/usr/bin/python3
"""Test helper for the real-MODIS RST path (never used by the product).
  modis_reference.py make  DAY_LST_H5 REF_H5 YEARS SEED
      writes a synthetic multi-year daily reference stack on the same lat/lon grid as the
      imported MODIS day: the real field (gaps filled with its mean) + an annual cycle + a
      daily regional offset + pixel noise, 40 % of values missing; kind "grid".
  modis_reference.py check DAY_LST_H5 REF_H5 RST_H5 WINDOW MIN_SAMPLES
      recomputes R for the MODIS day from the two stacks with numpy and compares it with
      precursor's /retira (tolerance 2e-4; NaN exactly where the MODIS pixel is missing)."""
import sys, datetime as dt
import numpy as np
import h5py

def doy(t):
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=float(t))).timetuple().tm_yday - 1

if sys.argv[1] == "make":
    day_p, ref_p, years, seed = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    with h5py.File(day_p, "r") as f:
        lat, lon, t0 = f["lat"][...], f["lon"][...], f["time"][0]
        real = f["lst"][0].astype(np.float64)
    base = np.where(np.isfinite(real), real, np.nanmean(real))
    rng = np.random.default_rng(seed)
    n = int(365.25 * years)
    times = t0 - 86400.0 * np.arange(n, 0, -1)
    d = np.array([doy(t) for t in times])
    stack = (base[None] + 8 * np.cos(2 * np.pi * (d[:, None, None] - 196) / 365.25)
             + rng.normal(0, 2, (n, 1, 1)) + rng.normal(0, 1, (n,) + base.shape)).astype(np.float32)
    stack[rng.random(stack.shape) < 0.4] = np.nan
    with h5py.File(ref_p, "w") as f:
        f.attrs["precursor_kind"] = np.bytes_("grid")
        f.attrs["precursor_schema"] = 1
        f["lst"] = stack
        f["lst"].attrs["units"] = np.bytes_("K")
        f["time"], f["lat"], f["lon"] = times, lat, lon
    sys.exit(0)

day_p, ref_p, rst_p, w, nmin = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
with h5py.File(day_p, "r") as f:
    day, tday = f["lst"][0].astype(np.float64), f["time"][0]
with h5py.File(ref_p, "r") as f:
    S, times = f["lst"][...].astype(np.float64), f["time"][...]
with h5py.File(rst_p, "r") as f:
    r_p = f["retira"][0].astype(np.float64)
tb = np.nanmean(S.reshape(len(times), -1), axis=1)
dT = S - tb[:, None, None]
s = doy(tday)
sel = np.array([min(abs(doy(t) - s), 366 - abs(doy(t) - s)) <= w for t in times])
X = dT[sel]
cnt = np.isfinite(X).sum(0)
mu = np.nanmean(X, 0)
sd = np.sqrt(np.nanmean((X - mu) ** 2, 0))
R = (day - np.nanmean(day) - mu) / sd
R[(cnt < nmin) | ~np.isfinite(R)] = np.nan
same = np.array_equal(np.isnan(R), np.isnan(r_p))
d = np.nanmax(np.abs(R - r_p))
print(f"# MODIS day: {np.isfinite(day).sum()} valid pixels, {np.isfinite(r_p).sum()} defined R, max |diff| {d:.3e}, "
      f"NaN pattern {'equal' if same else 'DIFFERENT'}, mean |R| {np.nanmean(np.abs(r_p)):.3f}")
ok = same and d <= 2e-4 and np.array_equal(np.isfinite(r_p), np.isfinite(day))
print("ORACLE", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
