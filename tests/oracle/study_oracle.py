#!/usr/bin/python3
"""study_oracle.py — independent re-computation of `precursor study` (tests/cli/test_study.sh).

  make TABLE.h5 SEED            write a synthetic forecast-kind feature table (learnable label)
  check TABLE.h5 STUDY.h5 L2 PRIOR   recompute splits, climatology, logistic (scipy L-BFGS on
                                the same penalised likelihood, not Newton) and the pooled AUC
                                (Mann-Whitney from ranks) and compare with the C results
  shuffle TABLE.h5 OUT.h5 TL TF copy TABLE with the labels of the rows with time > TL and the
                                features of the rows with time > TF permuted (the leakage test)
"""
import sys
import h5py
import numpy as np

DAY = 86400.0
SKIP = {"cell", "time", "score", "observed", "label", "lat", "lon", "weight"}


def make(path, seed):
    rng = np.random.default_rng(int(seed))
    ncell, ntime, step = 40, 160, 30 * DAY
    t0 = 946684800.0  # 2000-01-01
    cell = np.repeat(np.arange(ncell), ntime).astype(float)
    time = np.tile(t0 + step * np.arange(ntime), ncell)
    base = rng.normal(size=ncell)[cell.astype(int)]
    x1 = base + 0.5 * rng.normal(size=cell.size)
    x2 = rng.normal(size=cell.size)
    x3 = rng.normal(size=cell.size)
    x3[rng.random(cell.size) < 0.2] = np.nan  # undefined indicators
    eta = -4.0 + 1.5 * x1 + 0.8 * np.nan_to_num(x3)
    y = (rng.random(cell.size) < 1 / (1 + np.exp(-eta))).astype(float)
    with h5py.File(path, "w") as f:
        f.attrs["precursor_kind"] = "forecast"
        g = f.create_group("forecast")
        g.attrs["horizon_days"] = 45.0
        for k, v in dict(cell=cell, time=time, observed=y, score=np.zeros_like(y), x1=x1, x2=x2, x3=x3).items():
            g[k] = v
    print(f"{cell.size} rows, {int(y.sum())} positive")


def read_table(path):
    with h5py.File(path, "r") as f:
        g = f["forecast"]
        cols = {k: g[k][:] for k in g if g[k].ndim == 1}
        H = float(g.attrs["horizon_days"])
    feats = sorted(k for k in cols if k not in SKIP and cols[k].shape == cols["cell"].shape)
    X = np.column_stack([cols[k] for k in feats]) if feats else np.zeros((len(cols["cell"]), 0))
    return cols["cell"], cols["time"], cols["observed"], X, H, feats


def auc_mw(s, y):
    from scipy.stats import rankdata
    r = rankdata(s)
    npos, nneg = (y == 1).sum(), (y == 0).sum()
    return (r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * nneg)


def check(tpath, spath, l2, prior):
    from scipy.optimize import minimize
    l2, prior = float(l2), float(prior)
    cell, time, y, X, H, feats = read_table(tpath)
    with h5py.File(spath, "r") as f:
        sp = f["splits/table"][:]
        split = f["rows/split"][:]
        pc = f["models/climatology/probability"][:]
        pl = f["models/logistic/probability"][:]
        coef = f["models/logistic/coefficients"][:]
        sv = f["models/logistic/score_value"][:]
        sn = f["models"].attrs["score_names"]
        names = [s.strip() for s in (sn.decode() if isinstance(sn, bytes) else sn).split(",")]
    worst_c, worst_b, worst_p = 0.0, 0.0, 0.0
    for k, row in enumerate(sp):
        r0, _, s0, s1, ntr, nte, ptr, pte, used = row
        tr = (time >= r0) & (time + H * DAY <= s0)
        te = (time >= s0) & (time < s1)
        assert tr.sum() == ntr and te.sum() == nte and y[tr].sum() == ptr, (k, tr.sum(), ntr)
        assert (split[te] == k).all() if used else True
        if not used:
            continue
        # climatology, from its definition
        pbar = y[tr].mean()
        for c in np.unique(cell[te]):
            m = tr & (cell == c)
            want = (y[m].sum() + prior * pbar) / (m.sum() + prior)
            got = pc[te & (cell == c)]
            worst_c = max(worst_c, np.max(np.abs(got - want)))
        # logistic: standardise with the training rows, NaN -> 0, L-BFGS on the same objective
        mu = np.array([np.nanmean(X[tr, j]) if np.isfinite(X[tr, j]).any() else 0 for j in range(X.shape[1])])
        sd = np.array([np.nanstd(X[tr, j]) if np.isfinite(X[tr, j]).any() else 0 for j in range(X.shape[1])])
        Z = np.where(np.isfinite(X) & (sd > 0), (X - mu) / np.where(sd > 0, sd, 1), 0.0)
        A = np.column_stack([np.ones(len(y)), Z])
        At, yt = A[tr], y[tr]

        def fg(b):
            e = At @ b
            L = np.sum(np.logaddexp(0, e) - yt * e) + 0.5 * l2 * np.sum(b[1:] ** 2)
            g = At.T @ (1 / (1 + np.exp(-e)) - yt)
            g[1:] += l2 * b[1:]
            return L, g
        res = minimize(fg, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B", options=dict(gtol=1e-10, ftol=1e-15, maxiter=10000))
        b = res.x
        worst_b = max(worst_b, np.max(np.abs(b - coef[k])) / max(1.0, np.max(np.abs(b))))
        p = 1 / (1 + np.exp(-(A[te] @ b)))
        worst_p = max(worst_p, np.max(np.abs(p - pl[te])))
    tested = split >= 0
    auc = auc_mw(pl[tested], y[tested])
    d_auc = abs(auc - sv[names.index("auc")])
    print(f"climatology max |dp| {worst_c:.2e}; logistic max |d coef| (rel) {worst_b:.2e}, max |dp| {worst_p:.2e}; "
          f"pooled AUC numpy {auc:.6f} vs C {sv[names.index('auc')]:.6f}")
    assert worst_c < 1e-12 and worst_b < 1e-5 and worst_p < 1e-6 and d_auc < 1e-12, "mismatch"


def shuffle(tpath, opath, tlabel, tfeat):
    """Permute the labels of the rows with time > tlabel and the features of the rows with
    time > tfeat (each among those rows)."""
    import shutil
    shutil.copy(tpath, opath)
    rng = np.random.default_rng(3)
    with h5py.File(opath, "r+") as f:
        g = f["forecast"]
        time = g["time"][:]
        for k in g:
            if k in ("cell", "time") or g[k].ndim != 1:
                continue
            rows = np.where(time > float(tlabel if k in ("observed", "label") else tfeat))[0]
            v = g[k][:]
            v[rows] = v[rng.permutation(rows)]
            g[k][:] = v
    print(f"labels after {tlabel}, features after {tfeat} permuted")


if __name__ == "__main__":
    {"make": make, "check": check, "shuffle": shuffle}[sys.argv[1]](*sys.argv[2:])
