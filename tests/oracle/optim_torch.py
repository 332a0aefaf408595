#!/usr/bin/python3
"""optim_torch.py DIR — PyTorch oracle for src/nn/optim.c (tests/unit/test_nn_optim.c).

Reads DIR/case.txt: first line "n nsteps", then one line per case:
  name kind lr momentum dampening nesterov beta1 beta2 eps weight_decay
(kind: sgd | adam | adamw) and the float32 little-endian files DIR/p0.bin (n),
DIR/g.bin (nsteps x n), DIR/mask.bin (n, 1 = weight decay applies). Runs torch.optim.SGD /
Adam / AdamW (two parameter groups: decay, no decay) over the gradient sequence and writes
DIR/<name>.out.bin (n float32: the final parameters). Exit 3 if torch is missing."""
import sys

import numpy as np

try:
    import torch
except ImportError:
    print("torch not available")
    sys.exit(3)

d = sys.argv[1]
lines = open(f"{d}/case.txt").read().split("\n")
n, nsteps = map(int, lines[0].split())
p0 = np.fromfile(f"{d}/p0.bin", dtype="<f4")
g = np.fromfile(f"{d}/g.bin", dtype="<f4").reshape(nsteps, n)
mask = np.fromfile(f"{d}/mask.bin", dtype="<f4") > 0.5
idx = [np.nonzero(mask)[0], np.nonzero(~mask)[0]]
for ln in lines[1:]:
    if not ln.strip():
        continue
    f = ln.split()
    name, kind = f[0], f[1]
    lr, mom, damp, nest, b1, b2, eps, wd = float(f[2]), float(f[3]), float(f[4]), int(f[5]), float(f[6]), float(f[7]), float(f[8]), float(f[9])
    ps = [torch.tensor(p0[i].copy(), dtype=torch.float32, requires_grad=True) for i in idx]
    groups = [{"params": [ps[0]], "weight_decay": wd}, {"params": [ps[1]], "weight_decay": 0.0}]
    if kind == "sgd":
        opt = torch.optim.SGD(groups, lr=lr, momentum=mom, dampening=damp, nesterov=bool(nest))
    elif kind == "adam":
        opt = torch.optim.Adam(groups, lr=lr, betas=(b1, b2), eps=eps)
    else:
        opt = torch.optim.AdamW(groups, lr=lr, betas=(b1, b2), eps=eps)
    for k in range(nsteps):
        for p, i in zip(ps, idx):
            p.grad = torch.tensor(g[k][i].copy(), dtype=torch.float32)
        opt.step()
    out = np.empty(n, dtype="<f4")
    for p, i in zip(ps, idx):
        out[i] = p.detach().numpy()
    out.tofile(f"{d}/{name}.out.bin")
print("ok")
