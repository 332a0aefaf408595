#!/usr/bin/python3
"""Summary of the RST lines of a tests/bench.sh raw log (docs/PERFORMANCE.md defines the
quantities). Medians over the repetitions. Usage: rst_report.py RAW"""
import re
import sys
import statistics as st
from collections import defaultdict

rows = []
for line in open(sys.argv[1]):
    if not line.startswith("rst_"):
        continue
    name, rest = line.split(" ", 1)
    kv = dict(re.findall(r"(\w+)=(\S+)", rest))
    rows.append((name, kv))

def med(vals):
    return st.median(vals) if vals else float("nan")

# kernels: key (variant, block label, np) -> phase -> [seconds]
K = defaultdict(lambda: defaultdict(list))
size = {}
for name, kv in rows:
    if name in ("rst_mean", "rst_acc", "rst_bg", "rst_retira"):
        nt, npix = int(kv["nt"]), int(kv["npix"])
        blk = "whole" if int(kv["block"]) == nt else kv["block"]
        key = (kv["variant"], blk, int(kv["np"]))
        K[key][name[4:]].append(float(kv["seconds"]))
        size[key] = (npix, nt)

def phases(key):
    d = K[key]
    m = {p: med(d[p]) for p in ("mean", "acc", "bg", "retira")}
    npix, nt = size[key]
    gb = npix * nt * 4 / 1e9
    m["refpass"] = m["mean"] + m["acc"]
    m["total"] = m["refpass"] + m["bg"] + m["retira"]
    return m, gb, npix, nt

print("\n## RST kernels in memory (tests/bench/bench_rst.c vs tests/bench/rst_numpy_peer.py)")
print("GB = float32 input bytes of the stack; GB/s = GB / phase time; reference pass = spatial mean + accumulation;")
print("total = mean + accumulation + background merge + RETIRA (the whole computation, stack read twice).")
main = [k for k in K if k[0] in ("fast", "numpy")]
for key in sorted(main, key=lambda k: (k[0] != "fast", str(k[1]), k[2])):
    m, gb, npix, nt = phases(key)
    print(f"{key[0]:5s} block={key[1]:5s} np={key[2]} ({npix} px x {nt} d = {gb:.2f} GB): "
          f"mean {m['mean']:.3f} s  acc {m['acc']:.3f} s  bg {m['bg']:.3f} s  retira {m['retira']:.3f} s | "
          f"ref pass {gb / m['refpass']:.2f} GB/s  RETIRA {gb / m['retira']:.2f} GB/s  total {gb / m['total']:.2f} GB/s")
# per-value cost and the memory bound: ns per input value per core (rank), and what 5 GB/s needs
bw = defaultdict(list)
for name, kv in rows:
    if name == "rst_membw":
        bw[(kv["op"], int(kv["np"]))].append(float(kv["gbps"]))
for key in sorted(k for k in K if k[0] == "fast" and k[2] > 0):
    m, gb, npix, nt = phases(key)
    vals = npix * nt / key[2]  # values per rank
    print(f"  ns per input value per core, fast block={key[1]:5s} np={key[2]}: " + "  ".join(
        f"{p} {m[p] / vals * 1e9:.2f}" for p in ("mean", "acc", "bg", "retira", "total")))
if bw:
    print("memory bandwidth (tests/bench/bench_membw.c, 1 GB per rank, GB/s over all ranks): " + "  ".join(
        f"{op} np={n} {med(v):.1f}" for (op, n), v in sorted(bw.items())))
    print("5 GB/s of input for the whole computation needs 1.60 ns per value per core on 2 cores (all phases together); "
          "its memory traffic (the stack read twice, R written once) would be 15 GB/s plus write-allocate reads")
npy = [k for k in K if k[0] == "numpy"]
if npy:
    mn, _, _, _ = phases(npy[0])
    print("ratio = numpy time / C time (>1: C faster), per phase and total")
    for key in sorted(k for k in K if k[0] == "fast"):
        m, _, _, _ = phases(key)
        print(f"  fast block={key[1]:5s} np={key[2]}: " + "  ".join(
            f"{p} {mn[p] / m[p]:.2f}" for p in ("mean", "acc", "bg", "retira", "refpass", "total")))
