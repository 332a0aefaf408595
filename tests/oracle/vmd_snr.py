#!/usr/bin/env python3
"""vmd_snr.py — denoising quality of `precursor vmd` on synthetic stations at several SNRs.

  vmd_snr.py DIR SNR1 SNR2 ...   DIR/s<SNR>/stations.h5 (synth), DIR/v<SNR>/vmd.h5 (vmd) exist

The clean signal (the series without its AR(1) noise) is rebuilt from the generator's
parameters (docs/SYNTH.md): base + diurnal cos(2 pi (hour - 14)/24) + annual
cos(2 pi (doy - 200)/365.25) + anomaly; the anomaly is amp(SNR) x g(t) with g independent of
the SNR (the noise stream is the same at every SNR), so g = (x(SNR_a) - x(SNR_b)) /
(10^(SNR_a/20) - 10^(SNR_b/20)) from the two extreme runs. Prints, per SNR, the mean over
records of corr(input, clean) and corr(denoised, clean) on the decomposed samples, and
(check) the rebuilt noise's sd against the channel's noise sd."""
import sys, datetime
import numpy as np
import h5py

CH = {"ground_resistivity": (100.0, 0.5, 2.0, 1.0), "geomagnetic_field": (45000.0, 20.0, 5.0, 2.0),
      "geoelectric_field": (0.0, 3.0, 0.5, 1.0), "ionospheric_ne": (5.0, 3.0, 1.0, 0.5), "ulf_field": (0.2, 0.05, 0.02, 0.03)}


def background(ch, t0, dt, n):
    base, di, an, _ = CH[ch]
    ts = np.arange(n) * dt
    hour = np.mod(ts / 3600, 24)
    doy = np.array([(datetime.datetime.fromtimestamp(t0 + t, datetime.timezone.utc).timetuple().tm_yday) for t in ts])
    return base + di * np.cos(2 * np.pi * (hour - 14) / 24) + an * np.cos(2 * np.pi * (doy - 200) / 365.25)


def main(d, snrs):
    lo, hi = min(snrs), max(snrs)
    fl, fh = h5py.File(f"{d}/s{lo:g}/stations.h5"), h5py.File(f"{d}/s{hi:g}/stations.h5")
    rows, worst_sd = [], 0
    for s in snrs:
        fs, fv = h5py.File(f"{d}/s{s:g}/stations.h5"), h5py.File(f"{d}/v{s:g}/vmd.h5")
        cb, ca = [], []
        for code in fv["series"]:
            for ch in fv["series"][code]:
                g = fs["series"][code][ch]
                x = g["values"][:]
                t0, dt = g.attrs["start_time"], g.attrs["dt"]
                gshape = (fh["series"][code][ch]["values"][:] - fl["series"][code][ch]["values"][:]) / (10 ** (hi / 20) - 10 ** (lo / 20))
                clean = background(ch, t0, dt, len(x)) + 10 ** (s / 20) * gshape
                e = x - clean
                ok = np.isfinite(e)
                worst_sd = max(worst_sd, abs(np.std(e[ok]) / CH[ch][3] - 1))
                y = fv["series"][code][ch]["values"][:]
                m = np.isfinite(y)
                cb.append(np.corrcoef(x[m], clean[m])[0, 1]); ca.append(np.corrcoef(y[m], clean[m])[0, 1])
        rows.append((s, np.mean(cb), np.mean(ca)))
    print(f"rebuilt noise sd within {100 * worst_sd:.1f} % of the channel noise sd")
    print("| SNR (dB) | corr(input, clean) | corr(denoised, clean) |")
    print("|---|---|---|")
    for s, b, a in rows: print(f"| {s:g} | {b:.4f} | {a:.4f} |")
    return worst_sd, rows


if __name__ == "__main__":
    w, rows = main(sys.argv[1], [float(a) for a in sys.argv[2:]])
    sys.exit(0 if w < 0.2 and all(a >= b - 0.01 for _, b, a in rows) else 1)
