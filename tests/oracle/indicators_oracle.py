#!/usr/bin/python3
"""indicators_oracle.py — independent numpy recomputation of `precursor indicators`.

  make CAT.h5 [--seed S] [--cut DATE]
      a small clustered GR catalog (b = 1, M >= 2.0, binned 0.1) on a 2 x 2 degree box
      (lat 30-32, lon 100-102), 2000-2010; --cut keeps only the events before DATE
      (for the end-to-end leakage check)
  check CAT.h5 IND.h5 [--cells K] [--all] [--b-range LO HI]
      recompute every indicator, label and score of the K busiest cells (or all cells) at
      every time from the catalog, with the options stored in IND.h5's provenance
      (-ind_* keys), and compare (rtol 1e-9, NaN where NaN); optional plausibility: the
      median b of the rows with n_used >= 30 lies in [LO, HI] and Mc is respected
      (n_used = events of the window in bins >= Mc). Prints "ORACLE PASS" or the mismatches.
  past CUT.h5 FULL.h5 DATE
      the rows with time <= DATE hold identical features in both indicator files
      (labels may differ): no information from after t reaches a feature at t.
"""
import argparse
import math
import sys
from datetime import datetime, timezone

import h5py
import numpy as np

DAY = 86400.0
NAMES = ["T", "Mmean", "dE_sqrt", "b", "b_sigma", "a", "eta", "dM", "mu", "c", "x1", "x2", "x3", "x4", "mmax7", "p_bg",
         "n_days", "mc", "n_window", "n_used", "n_char"]


def epoch(s):
    s = s.strip()
    fmt = "%Y-%m-%d" if len(s) == 10 else "%Y-%m-%dT%H:%M:%S"
    return datetime.strptime(s.rstrip("Z"), fmt).replace(tzinfo=timezone.utc).timestamp()


def mbin(m, dm):
    return np.floor(np.asarray(m) / dm + 0.5 + 1e-9).astype(np.int64)


def cmd_make(a):
    rng = np.random.default_rng(a.seed)
    t0, t1 = epoch("2000-01-01"), epoch("2010-01-01")
    n = 6000
    t = np.sort(rng.uniform(t0, t1, n))
    # a few bursts (aftershock-like clusters) in one corner
    burst = np.concatenate([tb + np.cumsum(rng.exponential(2 * DAY, 150)) for tb in rng.uniform(t0, t1, 4)])
    t = np.concatenate([t, burst])
    m = 0.1 * np.floor(10 * (1.95 - np.log10(rng.uniform(1e-12, 1, t.size))) + 0.5)
    lat = np.where(np.arange(t.size) < n, rng.uniform(30, 32, t.size), rng.normal(30.5, 0.05, t.size).clip(30.01, 31.99))
    lon = np.where(np.arange(t.size) < n, rng.uniform(100, 102, t.size), rng.normal(100.5, 0.05, t.size).clip(100.01, 101.99))
    keep = t < t1
    if a.cut:
        keep &= t < epoch(a.cut)
    t, m, lat, lon = t[keep], m[keep], lat[keep], lon[keep]
    o = np.argsort(t, kind="stable")
    t, m, lat, lon = t[o], m[o], lat[o], lon[o]
    with h5py.File(a.out, "w") as c:
        c.attrs["precursor_kind"] = np.bytes_("catalog")
        c.attrs["precursor_schema"] = np.int64(1)
        g = c.create_group("catalog")
        g.attrs["n_events"] = np.int64(t.size)
        g["time"], g["lat"], g["lon"], g["mag"] = t, lat, lon, m
        g["depth_km"] = np.full(t.size, 10.0)
        g["mag_type"] = np.array([b"ML"] * t.size, dtype="S8")
        g["source"] = np.array([b"oracle"] * t.size, dtype="S16")
    print(f"wrote {a.out}: {t.size} events, M {m.min():.1f}..{m.max():.1f}")


def options(f):
    txt = f["provenance"].attrs["options"]
    txt = txt.decode() if isinstance(txt, bytes) else str(txt)
    o = {}
    for line in txt.splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and parts[0].startswith("-"):
            o[parts[0][1:]] = parts[1].split("  #")[0].strip().strip('"')
    return o


def mle(m, kmc, dm):
    u = m[mbin(m, dm) >= kmc]
    if u.size < 2:
        return math.nan, math.nan, u.size
    mean, thr = u.mean(), kmc * dm - dm / 2
    if not mean > thr:
        return math.nan, math.nan, u.size
    b = 1 / (math.log(10) * (mean - thr))
    return b, math.log(10) * b * b * math.sqrt(((u - mean) ** 2).sum() / (u.size * (u.size - 1))), u.size


