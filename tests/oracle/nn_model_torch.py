#!/usr/bin/env python3
"""nn_model_torch.py DIR — check whole models (PRC_NN_MODEL_DUMP=DIR test_nn_model) against
PyTorch. For every dumped case it parses the model spec itself (an independent reader of
the format of docs/NN.md "Model specs": ${NAME:-default} substitution, comments, nodes,
keys, loss, output), builds the network from torch.nn.functional in float64, loads the
parameters and buffers by name from the same float32 values, runs forward + the spec's loss
(or sum(output * dout) for models without one) + autograd backward, and compares the output,
the loss, every parameter gradient, the input gradient (models without a loss) and the
batch-norm running statistics after the forward.
Tolerance: max|c - t| <= 2e-5 * max|t| + atol per array, atol = 1e-7 * the largest parameter
gradient of the case for gradients (1e-6 * it for gradients that are exactly zero, a conv
bias before a training-mode batch norm), 1e-6 * max(1, max|t|) for outputs, losses, buffers. Prints one line per case and the
maximum scaled error; exit 1 on any failure, 2 when torch is missing (callers skip)."""
import os
import re
import sys

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("torch not installed")
    sys.exit(2)

if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)


def substitute(line, defines, where):
    def rep(mo):
        body = mo.group(1)
        name, _, default = body.partition(":-")
        if name in defines:
            return defines[name]
        if ":-" in body:
            return default
        raise SystemExit(f"{where}: ${{{name}}} undefined")
    return re.sub(r"\$\{([^}]*)\}", rep, line)


def parse_spec(path, defines):
    """-> dict(inputs=[(name, shape)], nodes=[(name, layer, inputs, keys)], loss, lossk, output)"""
    spec = dict(inputs=[], nodes=[], loss=None, lossk={}, output=None, name=None)
    with open(path) as f:
        for ln, raw in enumerate(f, 1):
            line = substitute(raw.split("#", 1)[0], defines, f"{path}:{ln}")
            tok = line.split()
            if not tok:
                continue
            if tok[0] == "model":
                spec["name"] = tok[1]
            elif tok[0] == "input":
                spec["inputs"].append((tok[1], tuple(int(v) for v in tok[2:])))
            elif tok[0] == "loss":
                spec["loss"] = tok[1]
                spec["lossk"] = dict(t.split("=", 1) for t in tok[2:])
            elif tok[0] == "output":
                spec["output"] = tok[1]
            else:
                ins = [t for t in tok[2:] if "=" not in t]
                keys = dict(t.split("=", 1) for t in tok[2:] if "=" in t)
                spec["nodes"].append((tok[0], tok[1], ins, keys))
    if spec["output"] is None:
        spec["output"] = spec["nodes"][-1][0]
    return spec


def pair(keys, k, default, two_d):
    if k not in keys:
        return (default, default) if two_d else default
    v = keys[k]
    if "x" in v:
        a, b = v.split("x")
        return (int(a), int(b))
    return (int(v), int(v)) if two_d else int(v)


def gate(s, P, name):
    h = F.relu(F.linear(s, P[name + ".fc1.weight"], P[name + ".fc1.bias"]))
    return torch.sigmoid(F.linear(h, P[name + ".fc2.weight"], P[name + ".fc2.bias"]))


def apply(name, layer, xs, keys, P, B, training, dropout_ok=False):
    x = xs[0]
    two_d = layer.endswith("2d")
    g = lambda k, d: pair(keys, k, d, two_d)  # noqa: E731
    bias = P.get(name + ".bias")
    if layer in ("conv1d", "conv2d"):
        fn = F.conv1d if layer == "conv1d" else F.conv2d
        return fn(x, P[name + ".weight"], bias, stride=g("stride", 1), padding=g("pad", 0), dilation=g("dil", 1))
    if layer == "conv_transpose2d":
        return F.conv_transpose2d(x, P[name + ".weight"], bias, stride=g("stride", 1), padding=g("pad", 0),
                                  output_padding=g("out_pad", 0), dilation=g("dil", 1))
    if layer == "fc":
        return F.linear(x.reshape(x.shape[0], -1), P[name + ".weight"], bias)
    if layer == "flatten":
        return x.reshape(x.shape[0], -1)
    if layer == "relu":
        return F.relu(x)
    if layer == "leaky_relu":
        return F.leaky_relu(x, float(keys.get("alpha", 0.01)))
    if layer == "tanh":
        return torch.tanh(x)
    if layer == "sigmoid":
        return torch.sigmoid(x)
    if layer in ("maxpool1d", "avgpool1d", "maxpool2d", "avgpool2d"):
        k = g("k", 1)
        s = g("stride", 0)
        if s in (0, (0, 0)):
            s = k
        p = g("pad", 0)
        fn = {"maxpool1d": F.max_pool1d, "maxpool2d": F.max_pool2d,
              "avgpool1d": F.avg_pool1d, "avgpool2d": F.avg_pool2d}[layer]
        if layer.startswith("avg"):
            return fn(x, k, s, p, count_include_pad=True)
        return fn(x, k, s, p)
    if layer == "global_avgpool":
        return x.reshape(x.shape[0], x.shape[1], -1).mean(2)
    if layer == "batchnorm":
        return F.batch_norm(x, B[name + ".running_mean"], B[name + ".running_var"], P[name + ".weight"],
                            P[name + ".bias"], training, float(keys.get("momentum", 0.1)),
                            float(keys.get("eps", 1e-5)))
    if layer == "dropout":
        if training and float(keys.get("p", 0)) > 0:
            if dropout_ok:
                return F.dropout(x, float(keys["p"]), True)
            raise SystemExit("dropout with p > 0 in training cannot be compared (run with DROPOUT=0)")
        return x
    if layer == "add":
        y = xs[0]
        for t in xs[1:]:
            y = y + t
        return y
    if layer == "concat":
        return torch.cat(xs, 1)
    if layer in ("se", "soft_threshold"):
        red = (x.dim() - 2) * (None,)
        if layer == "se":
            s = x.reshape(x.shape[0], x.shape[1], -1).mean(2)
            return x * gate(s, P, name)[(...,) + red]
        m = x.abs().reshape(x.shape[0], x.shape[1], -1).mean(2)
        tau = (m * gate(m, P, name))[(...,) + red]
        return torch.sign(x) * F.relu(x.abs() - tau)
    raise SystemExit(f"layer {layer} not known to the oracle")


