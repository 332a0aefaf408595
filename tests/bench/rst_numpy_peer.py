#!/usr/bin/python3
"""Peer of tests/bench/bench_rst.c for tests/bench.sh: the same RST work in numpy, chunked
over time, on the same synthetic in-memory stack (same hash, same ~40 % NaN, the same
numbers). Phases, each timed (median of REPS), one process:
  mean    per-day nanmean of the chunk (float64 sums) -> Tbar
  acc     per doy-bin sums S0 (valid count), S1 (dT), S2 (dT^2), float64
  bg      window merge over +-7 bins (circular cumulative sums), mean, population sd,
          NaN where fewer than 5 samples
  retira  R = (T - Tbar - mu[bin]) / sd[bin], float32
Prints lines like bench_rst: rst_<phase> variant=numpy block=<chunk> np=1 npix=.. nt=.. seconds=..
and rst_check (sum of finite R, their count) for comparison with the C side.
Usage: rst_numpy_peer.py NX NY YEARS CHUNK REPS"""
import sys
import time
import numpy as np

nx, ny, years, chunk, reps = (int(a) for a in sys.argv[1:6])
N, nt = nx * ny, years * 365
chunk = chunk if 0 < chunk < nt else nt
W, NMIN, NB = 7, 5, 366

# the stack, generated exactly as bench_rst.c does (not timed)
p = np.arange(N, dtype=np.uint32)
off = (0.05 * np.arange(97))[p % 97]
pm = p * np.uint32(0x85EBCA77)
T = np.empty((nt, N), dtype=np.float32)
for t in range(nt):
    x = np.uint32((t * 0x9E3779B1) & 0xFFFFFFFF) ^ pm
    x ^= x >> np.uint32(15); x *= np.uint32(0x2C1B3C6D); x ^= x >> np.uint32(12); x *= np.uint32(0x297A2D39); x ^= x >> np.uint32(15)
    seas = 290 + 10 * np.sin(2 * np.pi * t / 365.25)
    v = (seas + off + ((x >> np.uint32(10)).astype(np.float64) * (1.0 / 4194304.0) - 0.5) * 4.0).astype(np.float32)
    v[(x & np.uint32(1023)) < 410] = np.nan
    T[t] = v
days = np.datetime64("2010-01-01") + np.arange(nt)
doy = (days - days.astype("datetime64[Y]")).astype(int)  # 0..365

# Written as a careful numpy user would: preallocated chunk buffers and in-place ufuncs
# (fresh large temporaries cost page faults, which are expensive on these VMs), the window
# merge in pixel blocks so its temporaries stay small.
PB = 8192
C = chunk
valid = np.empty((C, N), bool); inv = np.empty((C, N), bool)
dT = np.empty((C, N)); d2 = np.empty((C, N)); R = np.empty((C, N), np.float32)
tm, ta, tg, tr = [], [], [], []
for _ in range(reps):
    S0 = np.zeros((NB, N)); S1 = np.zeros((NB, N)); S2 = np.zeros((NB, N))
    mu = np.empty((NB, N)); sd = np.empty((NB, N))
    tbar = np.empty(nt)
    m = a = 0.0
    for t0 in range(0, nt, chunk):
        X = T[t0:t0 + chunk]
        n = X.shape[0]
        b = doy[t0:t0 + chunk]
        w0 = time.perf_counter()
        v, iv, x, x2 = valid[:n], inv[:n], dT[:n], d2[:n]
        np.isfinite(X, out=v); np.logical_not(v, out=iv)
        cnt = v.sum(axis=1)
        np.copyto(x, X); np.copyto(x, 0.0, where=iv)
        s = x.sum(axis=1)
        tb = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
        tbar[t0:t0 + chunk] = tb
        w1 = time.perf_counter()
        np.subtract(X, tb[:, None], out=x); np.copyto(x, 0.0, where=iv); np.multiply(x, x, out=x2)
        for i in range(n):
            S0[b[i]] += v[i]; S1[b[i]] += x[i]; S2[b[i]] += x2[i]
        w2 = time.perf_counter()
        m += w1 - w0; a += w2 - w1
    tm.append(m); ta.append(a)
    w0 = time.perf_counter()
    def window(S):  # circular +-W sums via cumulative sums
        P = np.concatenate([S[-W:], S, S[:W]])
        Cs = np.concatenate([np.zeros((1, S.shape[1])), np.cumsum(P, axis=0)])
        return Cs[2 * W + 1:] - Cs[:-2 * W - 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        for q0 in range(0, N, PB):
            sl = slice(q0, q0 + PB)
            W0, W1, W2 = window(S0[:, sl]), window(S1[:, sl]), window(S2[:, sl])
            ok = W0 >= NMIN
            mq = W1 / W0
            mu[:, sl] = np.where(ok, mq, np.nan)
            sd[:, sl] = np.where(ok, np.sqrt(np.maximum(W2 / W0 - mq * mq, 0)), np.nan)
    tg.append(time.perf_counter() - w0)
    rsum, rcnt, r = 0.0, 0, 0.0
    for t0 in range(0, nt, chunk):
        X = T[t0:t0 + chunk]
        n = X.shape[0]
        b = doy[t0:t0 + chunk]
        w0 = time.perf_counter()
        x = dT[:n]
        with np.errstate(invalid="ignore", divide="ignore"):
            for i in range(n):
                np.subtract(X[i], tbar[t0 + i], out=x[i], dtype=np.float64); x[i] -= mu[b[i]]; x[i] /= sd[b[i]]
                x[i][~(sd[b[i]] > 0)] = np.nan
            Rr = R[:n]; np.copyto(Rr, x, casting="same_kind")
        r += time.perf_counter() - w0
        f = np.isfinite(Rr)
        rsum += float(Rr[f].sum(dtype=np.float64)); rcnt += int(f.sum())
    tr.append(r)

med = lambda v: float(np.median(v))
for name, v in (("mean", tm), ("acc", ta), ("bg", tg), ("retira", tr)):
    print(f"rst_{name} variant=numpy block={chunk} np=1 npix={N} nt={nt} seconds={med(v):.6e}")
print(f"rst_check variant=numpy block={chunk} np=1 sum_r={rsum:.10e} n_r={rcnt}")
