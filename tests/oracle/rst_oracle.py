#!/usr/bin/python3
"""Independent numpy implementation of `precursor rst` (the test oracle; never used by the
product). Usage: rst_oracle.py LST_H5 RST_H5 WINDOW MIN_SAMPLES THRESHOLD [month|doy] [EOF_MODES]
Reference period: the whole stack; analysis steps: those listed in RST_H5's /time.
With EOF_MODES > 0 the index is checked against a dense numpy SVD of the anomaly matrix
(pixels x analysis steps, missing = 0) with the leading modes removed (tolerance 2e-3). Prints the worst differences and exits
1 if any exceeds its tolerance:
  spatial mean   1e-6 K   (precursor sums in fixed point with a 2^-20 K quantum)
  background     1e-4 K   (float32 storage), count exact, NaN at the same pixels
  RETIRA         2e-4     (float32), NaN at the same pixels
  anomaly mask   equal wherever |R - k| > 1e-3"""
import sys
import datetime as dt
import numpy as np
import h5py

lst_p, rst_p, w, nmin, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
monthly = len(sys.argv) > 6 and sys.argv[6] == "month"
neof = int(sys.argv[7]) if len(sys.argv) > 7 else 0
with h5py.File(lst_p, "r") as f:
    T = f["lst"][...].astype(np.float64)
    time = f["time"][...]
with h5py.File(rst_p, "r") as f:
    tbar_p = f["spatial_mean"][...]  # analysis steps
    time_a = f["time"][...]
    mu_p = f["background/mean"][...]
    sd_p = f["background/sd"][...]
    cnt_p = f["background/count"][...]
    r_p = f["retira"][...]
    m_p = f["anomaly"][...]

nt, ny, nx = T.shape
days = [dt.datetime(1970, 1, 1) + dt.timedelta(seconds=float(t)) for t in time]
nb = 12 if monthly else 366
b = np.array([(d.month - 1) if monthly else (d.timetuple().tm_yday - 1) for d in days])
valid = np.isfinite(T)
tbar = np.where(valid.any(axis=(1, 2)), np.nansum(T, axis=(1, 2)) / np.maximum(valid.sum(axis=(1, 2)), 1), np.nan)
dT = T - tbar[:, None, None]
S0 = np.zeros((nb, ny, nx)); S1 = np.zeros((nb, ny, nx))
for t in range(nt):
    v = valid[t] & np.isfinite(tbar[t])
    S0[b[t]] += v
    S1[b[t]] += np.where(v, dT[t], 0)
W0 = np.zeros_like(S0); W1 = np.zeros_like(S1)
for s in range(nb):
    if monthly:
        sel = [s]
    else:
        sel = [x for x in range(nb) if min(abs(x - s), nb - abs(x - s)) <= w]
    W0[s] = S0[sel].sum(0); W1[s] = S1[sel].sum(0)
mu = np.where(W0 > 0, W1 / np.maximum(W0, 1), np.nan)
# second pass for the variance (two-pass formula, like the C reference)
W2 = np.zeros_like(S0)
for t in range(nt):
    v = valid[t] & np.isfinite(tbar[t])
    for s in range(nb):
        if monthly:
            inwin = s == b[t]
        else:
            d = abs(int(b[t]) - s); inwin = min(d, nb - d) <= w
        if inwin:
            W2[s] += np.where(v, (dT[t] - np.nan_to_num(mu[s])) ** 2, 0)
sd = np.sqrt(W2 / np.maximum(W0, 1))
undef = W0 < nmin
mu[undef] = np.nan; sd[undef] = np.nan
an = np.searchsorted(time, time_a)
assert np.array_equal(time[an], time_a), "analysis steps are not steps of the stack"
R = (dT[an] - mu[b[an]]) / sd[b[an]]
R[~np.isfinite(R)] = np.nan
if neof > 0:  # dense SVD of the anomaly (with the product's float32 background, missing = 0)
    A = (dT[an] - mu_p[b[an]].astype(np.float64))
    A[~np.isfinite(A)] = 0.0
    M = A.reshape(len(an), -1).T
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    Mf = M - (U[:, :neof] * S[:neof]) @ Vt[:neof]
    Rf = Mf.T.reshape(A.shape) / sd_p[b[an]].astype(np.float64)
    Rf[~np.isfinite(R)] = np.nan
    R = Rf

bad = []
def cmp(name, a, ref, tol):
    same_nan = np.array_equal(np.isnan(a), np.isnan(ref))
    d = np.nanmax(np.abs(a - ref)) if np.isfinite(ref).any() else 0.0
    print(f"# {name}: max |diff| {d:.3e} (tolerance {tol:g}), NaN pattern {'equal' if same_nan else 'DIFFERENT'}")
    if not same_nan or d > tol: bad.append(name)
cmp("spatial_mean", tbar_p, tbar[an], 1e-6)
cmp("background_mean", mu_p.astype(np.float64), mu, 1e-4)
cmp("background_sd", sd_p.astype(np.float64), sd, 1e-4)
if not np.array_equal(cnt_p, W0.astype(np.int64)): bad.append("background_count"); print("# background_count: DIFFERENT")
else: print("# background_count: equal")
cmp("retira", r_p.astype(np.float64), R, 2e-3 if neof else 2e-4)
mask = np.where(np.isnan(R), -1, (R >= k).astype(np.int8))
clear = ~(np.abs(R - k) <= 1e-3)
nd = int(((mask != m_p) & clear).sum())
print(f"# anomaly mask: {nd} differing pixels away from the threshold, {int((mask == 1).sum())} anomalous")
if nd: bad.append("anomaly")
print("ORACLE", "FAIL " + ",".join(bad) if bad else "PASS")
sys.exit(1 if bad else 0)
