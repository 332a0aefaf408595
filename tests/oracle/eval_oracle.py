#!/usr/bin/python3
"""eval_oracle.py — forecast files for `precursor evaluate` and an independent check of its output.

  make OUT.h5 [--mode observed|catalog] [--seed S] [--ncell C] [--ntime T] [--bad KIND] [--catalog CAT.h5]
      A forecast file (docs/DATA_MODEL.md, kind "forecast"): C cells of a regular 0.5-degree grid
      times T windows of 10 days; scores are probabilities of a logistic model; with mode
      "observed" the column /forecast/observed is drawn from them (a calibrated forecast) and a
      space-time weight column is added; with mode "catalog" a catalog file CAT.h5 is written
      whose events fall in the cells where the score is high, and the grid attributes and
      horizon_days are set. --bad writes a broken file (missing_score, mismatch, nan_score,
      obs_not01, no_observed, wrong_kind, partial_grid).
  check FORECAST.h5 EVALUATION.h5 [--catalog CAT.h5 --mmin M --days D] [--tau column|uniform]
      Recomputes everything with numpy/scipy (contingency scores, AUC via
      scipy.stats.mannwhitneyu, ROC and Molchan points, ASS, probability gain, binomial bounds via
      scipy.stats.binom, reliability bins) and prints ORACLE PASS, or the differences.
"""
import argparse
import sys

import h5py
import numpy as np
from scipy.stats import binom, mannwhitneyu

NAMES = ["accuracy", "pod", "specificity", "precision", "far", "pofd", "bias", "hk", "f1", "mcc", "hss", "auc", "ass", "gain"]
LAT0, LON0, D = 30.0, 100.0, 0.5
T0 = 1293840000.0  # 2011-01-01


