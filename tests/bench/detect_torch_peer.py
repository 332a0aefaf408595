#!/usr/bin/env python3
"""detect_torch_peer.py — the PyTorch peer of `precursor detect` (make bench, section detect):
the same trained network (the model.h5's spec_text and tensors, built by
tests/oracle/nn_model_torch.py's spec reader with torch.nn.functional, float32, eval mode),
the same windows of the same record (every STEP s, each component's mean removed, divided by
the joint max |x|), batches of BATCH, torch.no_grad(), THREADS threads. Timed: window cutting
+ normalisation + forward + softmax, as in the C stage (file reading excluded on both sides:
the C figure is the classification loop; reading here happens before the clock starts).
Also checks that its p(event) agrees with the C stage's (detections.h5 /windows/p_event).

    detect_torch_peer.py MODEL_H5 WAVEFORMS_H5 DETECTIONS_H5 STEP BATCH THREADS

Prints: torch_detect windows=N seconds=S hours=H hours_per_s=X max_dp=D"""
import os
import sys
import tempfile
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
from nn_model_torch import apply, parse_spec  # noqa: E402

mpath, wpath, dpath, step, batch, threads = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
torch.set_num_threads(threads)
M = h5py.File(mpath)
spec_text = M.attrs["spec_text"]
spec_text = spec_text.decode() if isinstance(spec_text, bytes) else spec_text
defs = M.attrs["spec_defines"]
defs = defs.decode() if isinstance(defs, bytes) else defs
defines = dict(d.split("=", 1) for d in defs.split(",") if "=" in d) if defs not in ("", "none") else {}
with tempfile.NamedTemporaryFile("w", suffix=".model", delete=False) as f:
    f.write(spec_text)
spec = parse_spec(f.name, defines)
os.unlink(f.name)
P = {k: torch.tensor(M["params"][k][:]) for k in M["params"]}
Bf = {k: torch.tensor(M["buffers"][k][:]) for k in M["buffers"]}
(iname, ishape), = spec["inputs"][:1]
C, L = ishape
W = h5py.File(wpath)
name = W["trace_table/name"][0].decode()
a = W["waveforms/" + name].attrs
tr = W["waveforms/" + name][:].astype(np.float32)
rate, t0 = float(a["sampling_rate"]), float(a["start_time"])
cols = [0, 1, 2] if C == 3 else [tr.shape[1] - 1]
D = h5py.File(dpath)
tw = D["windows/start_time"][:]
p_c = D["windows/p_event"][:]
sk = D["windows/skipped"][:]


def forward(x):
    env = {iname: x}
    for nname, layer, ins, keys in spec["nodes"]:
        env[nname] = apply(nname, layer, [env[i] for i in ins], keys, P, Bf, False)
    return env[spec["output"]]


rows = np.rint((tw - t0) * rate).astype(np.int64)
p_t = np.zeros(len(tw), np.float32)
torch.set_grad_enabled(False)
t_start = time.perf_counter()
for b0 in range(0, len(tw), batch):
    r = rows[b0:b0 + batch]
    x = np.stack([tr[q:q + L, cols].T for q in r])  # (n, C, L)
    x = x - x.mean(axis=2, keepdims=True)
    m = np.abs(x).max(axis=(1, 2), keepdims=True)
    x = np.where(m > 0, x / np.where(m > 0, m, 1), 0).astype(np.float32)
    pr = F.softmax(forward(torch.from_numpy(x)), dim=1).numpy()
    p_t[b0:b0 + batch] = 1 - pr[:, 0]
secs = time.perf_counter() - t_start
hours = ((len(tw) - 1) * step + L / rate) / 3600
ok = sk == 0
dp = float(np.abs(p_t[ok] - p_c[ok]).max()) if ok.any() else float("nan")
print(f"torch_detect windows={len(tw)} seconds={secs:.4f} hours={hours:.4f} hours_per_s={hours / secs:.4f} max_dp={dp:.2e}")