def lsq(m, kmc, dm):
    k = mbin(m, dm)
    k = k[k >= kmc]
    if k.size == 0 or k.max() - kmc + 1 < 2:
        return [math.nan] * 4
    ks = np.arange(kmc, k.max() + 1)
    N = np.array([(k >= q).sum() for q in ks], float)
    x, y = ks * dm, np.log10(N)
    A = np.vstack([np.ones_like(x), -x]).T
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    r = y - (a - b * x)
    K = x.size
    sb = math.sqrt((r @ r) / (K - 2) / ((x - x.mean()) ** 2).sum()) if K > 2 else math.nan
    return b, sb, a, (r @ r) / (K - 1)


def indicators(t, m, te, o):
    """t in days (sorted), m magnitudes: the indicators at te (a dict)."""
    dm, n_ev, span = float(o["ind_dm"]), int(o["ind_n_events"]), float(o["ind_span_days"])
    if span > 0:
        n_ev = 0
    H, pm, cm = float(o["ind_horizon_days"]), float(o["ind_p_mag"]), float(o["ind_char_mag"])
    minb, rn, rl = int(o["ind_min_events_b"]), int(o["ind_reyes_n"]), int(o["ind_reyes_lag"])
    r = {k: math.nan for k in NAMES}
    past = t < te
    tp, mp = t[past], m[past]
    wk = mp[tp >= te - 7]
    r["mmax7"] = wk.max() if wk.size else math.nan
    tc = tp[mp >= cm]
    r["n_char"] = tc.size
    if tc.size >= 2:
        d = np.diff(tc)
        r["mu"] = d.mean()
        if tc.size >= 3 and d.mean() > 0:
            r["c"] = d.std(ddof=1) / d.mean()
    if n_ev > 0:
        if tp.size < n_ev:
            r["n_window"], r["n_used"] = tp.size, 0
            return r
        wt, wm = tp[-n_ev:], mp[-n_ev:]
        D = te - wt[0]
    else:
        sel = tp >= te - span
        wt, wm, D = tp[sel], mp[sel], span
    r["n_window"], r["n_used"], r["n_days"] = wt.size, 0, D
    if wt.size == 0:
        return r
    if o["ind_mc"] == "auto":
        k = mbin(wm, dm)
        vals, cnt = np.unique(k, return_counts=True)
        kmc = int(mbin(vals[np.argmax(cnt)] * dm + float(o["ind_mc_corr"]), dm))
    else:
        kmc = int(mbin(float(o["ind_mc"]), dm))
    Mc = kmc * dm
    r["mc"] = Mc
    r["T"] = wt[-1] - wt[0] if wt.size >= 2 else math.nan
    u = wm[mbin(wm, dm) >= kmc]
    r["n_used"] = u.size
    if u.size == 0:
        return r
    r["Mmean"] = u.mean()
    if r["T"] > 0:
        r["dE_sqrt"] = np.sqrt(10 ** (11.8 + 1.5 * u)).sum() / r["T"]
    if u.size < minb:
        return r
    if o["ind_bmethod"] == "lsq":
        b, sb, a, eta = lsq(wm, kmc, dm)
    else:
        b, sb, _ = mle(wm, kmc, dm)
        a = math.log10(u.size) + b * Mc
        ks = np.arange(kmc, mbin(u, dm).max() + 1)
        N = np.array([(mbin(u, dm) >= q).sum() for q in ks], float)
        eta = (((np.log10(N) - (a - b * ks * dm)) ** 2).sum() / (ks.size - 1)) if ks.size >= 2 else math.nan
    if not (b > 0):
        return r
    r.update(b=b, b_sigma=sb, a=a, eta=eta, dM=u.max() - a / b)
    if D > 0:
        r["p_bg"] = 1 - math.exp(-(10 ** (a - b * pm)) / D * H)
    bj = []
    for j in range(5):
        end = mp.size - rl * j
        if end - rn < 0:
            bj.append(math.nan)
            continue
        bb, _, nu = mle(mp[end - rn:end], kmc, dm)
        bj.append(bb if nu >= minb else math.nan)
    for j in range(1, 5):
        r[f"x{j}"] = bj[j - 1] - bj[j]
    return r


