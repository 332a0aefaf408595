#!/usr/bin/env python3
"""nn_torch_check.py DIR — compare the C layers' dump (PRC_NN_DUMP=DIR test_nn_layers)
with PyTorch (torch.nn.functional, autograd), computed in float64 from the same float32
inputs and parameters.  For every case: output, gradients of every input that has a grad
buffer, of every parameter, and batch-norm running stats after the forward.
Tolerance: max|c - t| <= 2e-5 * max|t| + 1e-6 per array (float32 storage, sgemm sums).
Prints one line per case and "max scaled error E"; exit 1 on any failure, 2 if torch is
missing (the caller skips)."""
import os
import sys

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch not installed")
    sys.exit(2)

torch.set_default_dtype(torch.float64)
d = sys.argv[1]


def shape(s):
    return tuple(int(v) for v in s.split("x"))


def load(ci, what, shp):
    a = np.fromfile(os.path.join(d, f"{ci}_{what}.f32"), dtype=np.float32)
    return torch.tensor(a.astype(np.float64).reshape(shp))


def pair(s):
    return tuple(int(v) for v in s.split(","))


def gate(s, P):  # SE / DRSN gate network
    h = F.relu(F.linear(s, P[0], P[1]))
    return torch.sigmoid(F.linear(h, P[2], P[3]))


def run(m, X, P, B):
    L = m["layer"]
    k, st, pd, dl, op = (pair(m[x]) for x in ("k", "stride", "pad", "dil", "out_pad"))
    b = P[1] if len(P) > 1 else None
    x = X[0]
    if L == "fc":
        return F.linear(x.reshape(x.shape[0], -1), P[0], b)
    if L == "conv1d":
        return F.conv1d(x, P[0], b, st[0], pd[0], dl[0])
    if L == "conv2d":
        return F.conv2d(x, P[0], b, st, pd, dl)
    if L == "conv_transpose2d":
        return F.conv_transpose2d(x, P[0], b, st, pd, op, 1, dl)
    if L == "relu":
        return F.relu(x)
    if L == "leaky_relu":
        return F.leaky_relu(x, float(m["alpha"]))
    if L == "tanh":
        return torch.tanh(x)
    if L == "sigmoid":
        return torch.sigmoid(x)
    if L == "maxpool1d":
        return F.max_pool1d(x, k[0], st[0], pd[0])
    if L == "avgpool1d":
        return F.avg_pool1d(x, k[0], st[0], pd[0], count_include_pad=True)
    if L == "maxpool2d":
        return F.max_pool2d(x, k, st, pd)
    if L == "avgpool2d":
        return F.avg_pool2d(x, k, st, pd, count_include_pad=True)
    if L == "global_avgpool":
        return x.reshape(x.shape[0], x.shape[1], -1).mean(-1)
    if L == "batchnorm":
        return F.batch_norm(x, B[0], B[1], P[0], P[1], training=m["training"] == "1",
                            momentum=float(m["momentum"]), eps=float(m["eps"]))
    if L == "add":
        return sum(X)
    if L == "concat":
        return torch.cat(X, 1)
    if L == "softmax_ce":
        if X[1].dim() == 1:
            w = torch.tensor([float(v) for v in m["cw"].split(",")]) if "cw" in m else None
            return F.cross_entropy(x, X[1].long(), weight=w)
        return F.cross_entropy(x, X[1])
    if L == "bce_logits":
        return F.binary_cross_entropy_with_logits(x, X[1])
    if L == "kl_distill":
        T = float(m["T"])
        return F.kl_div(F.log_softmax(x / T, 1), F.log_softmax(X[1] / T, 1), reduction="batchmean",
                        log_target=True) * T * T
    if L == "cosine_loss":
        return (1 - F.cosine_similarity(x.reshape(x.shape[0], -1), X[1].reshape(x.shape[0], -1))).mean()
    if L == "se":
        a = gate(x.reshape(x.shape[0], x.shape[1], -1).mean(-1), P)
        return x * a.reshape(a.shape + (1,) * (x.dim() - 2))
    if L == "soft_threshold":
        mabs = x.abs().reshape(x.shape[0], x.shape[1], -1).mean(-1)
        tau = (gate(mabs, P) * mabs).reshape(mabs.shape + (1,) * (x.dim() - 2))
        return torch.sign(x) * F.relu(x.abs() - tau)
    raise KeyError(L)


worst, bad, n = 0.0, 0, 0
for line in open(os.path.join(d, "manifest.txt")):
    m = dict(kv.split("=", 1) for kv in line.split())
    ci, nin = m["case"], int(m["nin"])
    X = [load(ci, f"in{i}", shape(m[f"in{i}"])) for i in range(nin)]
    for i in range(nin):
        if m[f"grad{i}"] == "1":
            X[i].requires_grad_(True)
    P = [load(ci, f"p{i}", shape(m[f"p{i}"])).requires_grad_(True) for i in range(int(m["nparam"]))]
    B = [load(ci, f"b{i}", shape(m[f"b{i}"])) for i in range(int(m["nbuf"]))]
    y = run(m, X, P, B)
    oshape = shape(m["out"])
    y = y.reshape(oshape)
    dout = load(ci, "dout", oshape)
    y.backward(dout)
    checks = [("out", y.detach(), load(ci, "out", oshape))]
    for i in range(nin):
        if m[f"grad{i}"] == "1":
            checks.append((f"gin{i}", X[i].grad, load(ci, f"gin{i}", X[i].shape)))
    for i, p in enumerate(P):
        checks.append((f"gp{i}", p.grad, load(ci, f"gp{i}", p.shape)))
    for i, b in enumerate(B):
        checks.append((f"b{i}", b, load(ci, f"b{i}_after", b.shape)))
    msgs, ok = [], True
    for name, t, c in checks:
        e = float((c - t).abs().max()) / (float(t.abs().max()) + 1e-30)
        absd = float((c - t).abs().max())
        good = absd <= 2e-5 * float(t.abs().max()) + 1e-6
        ok &= good
        worst = max(worst, e if float(t.abs().max()) > 1e-3 else 0.0)
        msgs.append(f"{name} {e:.2e}{'' if good else ' FAIL'}")
    n += 1
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} case {ci} {m['layer']}: " + ", ".join(msgs))
print(f"{n} cases, {bad} failed, max scaled error {worst:.3g}")
sys.exit(1 if bad else 0)
