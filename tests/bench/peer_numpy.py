#!/usr/bin/python3
"""Peer timings for tests/bench.sh: numpy.fft.fft and scipy.linalg (svdvals, lu_solve path
via numpy.linalg.solve) on the same sizes and inputs as bench_par.c, median of REPS.
Usage: peer_numpy.py FFT_N SVD_N REPS. Runs with the same OpenBLAS settings as precursor."""
import sys, time
import numpy as np
import scipy.linalg as sl

nfft, nsvd, reps = (int(a) for a in sys.argv[1:4])

def med(f):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return float(np.median(ts))

j = np.arange(2 * nfft, dtype=float)
v = np.sin(0.001 * j)
x = v[0::2] + 1j * v[1::2]
print(f"fft1d_forward n={nfft} np=1 seconds={med(lambda: np.fft.fft(x)):.6e}")
i, k = np.meshgrid(np.arange(nsvd, dtype=np.uint64), np.arange(nsvd, dtype=np.uint64), indexing="ij")
h = ((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)) ^ ((k * np.uint64(40503) + np.uint64(7)) & np.uint64(0xFFFFFFFF))
A = (h % np.uint64(1000)).astype(float) / 1000.0 + 10.0 * np.eye(nsvd)
print(f"svd_values n={nsvd} np=1 seconds={med(lambda: sl.svd(A, compute_uv=False, lapack_driver='gesvd', check_finite=False)):.6e}")
b = A[:, 0].copy()
print(f"lu_solve n={nsvd} np=1 seconds={med(lambda: np.linalg.solve(A, b)):.6e}")
