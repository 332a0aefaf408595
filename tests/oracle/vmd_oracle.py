#!/usr/bin/env python3
"""vmd_oracle.py — an independent numpy VMD written from Dragomiretskiy & Zosso (2014),
Algorithm 2, with the conventions stated in docs/VMD.md (mirror to 2n, one-sided spectrum
j = 0..M/2 at j/M cycles/sample, 1 + 2 alpha (w - w_k)^2, Gauss-Seidel over k, relative
convergence criterion). Vectorised over frequency with numpy's rfft; no code shared with C.

  vmd_oracle.py make IN.h5            write a station set of test signals (tones + noise,
                                      chirp, odd length)
  vmd_oracle.py check IN.h5 OUT.h5 K ALPHA TAU TOL MAXIT DC
                                      decompose every record of IN with the same parameters
                                      and compare with the stage's modes and centre
                                      frequencies in OUT (written with -vmd_write_modes,
                                      -vmd_kmin = -vmd_kmax = K, -vmd_init uniform|zero)
Prints the largest differences; exit status 1 if a tolerance is exceeded."""
import sys
import numpy as np
import h5py

MODE_TOL = 1e-9   # max |u_C - u_numpy| / max |f|
OMEGA_TOL = 1e-11 # cycles/sample


def vmd(f, K, alpha, tau, tol, maxit, dc):
    n = len(f)
    h = n // 2
    fm = np.concatenate([f[:h][::-1], f, f[h:][::-1]])      # half length mirrored on each side
    M = len(fm)
    F = np.fft.rfft(fm)                                      # one-sided spectrum, 0..M/2
    w = np.fft.rfftfreq(M)                                   # j/M cycles/sample
    om = np.zeros(K) if dc else 0.5 / K * np.arange(K)       # uniform init (zero init with dc)
    U = np.zeros((K, len(F)), complex)
    lam = np.zeros(len(F), complex)
    it = 0
    while it < maxit:
        Uold = U.copy()
        for k in range(K):
            rest = U[:k].sum(0) + Uold[k + 1:].sum(0)       # new for i < k, old for i > k
            U[k] = (F - rest + lam / 2) / (1 + 2 * alpha * (w - om[k]) ** 2)
            p = np.abs(U[k]) ** 2
            if not (dc and k == 0) and p.sum() > 0:
                om[k] = (w * p).sum() / p.sum()
        lam = lam + tau * (F - U.sum(0))
        it += 1
        nold = (np.abs(Uold) ** 2).sum(1)
        d = (np.abs(U - Uold) ** 2).sum(1)
        crit = np.where(nold > 0, d / np.where(nold > 0, nold, 1), np.where(d > 0, np.inf, 0)).sum()
        if crit < tol:
            break
    o = np.argsort(om, kind="stable")
    u = np.fft.irfft(U[o], n=M)[:, h:h + n]
    return u, om[o], it


def make(path):
    rng = np.random.default_rng(20110311)
    sig = {}
    t = np.arange(2000)
    sig["TONE"] = np.cos(2 * np.pi * 0.01 * t) + 0.6 * np.cos(2 * np.pi * 0.08 * t + 1) + 0.4 * rng.standard_normal(len(t))
    t = np.arange(1500)
    sig["CHRP"] = np.sin(2 * np.pi * (0.01 * t + 0.5 * 0.1 / len(t) * t ** 2)) + 0.5 * np.cos(2 * np.pi * 0.3 * t)
    t = np.arange(1001)
    sig["ODD"] = 2 + np.sin(2 * np.pi * 0.03 * t) + 0.3 * np.sin(2 * np.pi * 0.21 * t) + 0.1 * rng.standard_normal(len(t))
    with h5py.File(path, "w") as f:
        f.attrs["precursor_kind"] = np.array(b"stations", dtype="S16")
        f.attrs["precursor_schema"] = 1
        codes = sorted(sig)
        st = f.create_group("station_table")
        st["code"] = np.array([c.encode() for c in codes], dtype="S16")
        st["lat"] = np.zeros(len(codes)); st["lon"] = np.zeros(len(codes)); st["elevation_m"] = np.zeros(len(codes))
        for c in codes:
            g = f.create_group(f"series/{c}/x")
            g["values"] = sig[c]
            g["gaps"] = np.zeros((0, 2), np.int64)
            g.attrs["start_time"] = 1.3e9; g.attrs["dt"] = 60.0; g.attrs["units"] = np.array(b"a.u.", dtype="S16"); g.attrs["n_gaps"] = 0.0


def check(inp, out, K, alpha, tau, tol, maxit, dc):
    bad = 0
    with h5py.File(inp) as a, h5py.File(out) as b:
        for code in a["series"]:
            f = a["series"][code]["x"]["values"][:]
            g = b["vmd"][code]["x"]
            uc, oc = g["modes"][:K], g["omega"][0, :K]
            u, om, it = vmd(f, K, alpha, tau, tol, maxit, dc)
            du = np.abs(uc - u).max() / np.abs(f).max()
            do = np.abs(oc - om).max()
            ok = du <= MODE_TOL and do <= OMEGA_TOL and len(f) == uc.shape[1]
            bad |= not ok
            print(f"{code}: n {len(f)}, K {K}, iterations C {g['iterations'][0]} numpy {it}, omega {np.round(om, 5)}, "
                  f"max |du|/max|f| {du:.2e} (tol {MODE_TOL:g}), max |domega| {do:.2e} (tol {OMEGA_TOL:g})"
                  f"{'' if ok else '  FAIL'}")
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        K, alpha, tau, tol, maxit, dc = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7]), \
            int(sys.argv[8]), sys.argv[9] == "true"
        sys.exit(1 if check(sys.argv[2], sys.argv[3], K, alpha, tau, tol, maxit, dc) else 0)
