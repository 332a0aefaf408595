#!/usr/bin/env python3
"""nn_torch_peer.py — the PyTorch peer of tests/bench/bench_nn.c: the same training step
(forward + the spec's loss + backward + plain SGD p -= lr g, gradients zeroed) on the same
model, built from the same spec file by tests/oracle/nn_model_torch.py's spec reader with
torch.nn.functional in float32, parameters with the C model's names and shapes
(TENSOR_DIR/MODEL.tensors written by bench_nn -w), inputs U(-1,1).

    nn_torch_peer.py -t THREADS -s SECONDS -w TENSOR_DIR MODEL:BATCH ...

Prints: torch_nn model=M batch=B threads=T steps=K seconds=S samples_per_s=X"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
from nn_model_torch import apply, parse_spec  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("-t", type=int, default=1)
ap.add_argument("-s", type=float, default=3.0)
ap.add_argument("-w", required=True)
ap.add_argument("models", nargs="+")
a = ap.parse_args()
torch.set_num_threads(a.t)
torch.manual_seed(1)

for mb in a.models:
    name, _, b = mb.partition(":")
    B = int(b or 64)
    spec = parse_spec(f"inputs/models/{name}.model", {})
    P, Bf = {}, {}
    for line in open(os.path.join(a.w, name + ".tensors")):
        t = line.split()
        shp = tuple(int(v) for v in t[2:])
        if t[1] == "0":
            fan = 1
            for v in shp[1:]:
                fan *= v
            bound = 1.0 / max(fan, 1) ** 0.5
            P[t[0]] = ((torch.rand(shp) * 2 - 1) * bound).requires_grad_(True)
        else:
            Bf[t[0]] = torch.ones(shp) if "running_var" in t[0] else torch.zeros(shp)
    for k in P:  # batch norm: weight 1, bias 0 (as the C init)
        base = k.rsplit(".", 1)[0]
        if base + ".running_mean" in Bf:
            with torch.no_grad():
                P[k].fill_(1.0 if k.endswith("weight") else 0.0)
    xs = {n: torch.rand((B,) + shp) * 2 - 1 for n, shp in spec["inputs"]}
    params = list(P.values())

    def step():
        vals = dict(xs)
        for nm, layer, ins, keys in spec["nodes"]:
            vals[nm] = apply(nm, layer, [vals[i] for i in ins], keys, P, Bf, True, dropout_ok=True)
        out = vals[spec["output"]]
        if spec["loss"] == "softmax_ce":
            loss = F.cross_entropy(out, tgt)
        else:
            loss = F.binary_cross_entropy_with_logits(out, tgt)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-1e-3)
                p.grad.zero_()
        return loss

    with torch.no_grad():
        vals = dict(xs)
        for nm, layer, ins, keys in spec["nodes"]:
            vals[nm] = apply(nm, layer, [vals[i] for i in ins], keys, P, dict((k, v.clone()) for k, v in Bf.items()),
                             True, dropout_ok=True)
        o = vals[spec["output"]]
    if o.dim() == 2 and o.shape[1] > 1:
        tgt = torch.randint(0, o.shape[1], (B,))
    else:
        tgt = torch.randint(0, 2, o.shape).float()
    for _ in range(3):
        step()
    t0, n = time.perf_counter(), 0
    while True:
        loss = step()
        n += 1
        t1 = time.perf_counter()
        if t1 - t0 >= a.s:
            break
    print(f"torch_nn model={name} batch={B} threads={a.t} steps={n} seconds={t1 - t0:.4f} "
          f"samples_per_s={n * B / (t1 - t0):.1f} loss={loss.item():.4f}", flush=True)