def cmd_check(a):
    with h5py.File(a.catalog, "r") as c:
        g = c["catalog"]
        ct, lat, lon, mag = g["time"][:] / DAY, g["lat"][:], g["lon"][:], g["mag"][:]
    f = h5py.File(a.ind, "r")
    o = options(f)
    g = f["forecast"]
    cols = {k: g[k][:] for k in g.keys()}
    d, la0, lo0 = g.attrs["grid_dlat"], g.attrs["grid_lat_min"], g.attrs["grid_lon_min"]
    nlat, nlon, nt = int(g.attrs["grid_nlat"]), int(g.attrs["grid_nlon"]), int(g.attrs["n_times"])
    H, mlab = float(g.attrs["horizon_days"]), float(g.attrs["label_mag"])
    row, col = np.floor((lat - la0) / d), np.floor((lon - lo0) / d)
    inside = (row >= 0) & (row < nlat) & (col >= 0) & (col < nlon)
    cell = np.where(inside, row * nlon + col, -1).astype(np.int64)
    counts = np.bincount(cell[inside], minlength=nlat * nlon)
    cells = np.arange(nlat * nlon) if a.all else np.argsort(-counts, kind="stable")[: a.cells]
    bad, nchk = [], 0
    for cc in cells:
        idx = np.flatnonzero(cell == cc)
        idx = idx[np.lexsort((idx, ct[idx]))]
        t, m = ct[idx], mag[idx]
        for j in range(nt):
            rr = cc * nt + j
            te = cols["time"][rr] / DAY
            ref = indicators(t, m, te, o)
            lab = float(((t >= te) & (t < te + H) & (m >= mlab)).any())
            ref["label"] = ref["observed"] = lab
            b, aa, D = ref["b"], ref["a"], ref["n_days"]
            ref["score"] = 1 - math.exp(-(10 ** (aa - b * mlab)) / D * H) if (np.isfinite(b) and np.isfinite(aa) and D > 0) else 0.0
            ref["cell"] = cc
            for k, v in ref.items():
                got = cols[k][rr]
                if np.isnan(v) and np.isnan(got):
                    continue
                if not (abs(got - v) <= 1e-9 * abs(v) + 1e-12):
                    bad.append(f"cell {cc} time {j} {k}: file {got!r}, oracle {v!r}")
                nchk += 1
    nu, b, mc = cols["n_used"], cols["b"], cols["mc"]
    w = np.isfinite(b) & (nu >= 30)
    msg = f"{len(cells)} cells x {nt} times, {nchk} values compared"
    if a.b_range:
        med = float(np.median(b[w])) if w.any() else math.nan
        q = np.percentile(b[w], [5, 95]) if w.any() else [math.nan] * 2
        msg += f"; {w.sum()} rows with n_used >= 30: median b {med:.3f}, 5-95% {q[0]:.3f}..{q[1]:.3f}, median sigma_b {np.median(cols['b_sigma'][w]):.3f}"
        if not (a.b_range[0] <= med <= a.b_range[1]):
            bad.append(f"median b {med} outside {a.b_range}")
        fm = np.isfinite(mc)
        msg += f"; Mc median {np.median(mc[fm]):.2f} (range {mc[fm].min():.1f}..{mc[fm].max():.1f})"
    print(msg)
    for s in bad[:20]:
        print("  MISMATCH", s)
    print("ORACLE PASS" if not bad else f"ORACLE FAIL ({len(bad)} mismatches)")
    return 0 if not bad else 1


def cmd_past(a):
    cut = epoch(a.date)
    with h5py.File(a.cut, "r") as f1, h5py.File(a.full, "r") as f2:
        g1, g2 = f1["forecast"], f2["forecast"]
        tm = g1["time"][:]
        sel = tm <= cut
        bad = [k for k in NAMES if not np.array_equal(g1[k][:][sel], g2[k][:][sel], equal_nan=True)]
        lab_diff = int((g1["label"][:][sel] != g2["label"][:][sel]).sum())
        later = [k for k in ("b", "Mmean") if not np.array_equal(g1[k][:][~sel], g2[k][:][~sel], equal_nan=True)]
    print(f"{sel.sum()} rows at or before {a.date}: features differing: {bad or 'none'}; labels differing: {lab_diff}; "
          f"after the cut, differing: {later}")
    ok = not bad and later
    print("ORACLE PASS" if ok else "ORACLE FAIL")
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    s = p.add_subparsers(dest="cmd", required=True)
    m = s.add_parser("make")
    m.add_argument("out")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--cut", default="")
    c = s.add_parser("check")
    c.add_argument("catalog")
    c.add_argument("ind")
    c.add_argument("--cells", type=int, default=4)
    c.add_argument("--all", action="store_true")
    c.add_argument("--b-range", type=float, nargs=2, default=None)
    q = s.add_parser("past")
    q.add_argument("cut")
    q.add_argument("full")
    q.add_argument("date")
    a = p.parse_args()
    return {"make": cmd_make, "check": cmd_check, "past": cmd_past}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
