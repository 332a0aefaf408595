#!/usr/bin/env python3
"""em_samples_oracle.py — independent numpy construction of `precursor em-samples -em_mode simulate`
(docs/EM.md "The simulation") from the station set, compared with the written trainset/valset.

usage: em_samples_oracle.py STATIONS.h5 OUTDIR SEED NCLASS PER_CLASS LEN STRIDE NSEG GAP_MAX LMIN LMAX SMOOTH SNR VALFRAC AMPS CHANNELS [vmd KMIN KMAX]

With `vmd`, the output was denoised: labels, order and aux are still checked exactly, /vmd/k must lie
in [KMIN, KMAX] with at least one kept mode, and the denoised samples must be closer (mean squared
error) to the clean samples than the noisy ones are.

Re-implements the counter-based hash (splitmix64 finaliser), the uniform/normal draws, gap filling,
standardisation, reflection, the segment layout, the smoothed segment noise, the measurement noise,
the auxiliary inputs and the stratified split; prints the largest difference."""
import sys
import h5py
import numpy as np

M64 = (1 << 64) - 1


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def hash4(seed, a, b, c):
    h = mix(seed ^ 0x6A09E667F3BCC909)
    h = mix(h ^ a)
    h = mix(h ^ ((b + 0x3C6EF372FE94F82B) & M64))
    return mix(h ^ ((c + 0xA54FF53A5F1D36F1) & M64))


def open01(h):
    return ((h >> 12) + 0.5) * 2.0 ** -52


def hnormal(seed, a, b, c):
    h = hash4(seed, a, b, c)
    u1, u2 = open01(h), open01(mix(h))
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def huniform(seed, a, b, c):
    return open01(hash4(seed, a, b, c))


def main():
    a = sys.argv[1:]
    st, od = a[0], a[1]
    seed, ncls, S, L, stride, nseg, gmax, lmin, lmax, W = (int(v) for v in a[2:12])
    snr, vf = float(a[12]), float(a[13])
    amps = [float(v) for v in a[14].split(",")]
    chans = a[15].split(",")
    f = h5py.File(st, "r")
    code = f["station_table/code"][0].decode() if isinstance(f["station_table/code"][0], bytes) else str(f["station_table/code"][0])
    code = code.rstrip("\x00")
    base = []
    for ch in chans:
        v = f[f"series/{code}/{ch}/values"][:].astype(float)
        base.append(v)
    n = min(len(v) for v in base)
    B = np.zeros((len(chans), n))
    for i, v in enumerate(base):
        v = v[:n].copy()
        ok = np.isfinite(v)
        idx = np.arange(n)
        v = np.interp(idx, idx[ok], v[ok])  # linear inside, nearest value at the ends
        B[i] = (v - v.mean()) / v.std()
    R = (S - 1) * stride + L

    def mirror(t):
        k = t % (2 * n)
        return np.where(k < n, k, 2 * n - 1 - k)

    samples = {}
    for c in range(ncls):
        segs, pos = [], 0
        for s in range(nseg):
            g = hash4(seed, 1, c, s) % (gmax + 1)
            l = lmin + hash4(seed, 2, c, s) % (lmax - lmin + 1)
            st0 = pos + g
            pos = st0 + l
            if st0 >= R:
                break
            segs.append((st0, min(st0 + l, R)))
        inseg = np.zeros(R, bool)
        for s0, s1 in segs:
            inseg[s0:s1] = True
        rec = np.zeros((len(chans), R))
        t = np.arange(R)
        for ch in range(len(chans)):
            z = np.array([hnormal(seed, (3 << 8) | ch, c, u + W) for u in range(-W + 1, R)])
            sm = np.convolve(z, np.ones(W))[W - 1:W - 1 + R] / np.sqrt(W)  # sm[t] = sum_{k<W} z(t-k)
            noise = np.array([hnormal(seed, (4 << 8) | ch, c, u) for u in range(R)])
            rec[ch] = B[ch][mirror(t)] + amps[c] * sm * inseg + 10 ** (-snr / 20) * noise
        for j in range(S):
            x = rec[:, j * stride:j * stride + L]
            aux = [(j * stride + L) / R, huniform(seed, 5, c, j)]
            clean = x - 10 ** (-snr / 20) * np.array([[hnormal(seed, (4 << 8) | ch, c, u) for u in range(j * stride, j * stride + L)]
                                                       for ch in range(len(chans))])
            samples[(c, j)] = (x, aux, clean)
    # split and order
    val = set()
    for c in range(ncls):
        keys = sorted((hash4(seed, 6, c, j), j) for j in range(S))
        nv = int(np.floor(vf * S + 0.5))
        val |= {(c, j) for _, j in keys[:nv]}
    order = [(c, j) for c in range(ncls) for j in range(S)]
    worst = 0.0
    vmd = len(a) > 16 and a[16] == "vmd"
    e_den = e_noisy = 0.0
    for name, want in (("trainset", [k for k in order if k not in val]), ("valset", [k for k in order if k in val])):
        if not want:
            continue
        g = h5py.File(f"{od}/{name}.h5", "r")
        x, y, ax, jj = g["x"][:], g["y"][:], g["aux"][:], g["samples/index"][:]
        assert x.shape == (len(want), len(chans), L), (name, x.shape)
        for r, (c, j) in enumerate(want):
            assert y[r] == c and jj[r] == j, (name, r, y[r], jj[r], c, j)
            xr, ar, cl = samples[(c, j)]
            da = np.abs(ax[r] - np.array(ar, np.float32)).max()
            if vmd:
                e_den += ((x[r] - cl) ** 2).sum()
                e_noisy += ((xr - cl) ** 2).sum()
                d = 0.0
            else:
                d = np.abs(x[r] - xr.astype(np.float32)).max() / (1 + np.abs(xr).max())
            worst = max(worst, d, da)
        if vmd:
            k, kept = g["vmd/k"][:], g["vmd/kept"][:]
            assert k.min() >= int(a[17]) and k.max() <= int(a[18]), (k.min(), k.max())
            assert (kept > 0).all() and (kept < (1 << k)).all(), "kept-mode masks"
        assert g.attrs["nclasses"] == ncls
    print(f"{len(order)} samples rebuilt ({len(val)} validation); largest relative difference {worst:.3g}"
          + (f"; VMD: squared error to the clean samples {e_den / e_noisy:.3f} x that of the noisy ones" if vmd else ""))
    assert worst < 1e-6, worst
    if vmd:
        assert e_den < e_noisy, "VMD did not bring the samples closer to the clean ones"


if __name__ == "__main__":
    main()