if ("ref", "whole", 1) in K and ("fast1y", "whole", 1) in K:
    r, gb, _, _ = phases(("ref", "whole", 1))
    f, _, _, _ = phases(("fast1y", "whole", 1))
    print(f"fast vs scalar _ref kernels, 1 rank, 1 year ({gb:.2f} GB), whole-stack block, speed-up: " + "  ".join(
        f"{p} {r[p] / f[p]:.2f} ({r[p]:.3f} -> {f[p]:.3f} s)" for p in ("mean", "acc", "bg", "retira", "total")))
weak = sorted(k for k in K if k[0] == "weak")
if weak:
    print("weak scaling (pixels per rank fixed; 4 ranks oversubscribe the 2 cores): time per phase, efficiency t(1)/t(np)")
    b, _, _, _ = phases(weak[0])
    for key in weak:
        m, gb, npix, nt = phases(key)
        print(f"  np={key[2]} ({npix} px, {gb:.2f} GB): total {m['total']:.3f} s  eff {b['total'] / m['total']:.2f}  "
              f"(mean {m['mean']:.3f} acc {m['acc']:.3f} bg {m['bg']:.3f} retira {m['retira']:.3f})  {gb / m['total']:.2f} GB/s")
chk = defaultdict(set)
for name, kv in rows:
    if name == "rst_check":
        chk[kv["variant"]].add((kv["sum_r"], kv["n_r"]))
if chk:
    print("checksums (sum of finite R, their count): " + "; ".join(f"{v}: {sorted(s)}" for v, s in chk.items()))
for name, kv in rows:
    if name == "rst_vmhwm" and kv["variant"] in ("fast", "weak"):
        pass
hw = defaultdict(list)
for name, kv in rows:
    if name == "rst_vmhwm":
        hw[(kv["variant"], kv["block"], kv["np"], kv["nt"])].append(int(kv["kb"]))
if hw:
    print("peak RSS per rank of the in-memory driver (VmHWM, MB; it holds the whole stack by design):")
    for k, v in sorted(hw.items()):
        print(f"  {k[0]} block={k[1]} np={k[2]} nt={k[3]}: max {max(v) / 1024:.0f} MB")

# end to end
fb = {kv["years"]: int(kv["bytes"]) for n, kv in rows if n == "rst_file"}
dd = defaultdict(list); e2e = defaultdict(list); rss = defaultdict(list)
for name, kv in rows:
    if name == "rst_ddread":
        dd[kv["years"]].append(float(kv["seconds"]))
    elif name == "rst_e2e":
        e2e[(kv["years"], int(kv["np"]))].append(float(kv["seconds"]))
    elif name == "rst_maxrss" and kv.get("kb", "").isdigit():  # ranks' GNU time lines may interleave: skip a garbled one
        rss[(kv["years"], int(kv["np"]))].append(int(kv["kb"]))
if fb:
    print("\n## RST end to end (bin/precursor rst on a synth stack; wall time incl. start-up, both passes, all products)")
    for y in sorted(fb):
        gb = fb[y] / 1e9
        ddm = med(dd[y])
        print(f"lst.h5 {y} y: {gb:.3f} GB; dd bs=16M (warm page cache): {ddm:.3f} s = {gb / ddm:.2f} GB/s")
        for (yy, np_), v in sorted(e2e.items()):
            if yy != y:
                continue
            s = med(v)
            mx = max(rss[(yy, np_)]) / 1024 if rss[(yy, np_)] else float("nan")
            print(f"  rst np={np_}: {s:.2f} s = {gb / s:.3f} GB/s of input ({ddm / s * 100:.1f} % of the dd read rate); "
                  f"peak RSS per rank max {mx:.0f} MB")