def make(a):
    rng = np.random.default_rng(a.seed)
    nlat = 4
    nlon = (a.ncell + nlat - 1) // nlat
    cells = np.arange(a.ncell)
    cell = np.repeat(cells, a.ntime).astype(np.int64)
    time = np.tile(T0 + np.arange(a.ntime) * 10 * 86400.0, a.ncell)
    hot = rng.normal(size=a.ncell)  # a persistent "hazard" per cell
    lat_ = rng.normal(size=cell.size)
    logit = -2.2 + 1.2 * hot[cell] + 0.8 * lat_
    score = 1 / (1 + np.exp(-logit))
    score = np.round(score, 3)  # ties
    with h5py.File(a.out, "w") as f:
        f.attrs["precursor_kind"] = np.bytes_("grid" if a.bad == "wrong_kind" else "forecast")
        f.attrs["precursor_schema"] = np.int64(1)
        g = f.create_group("forecast")
        if a.bad != "missing_score":
            s = score.copy()
            if a.bad == "nan_score":
                s[7] = np.nan
            g["score"] = s
        g["cell"] = cell
        g["time"] = time
        if a.mode == "observed":
            obs = (rng.uniform(size=cell.size) < score).astype(np.float64)
            if a.bad == "obs_not01":
                obs[3] = 2
            if a.bad != "no_observed":
                g["observed"] = obs
            w = 1 + (cell % 3).astype(np.float64)
            g["weight"] = w[:-1] if a.bad == "mismatch" else w
        else:
            attrs = dict(grid_lat_min=LAT0, grid_lon_min=LON0, grid_dlat=D, grid_dlon=D, grid_nlat=float(nlat), grid_nlon=float(nlon))
            for k, v in attrs.items():
                if a.bad == "partial_grid" and k == "grid_nlon":
                    continue
                g.attrs[k] = v
            g.attrs["horizon_days"] = 10.0
            # events: in units drawn by their score, at a random place and time inside the unit
            pick = np.flatnonzero(rng.uniform(size=cell.size) < score * 0.8)
            extra = rng.integers(0, cell.size, size=pick.size // 5)  # a few doubles and random ones
            units = np.concatenate([pick, extra])
            row, col = cell[units] // nlon, cell[units] % nlon
            n = units.size
            lat = LAT0 + (row + rng.uniform(0.01, 0.99, n)) * D
            lon = LON0 + (col + rng.uniform(0.01, 0.99, n)) * D
            t = time[units] + rng.uniform(0.01, 9.99, n) * 86400
            mag = np.where(rng.uniform(size=n) < 0.85, rng.uniform(5.0, 6.5, n), rng.uniform(3.0, 4.9, n))
            # events outside the grid and before the first window are ignored
            lat = np.append(lat, [LAT0 - 1, LAT0 + 0.1])
            lon = np.append(lon, [LON0 + 0.1, LON0 + 0.1])
            t = np.append(t, [T0 + 86400, T0 - 86400])
            mag = np.append(mag, [6.0, 6.0])
            with h5py.File(a.catalog, "w") as c:
                c.attrs["precursor_kind"] = np.bytes_("catalog")
                c.attrs["precursor_schema"] = np.int64(1)
                cg = c.create_group("catalog")
                cg.attrs["n_events"] = np.int64(t.size)
                cg["time"], cg["lat"], cg["lon"], cg["mag"] = t, lat, lon, mag
                cg["depth_km"] = np.full(t.size, 10.0)
                cg["mag_type"] = np.array([b"Mw"] * t.size, dtype="S8")
                cg["source"] = np.array([b"oracle"] * t.size, dtype="S16")


def table_scores(a, b, c, d):
    def r(x, y):
        return x / y if y > 0 else np.nan
    n = a + b + c + d
    pod, pofd = r(a, a + c), r(b, b + d)
    den = (a + b) * (a + c) * (b + d) * (c + d)
    return [r(a + d, n), pod, r(d, b + d), r(a, a + b), r(b, a + b), pofd, r(a + b, a + c), pod - pofd, r(2 * a, 2 * a + b + c),
            (a * d - b * c) / np.sqrt(den) if den > 0 else np.nan, r(2 * (a * d - b * c), (a + c) * (c + d) + (a + b) * (b + d))]


def curve(score, obs, w):
    """Cumulative (alarm weight, hits) per distinct score, descending, with the (0, 0) start."""
    u = np.unique(score)[::-1]
    cw = np.array([0.0] + [w[score >= t].sum() for t in u])
    ch = np.array([0.0] + [obs[score >= t].sum() for t in u])
    return np.concatenate([[np.inf], u]), cw, ch


def check(a):
    bad = []

    def near(name, got, want, tol=1e-9):
        got, want = np.asarray(got, float), np.asarray(want, float)
        if got.shape != want.shape:
            bad.append(f"{name}: shape {got.shape} vs {want.shape}")
            return
        with np.errstate(invalid="ignore"):
            same = (np.isnan(got) & np.isnan(want)) | (got == want) | (np.abs(got - want) <= tol * (1 + np.abs(want)))
        if not same.all():
            i = np.flatnonzero(~same.ravel())[0]
            bad.append(f"{name}: {np.count_nonzero(~same)} differ, first [{i}] {got.ravel()[i]!r} vs {want.ravel()[i]!r}")

    with h5py.File(a.forecast, "r") as f:
        g = f["forecast"]
        score, cell, time = g["score"][()], g["cell"][()].astype(np.int64), g["time"][()]
        weight = g["weight"][()] if "weight" in g else None
        if a.catalog:
            nlon = int(g.attrs["grid_nlon"])
            with h5py.File(a.catalog, "r") as c:
                cg = c["catalog"]
                et, ela, elo, em = cg["time"][()], cg["lat"][()], cg["lon"][()], cg["mag"][()]
            obs = np.zeros(score.size)
            lat0, lon0, dl = g.attrs["grid_lat_min"], g.attrs["grid_lon_min"], g.attrs["grid_dlat"]
            for t, la, lo, m in zip(et, ela, elo, em):
                if m < a.mmin:
                    continue
                row, col = np.floor((la - lat0) / dl), np.floor((lo - lon0) / g.attrs["grid_dlon"])
                if row < 0 or row >= g.attrs["grid_nlat"] or col < 0 or col >= nlon:
                    continue
                obs += (cell == row * nlon + col) & (t >= time) & (t < time + a.days * 86400)
        else:
            obs = g["observed"][()]
    tw = weight if (a.tau == "column" and weight is not None) else np.ones(score.size)
    pos = obs > 0
    with h5py.File(a.evaluation, "r") as e:
        near("units/observed", e["units/observed"][()], obs, 0)
        names = [x.decode() for x in e["scores/name"][()]]
        if names != NAMES:
            bad.append(f"score names {names}")
        thr = e["scores/threshold"][()]
        val = e["scores/value"][()]
        lo, hi = e["scores/ci_low"][()], e["scores/ci_high"][()]
        B = e["scores"].attrs["bootstrap_replicates"]
        # AUC: Mann–Whitney U of the positives' scores against the negatives'
        U = mannwhitneyu(score[pos], score[~pos], alternative="two-sided").statistic
        auc = U / (pos.sum() * (~pos).sum())
        near("roc/auc", e["roc"].attrs["auc"], auc, 1e-12)
        near("roc/auc_mann_whitney", e["roc"].attrs["auc_mann_whitney"], auc, 1e-12)
        # ROC points
        t, cw, ch = curve(score, pos.astype(float), np.ones(score.size))
        fp = cw - ch
        near("roc/threshold", e["roc/threshold"][()], t, 0)
        near("roc/pod", e["roc/pod"][()], ch / ch[-1], 1e-12)
        near("roc/pofd", e["roc/pofd"][()], fp / fp[-1], 1e-12)
        # Molchan points and ASS
        t, cw, ch = curve(score, obs, tw)
        tau, nu = cw / cw[-1], 1 - ch / ch[-1]
        near("molchan/tau", e["molchan/tau"][()], tau, 1e-12)
        near("molchan/nu", e["molchan/nu"][()], nu, 1e-12)
        trap = getattr(np, "trapezoid", None) or np.trapz
        ass = 1 - trap(nu, tau)
        near("molchan/ass", e["molchan"].attrs["ass"], ass, 1e-12)
        # random-guess bounds
        N = int(round(obs.sum()))
        bt, bn, alphas = e["molchan/bound_tau"][()], e["molchan/bound_nu"][()], e["molchan"].attrs["alpha"]
        want = np.full(bn.shape, np.nan)
        for i, al in enumerate(alphas):
            for j, tj in enumerate(bt):
                sf = binom.sf(np.arange(-1, N + 1), N, tj)  # sf[h] = P(X >= h)
                ok = np.flatnonzero(sf <= al)
                h = ok[0] if ok.size else N + 1
                if h <= N:
                    want[i, j] = 1 - h / N
        near("molchan/bound_nu", bn, want, 1e-12)
        # scores at each threshold
        for k, th in enumerate(thr):
            al = score >= th
            A, Bf, C, Dd = (al & pos).sum(), (al & ~pos).sum(), (~al & pos).sum(), (~al & ~pos).sum()
            gain = (obs[al].sum() / obs.sum()) / (tw[al].sum() / tw.sum()) if al.any() else np.nan
            w = table_scores(float(A), float(Bf), float(C), float(Dd)) + [auc, ass, gain]
            near(f"scores/value[{th}]", val[k], w, 1e-12)
            near(f"scores/contingency[{th}]", e["scores/contingency"][k], [A, Bf, C, Dd], 0)
            for s in ("pod", "pofd", "hk", "auc", "ass"):
                i = NAMES.index(s)
                if not (lo[k, i] <= val[k, i] <= hi[k, i]):
                    bad.append(f"{s} at {th}: {val[k, i]} outside [{lo[k, i]}, {hi[k, i]}]")
            if not (e["scores/ci_valid_replicates"][k, NAMES.index("auc")] == B):
                bad.append("AUC replicates not all valid")
        # reliability
        if "reliability" in e:
            nb = e["reliability/count"].shape[0]
            k = np.minimum((score * nb).astype(int), nb - 1)
            cnt = np.bincount(k, minlength=nb).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                mf = np.bincount(k, weights=score, minlength=nb) / cnt
                of = np.bincount(k, weights=pos.astype(float), minlength=nb) / cnt
            near("reliability/count", e["reliability/count"][()], cnt, 0)
            near("reliability/mean_forecast", e["reliability/mean_forecast"][()], mf, 1e-12)
            near("reliability/observed_frequency", e["reliability/observed_frequency"][()], of, 1e-12)
    if bad:
        print("ORACLE FAIL\n  " + "\n  ".join(bad))
        return 1
    print(f"ORACLE PASS: {score.size} units, {int(pos.sum())} with events, AUC {auc:.4f}, ASS {ass:.4f}, {len(thr)} thresholds")
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("out")
    m.add_argument("--mode", default="observed", choices=["observed", "catalog"])
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--ncell", type=int, default=40)
    m.add_argument("--ntime", type=int, default=50)
    m.add_argument("--bad", default="")
    m.add_argument("--catalog", default="")
    c = sub.add_parser("check")
    c.add_argument("forecast")
    c.add_argument("evaluation")
    c.add_argument("--catalog", default="")
    c.add_argument("--mmin", type=float, default=5)
    c.add_argument("--days", type=float, default=10)
    c.add_argument("--tau", default="column", choices=["column", "uniform"])
    a = p.parse_args()
    if a.cmd == "make":
        if a.mode == "catalog" and not a.catalog:
            p.error("--mode catalog needs --catalog")
        make(a)
        return 0
    return check(a)


if __name__ == "__main__":
    sys.exit(main())