def run_case(d):
    meta, arrays = {}, {}
    defines = {}
    for line in open(os.path.join(d, "index.txt")):
        t = line.split()
        if t[0] == "array":
            nd = int(t[2])
            shp = tuple(int(v) for v in t[3:3 + nd])
            a = np.fromfile(os.path.join(d, t[1] + ".f32"), dtype=np.float32).reshape(shp)
            arrays[t[1]] = torch.tensor(a.astype(np.float64))
        elif t[0] == "define":
            k, v = t[1].split("=", 1)
            defines[k] = v
        else:
            meta[t[0]] = t[1]
    spec = parse_spec(meta["spec"], defines)
    training = meta["mode"] == "train"
    P = {k[6:]: v.clone().requires_grad_(True) for k, v in arrays.items() if k.startswith("param.")}
    B = {k[7:]: v.clone() for k, v in arrays.items() if k.startswith("buffer.")}
    vals = {}
    for name, _ in spec["inputs"]:
        vals[name] = arrays["input." + name].clone().requires_grad_(True)
    for name, layer, ins, keys in spec["nodes"]:
        vals[name] = apply(name, layer, [vals[i] for i in ins], keys, P, B, training)
    out = vals[spec["output"]]
    checks = [("output", arrays["result.output"], out.detach())]
    if spec["loss"]:
        tgt = arrays["target"]
        if spec["loss"] == "softmax_ce":
            loss = F.cross_entropy(out, tgt.long()) if tgt.dim() == 1 else -(tgt * F.log_softmax(out, 1)).sum(1).mean()
        elif spec["loss"] == "bce_logits":
            loss = F.binary_cross_entropy_with_logits(out, tgt)
        else:
            raise SystemExit(f"loss {spec['loss']} not known to the oracle")
        checks.append(("loss", arrays["result.loss"], loss.detach().reshape(1)))
    else:
        loss = (out * arrays["dout"]).sum()
    loss.backward()
    if "result.dx" in arrays:
        x0 = vals[spec["inputs"][0][0]]
        checks.append(("dx", arrays["result.dx"], x0.grad))
    for k, v in P.items():
        checks.append(("grad " + k, arrays["result.grad." + k], v.grad))
    for k, v in B.items():
        checks.append(("buffer " + k, arrays["result.buffer." + k], v))
    worst, worst_name, bad = 0.0, "", []
    ratio = [0.0]
    # absolute floor: 1e-7 of the largest parameter gradient of the case (gradients of a
    # whole model span 1e-4 .. 1e-1, so a fixed 1e-6 would hide errors in deep layers;
    # exact zeros, e.g. a conv bias before a training-mode batch norm, come out ~1e-9)
    gmax = max([c[2].abs().max().item() for c in checks if c[0].startswith("grad")] + [1e-30])
    for nm, c, t in checks:
        err = (c - t).abs().max().item()
        scale = t.abs().max().item()
        atol = (1e-7 * gmax) if nm.startswith("grad") else 1e-6 * max(scale, 1.0)
        if nm.startswith("grad") and scale <= 1e-10 * gmax:
            atol = 1e-6 * gmax  # zero in exact arithmetic: C float rounding only
        ok = err <= 2e-5 * scale + atol
        # scaled error over arrays that are not zero in exact arithmetic (a conv bias
        # followed by a training-mode batch norm has a zero gradient: absolute check only)
        s = err / scale if scale > 1e-6 else 0.0
        tol_frac = err / (2e-5 * scale + atol)
        ratio[0] = max(ratio[0], tol_frac)
        if s > worst:
            worst, worst_name = s, nm
        if not ok:
            bad.append(f"{nm}: max|c-t| {err:.3g} (max|t| {scale:.3g})")
    return len(checks), worst, worst_name, bad, len(P), ratio[0]


def main():
    root = sys.argv[1]
    cases = sorted(c for c in os.listdir(root) if os.path.isfile(os.path.join(root, c, "index.txt")))
    nfail, gworst, gratio = 0, 0.0, 0.0
    for c in cases:
        n, worst, wn, bad, npar, ratio = run_case(os.path.join(root, c))
        gworst = max(gworst, worst)
        gratio = max(gratio, ratio)
        print(f"{c:22s} {n:3d} arrays ({npar} parameter tensors), max scaled error {worst:.2e} ({wn}), {ratio:.3f} of tolerance"
              + ("" if not bad else "  FAIL: " + "; ".join(bad[:4])))
        nfail += bool(bad)
    print(f"{len(cases)} cases, {nfail} failed, max scaled error {gworst:.2e}, max error/tolerance {gratio:.3f}")
    sys.exit(1 if nfail or not cases else 0)


if __name__ == "__main__":
    main()
