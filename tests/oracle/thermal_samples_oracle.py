#!/usr/bin/env python3
"""Independent numpy check of `precursor thermal-samples` (docs/THERMAL.md).

usage: thermal_samples_oracle.py LST.h5 CATALOG.h5 TRAIN.h5 TEST.h5 key=value...
keys: N, W, mmin, ratio, guard, scale (zscore|minmax|none), split (time|random), f,
      start, end (UTC seconds; default the stack's span), split_time (UTC seconds or auto),
      places (epicentres|uniform)

Recomputes from the stack and the catalog, without the product's code:
  * which events make earthquake groups (M >= mmin, in the span, epicentre in a grid pixel,
    N-1 daily images before the origin), their centre pixels and image steps;
  * that every quiet group is quiet (no M >= mmin inside its crop from guard days before
    its first image to guard days after the day after its last), inside the span, and that
    there are round(n_eq / ratio) of them;
  * every crop (NaN padding outside the grid) and its per-image scaling (float64), masked
    pixels 0, against /x;
  * labels, the split rule and the file attributes.
Prints a one-line summary; exits non-zero with the first mismatch."""
import sys
import h5py
import numpy as np

DAY = 86400.0


def main():
    lst, cat, trp, tep = sys.argv[1:5]
    kv = dict(a.split("=", 1) for a in sys.argv[5:])
    N, W = int(kv["N"]), int(kv["W"])
    mmin, ratio, guard = float(kv["mmin"]), float(kv["ratio"]), float(kv["guard"])
    scale, split, f = kv["scale"], kv["split"], float(kv["f"])
    with h5py.File(lst, "r") as g:
        T = g["time"][:]
        lat = g["lat"][:]
        lon = g["lon"][:]
        L = g["lst"][:].astype(np.float64)
    nt, ny, nx = L.shape
    t0 = float(kv.get("start", T[0]))
    t1 = float(kv.get("end", T[-1]))
    with h5py.File(cat, "r") as c:
        et, ela, elo, em = (c["catalog"][k][:] for k in ("time", "lat", "lon", "mag"))
    dlat = (lat[-1] - lat[0]) / (ny - 1)
    dlon = (lon[-1] - lon[0]) / (nx - 1)
    er = (ela - lat[0]) / dlat
    ec = (elo - lon[0]) / dlon

    # expected earthquake groups, in catalog order
    want = {}
    for e in np.nonzero((em >= mmin) & (et >= t0) & (et <= t1))[0]:
        if not (-0.5 <= er[e] < ny - 0.5 and -0.5 <= ec[e] < nx - 0.5):
            continue
        before = np.nonzero(T < et[e])[0]
        if len(before) == 0:
            continue
        last = before[-1]
        if last < N - 2 or et[e] - T[last] > DAY:
            continue
        want[int(e)] = (int(np.floor(er[e] + 0.5)), int(np.floor(ec[e] + 0.5)), int(last))

    def crop(row, col, steps):
        out = np.full((len(steps), W, W), np.nan)
        r0, c0 = row - W // 2, col - W // 2
        for a in range(W):
            for b in range(W):
                r, cc = r0 + a, c0 + b
                if 0 <= r < ny and 0 <= cc < nx:
                    out[:, a, b] = L[steps, r, cc]
        return out

    def scaled(img):
        v = img[np.isfinite(img)]
        o = np.zeros_like(img)
        if len(v) < 2:
            return o
        if scale == "zscore":
            sd = v.std()
            if sd > 0:
                o = (img - v.mean()) / sd
            else:
                return np.zeros_like(img)
        elif scale == "minmax":
            if v.max() > v.min():
                o = (img - v.min()) / (v.max() - v.min())
            else:
                return np.zeros_like(img)
        else:
            o = img.copy()
        o[~np.isfinite(img)] = 0
        return o

    groups = []  # (set, kind, event, row, col, last, time)
    maxerr = 0.0
    split_time = None
    for si, path in enumerate((trp, tep)):
        with h5py.File(path, "r") as h:
            a = h.attrs
            assert a["precursor_kind"] == b"trainset" or a["precursor_kind"] == "trainset", a["precursor_kind"]
            assert int(a["window_days"]) == N and int(a["crop"]) == W, "window or crop attribute"
            assert (a["split"] if isinstance(a["split"], str) else a["split"].decode()) == split, "split attribute"
            assert (a["set"] if isinstance(a["set"], str) else a["set"].decode()) == ("train", "test")[si]
            x, y = h["x"][:], h["y"][:]
            s = {k: h["sample"][k][:] for k in h["sample"]}
            if split == "time":
                split_time = float(a["split_time"])
        n = len(y)
        assert x.shape == (n, 1, W, W) and x.dtype == np.float32, x.shape
        assert y.dtype == np.int32
        assert np.isfinite(x).all(), "non-finite value in /x"
        assert n % (N - 1) == 0, "rows not a multiple of N-1"
        for q in range(n // (N - 1)):
            sl = slice(q * (N - 1), (q + 1) * (N - 1))
            k = s["kind"][sl]
            assert (k == k[0]).all() and (y[sl] == k[0]).all(), f"{path}: group {q} mixes labels"
            assert (s["group"][sl] == q).all()
            row, col, ev = int(s["row"][sl][0]), int(s["col"][sl][0]), int(s["event"][sl][0])
            assert (s["row"][sl] == row).all() and (s["col"][sl] == col).all()
            steps = s["step"][sl]
            last = int(steps[-1])
            assert (steps == np.arange(last - N + 2, last + 1)).all(), f"{path}: group {q} steps {steps}"
            assert (s["time"][sl] == T[steps]).all()
            ref = crop(row, col, steps)
            for i in range(N - 1):
                exp = scaled(ref[i])
                err = np.abs(x[q * (N - 1) + i, 0] - exp).max()
                maxerr = max(maxerr, float(err))
                assert err <= 2e-5 * max(1.0, np.abs(exp).max()), f"{path}: sample {q * (N - 1) + i}: max |x - numpy| = {err}"
                vf = np.isfinite(ref[i]).mean()
                assert abs(s["valid_fraction"][q * (N - 1) + i] - vf) < 1e-12, "valid_fraction"
            groups.append((si, int(k[0]), ev, row, col, last, T[last]))
            if k[0] == 1:
                assert ev in want, f"{path}: group {q} is event {ev}, which should not make a group"
                assert want[ev] == (row, col, last), f"event {ev}: written {(row, col, last)}, expected {want[ev]}"
                assert abs(s["mag"][sl][0] - em[ev]) == 0
            else:
                assert ev == -1
                first = last - (N - 2)
                assert T[first] >= t0 - 1e-6 and T[last] <= t1 + 1e-6, f"quiet group {q} outside the span"
                lo, hi = T[first] - guard * DAY, T[last] + DAY + guard * DAY
                r0, c0 = row - W // 2 - 0.5, col - W // 2 - 0.5
                near = (em >= mmin) & (et >= lo) & (et < hi) & (er >= r0) & (er < r0 + W) & (ec >= c0) & (ec < c0 + W)
                assert not near.any(), f"quiet group {q} of {path} has event(s) {np.nonzero(near)[0]} in its crop and window"
        # rows sorted by group time
        gt = [g[6] for g in groups if g[0] == si]
        assert all(a <= b for a, b in zip(gt, gt[1:])), f"{path}: groups not in time order"
    if kv.get("places", "epicentres") == "epicentres":
        centres = {(g[3], g[4]) for g in groups if g[1] == 1}
        assert all((g[3], g[4]) in centres for g in groups if g[1] == 0), "a quiet crop is not centred on an earthquake group's centre"
    eqs = sorted(g[2] for g in groups if g[1] == 1)
    assert eqs == sorted(want), f"earthquake groups {len(eqs)} vs expected {len(want)}"
    nq = sum(1 for g in groups if g[1] == 0)
    assert nq == int(np.floor(len(want) / ratio + 0.5)), f"{nq} quiet groups, expected round({len(want)}/{ratio})"
    if split == "time":
        tr = [g[6] for g in groups if g[0] == 0]
        te = [g[6] for g in groups if g[0] == 1]
        assert max(tr) < split_time <= min(te), "time split violated"
        if kv.get("split_time", "auto") == "auto":
            allt = np.sort([g[6] for g in groups])
            assert split_time == allt[int(np.floor(len(allt) * (1 - f)))], "auto split time"
        else:
            assert split_time == float(kv["split_time"]), f"split time {split_time}, given {kv['split_time']}"
    else:
        for kind in (0, 1):
            nk = sum(1 for g in groups if g[1] == kind)
            ntest = sum(1 for g in groups if g[1] == kind and g[0] == 1)
            assert ntest == int(np.floor(nk * f + 0.5)), f"kind {kind}: {ntest} of {nk} tested"
    print(f"{len(want)} earthquake + {nq} quiet groups of {N - 1} images ({split} split, {scale}): crops, labels and split agree;"
          f" max |x - numpy| = {maxerr:.2e}")


if __name__ == "__main__":
    main()
