#!/usr/bin/python3
"""Peer for the VMD benchmark (tests/bench.sh, bench_vmd.c): a straightforward numpy VMD in the
style of the widely used port (vmdpy): full-length mirrored spectrum (negative half zeroed,
fftshift-ed), vectorised over frequencies, loops over K and iterations; without vmdpy's
iteration history (which would only add memory traffic). Same algorithm and conventions as
prc_vmd (docs/VMD.md): alpha in our convention, 1 + 2 alpha (w - w_k)^2 (vmdpy's alpha =
2 x ours), uniform initialisation, tau = 0, relative convergence criterion.
Usage: vmd_numpy_peer.py N K ALPHA ITERS REPS
Prints: vmd_iter n=N np=1 seconds=<median s per iteration>, vmd_omega n=N <w_k...>."""
import sys, time
import numpy as np


def signal(n):
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    t = np.arange(n, dtype=float)
    tp = 2 * np.pi
    return (np.cos(tp * 0.005 * t) + 0.6 * np.cos(tp * 0.04 * t + 1) + 0.4 * np.cos(tp * 0.13 * t)
            + 0.2 * np.sin(tp * 0.31 * t) + 0.2 * (h.astype(float) / 4294967296.0 - 0.5))


def vmd(f, K, alpha, tau, tol, maxit):
    n = len(f); h = n // 2
    fm = np.concatenate([f[:h][::-1], f, f[h:][::-1]])
    T = len(fm)
    freqs = np.fft.fftshift(np.fft.fftfreq(T))                  # -0.5 .. 0.5 - 1/T
    fhp = np.fft.fftshift(np.fft.fft(fm))
    fhp[freqs < 0] = 0                                           # one-sided
    pos = freqs >= 0
    om = 0.5 / K * np.arange(K)
    U = np.zeros((K, T), complex)
    lam = np.zeros(T, complex)
    it, crit = 0, np.inf
    while it < maxit:
        crit = 0.0
        S = U.sum(0)
        for k in range(K):
            old = U[k].copy()
            others = S - old
            U[k] = (fhp - others + lam / 2) / (1 + 2 * alpha * (freqs - om[k]) ** 2)
            S = others + U[k]
            p = np.abs(U[k][pos]) ** 2
            if p.sum() > 0:
                om[k] = np.dot(freqs[pos], p) / p.sum()
            no = np.sum(np.abs(old) ** 2); dn = np.sum(np.abs(U[k] - old) ** 2)
            crit += dn / no if no > 0 else (np.inf if dn > 0 else 0.0)
        lam = lam + tau * (fhp - S)
        it += 1
        if crit < tol:
            break
    o = np.argsort(om, kind="stable")
    Uf = U[o]
    Uf[:, 1:T // 2 + 1] = np.conj(Uf[:, T // 2:])[:, ::-1]      # Hermitian extension as vmdpy
    Uf[:, 0] = np.conj(Uf[:, -1])
    u = np.real(np.fft.ifft(np.fft.ifftshift(Uf, axes=-1), axis=-1))[:, h:h + n]
    return u, om[o], it


if __name__ == "__main__":
    n, K = int(sys.argv[1]), int(sys.argv[2])
    alpha, iters, reps = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    f = signal(n)
    ts = []
    vmd(f, K, alpha, 0.0, 1e-300, 1)  # warm-up, as bench_vmd.c
    for _ in range(reps):
        t0 = time.perf_counter()
        u, om, it = vmd(f, K, alpha, 0.0, 1e-300, iters)
        ts.append((time.perf_counter() - t0) / it)
    print(f"vmd_iter n={n} np=1 seconds={float(np.median(ts)):.6e}")
    print(f"vmd_omega n={n} " + " ".join(f"{w:.10f}" for w in om))
