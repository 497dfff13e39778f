#!/usr/bin/env python3
"""Our CPU backend against PyTorch on the CPU, side by side: the tables of bench/RESULTS.md's
"CPU: ours against PyTorch" section, from the files bench/cpu/vs-torch.sh writes.

  torch-layers.json   bench/gpu/torch_nrpm.py --device cpu: PyTorch LPM and materialized eager NRPM
  ours-lpm.json       JMH CpuNrpmBench.(lpm|lpmForwardBackward), the same shapes (JSON result format)
  ours-nrpm.json      JMH CpuNrpmBench.(nrpmFused|nrpmFusedForwardBackward)
  torch-train.json    bench/gpu/torch_train_step.py --device cpu: ResNet-18 training steps
  ours-train.txt      dev.nrpm.bench.TrainStepBench --device cpu, the same width and batch

    python3 bench/cpu/vs_torch.py DIR        (standard library only)
    python3 bench/cpu/vs_torch.py --self-test
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu"))
from compare import parse_train_table  # noqa: E402  (TrainStepBench's table, as for the GPU)

BENCH = "dev.nrpm.bench.CpuNrpmBench."


def layer_spec(r):
    """A torch_nrpm.py record's shape as CpuNrpmBench's layer parameter."""
    if r["layer"] == "dense":
        return "dense:%d:%d:%d" % (r["batch"], r["D"], r["O"])
    hw = r["in_hw"]
    h, w = (hw, hw) if isinstance(hw, int) else hw
    k = r["kernel"] if isinstance(r["kernel"], int) else r["kernel"][0]
    s = r["stride"] if isinstance(r["stride"], int) else r["stride"][0]
    p = r["padding"] if isinstance(r["padding"], int) else r["padding"][0]
    return "conv:%d:%d:%d:%d:%d:%d:%d:%d" % (r["batch"], r["in_channels"], h, w, r["out_channels"], k, s, p)


def jmh_scores(paths):
    """(method, layer, k) -> (ms, error ms) from JMH JSON files."""
    out = {}
    for path in paths:
        if not os.path.isfile(path):
            continue
        for run in json.load(open(path)):
            m = run["primaryMetric"]
            if m["scoreUnit"] != "ms/op":
                raise ValueError("%s: expected ms/op, found %s" % (path, m["scoreUnit"]))
            method = run["benchmark"][len(BENCH):]
            params = run.get("params", {})
            err = m.get("scoreError")
            out[(method, params.get("layer"), int(params.get("k", 0)))] = (
                m["score"], err if isinstance(err, (int, float)) else None)
    return out


def fmt(v, f):
    return "-" if v is None else f % v


def layer_table(torch_records, ours):
    """Rows per (shape, mode): PyTorch LPM and ours LPM, then per K PyTorch eager NRPM and our fused NRPM."""
    rows = ["| shape | mode | K | PyTorch LPM ms | our LPM ms | PyTorch eager NRPM ms | our fused NRPM ms "
            "| PyTorch / ours, NRPM | our NRPM / our LPM |", "|---|---|---|---|---|---|---|---|---|"]
    ratios = []
    for r in torch_records:
        if r["impl"] != "eager" or r["status"] != "ok":
            continue
        spec = layer_spec(r)
        mode, k = r["mode"], r["K"]
        lpm_t = next((x for x in torch_records if x["shape"] == r["shape"] and x["impl"] == "lpm"
                      and x["mode"] == mode and x["status"] == "ok"), None)
        suffix = "" if mode == "fwd" else "ForwardBackward"
        ours_lpm = ours.get(("lpm" + suffix, spec, 1))
        ours_nrpm = ours.get(("nrpmFused" + suffix, spec, k))
        ratio = r["ms"] / ours_nrpm[0] if ours_nrpm else None
        if ratio:
            ratios.append((spec, mode, k, ratio))
        rows.append("| %s | %s | %d | %s | %s | %.1f | %s | %s | %s |" % (
            r["shape"], mode, k, fmt(lpm_t and lpm_t["ms"], "%.2f"), fmt(ours_lpm and ours_lpm[0], "%.2f"),
            r["ms"], fmt(ours_nrpm and ours_nrpm[0], "%.2f"), fmt(ratio, "%.1fx"),
            fmt(ours_nrpm and ours_lpm and ours_nrpm[0] / ours_lpm[0], "%.1f")))
    return rows, ratios


def train_table(torch_train, ours_rows, width, batch):
    rows = ["| layers | training | PyTorch eager ms/step | ours ms/step | PyTorch / ours |", "|---|---|---|---|---|"]
    for (layers, training), ms in sorted(ours_rows.items()):
        k = None if layers == "LPM" else int(layers.split("=")[1])
        rec = next((r for r in torch_train["records"] if r.get("width") == width and r.get("impl") == "eager"
                    and r.get("mode") == training and r.get("K") == k and r.get("batch") == batch), None) \
            if torch_train else None
        t_ms = rec["ms"] if rec and rec.get("status") == "ok" else None
        rows.append("| %s | %s | %s | %.0f | %s |" % (
            layers, "clean" if training == "clean" else "PGD-7",
            fmt(t_ms, "%.0f") if t_ms else (rec["status"] if rec else "absent"), ms,
            fmt(t_ms and t_ms / ms, "%.2fx")))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.dir:
        ap.error("DIR is required")
    d = args.dir
    path = os.path.join(d, "torch-layers.json")
    if os.path.isfile(path):
        torch_layers = json.load(open(path))
        meta = torch_layers["meta"]
        print("## Layers (PyTorch %s, %s threads; batch %s)\n" % (
            meta.get("torch_version"), meta.get("torch_threads", "unrecorded"), meta["args"].get("batch")))
        ours = jmh_scores([os.path.join(d, "ours-lpm.json"), os.path.join(d, "ours-nrpm.json")])
        print("\n".join(layer_table(torch_layers["records"], ours)[0]))
        print()
    else:
        print("no torch-layers.json in %s" % d)
    width, batch, rows = parse_train_table(os.path.join(d, "ours-train.txt"))
    path = os.path.join(d, "torch-train.json")
    if rows:
        torch_train = json.load(open(path)) if os.path.isfile(path) else None
        print("## ResNet-18 width %d training steps, batch %d\n" % (width, batch))
        print("\n".join(train_table(torch_train, rows, width, batch)))
    else:
        print("no ours-train.txt in %s" % d)
    return 0


def self_test():
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    conv = {"layer": "conv", "batch": 128, "in_channels": 8, "out_channels": 16, "in_hw": 32, "kernel": 3,
            "stride": 2, "padding": 1, "D": 72, "O": 16}
    check(layer_spec(conv) == "conv:128:8:32:32:16:3:2:1", "conv spec")
    check(layer_spec(dict(conv, in_hw=[32, 32], kernel=[3, 3], stride=[2, 2], padding=[1, 1]))
          == "conv:128:8:32:32:16:3:2:1", "conv spec from pairs")
    check(layer_spec({"layer": "dense", "batch": 128, "D": 784, "O": 256}) == "dense:128:784:256", "dense spec")
    recs = [dict(conv, shape="s", impl="lpm", mode="fwd", K=None, status="ok", ms=2.0),
            dict(conv, shape="s", impl="eager", mode="fwd", K=1, status="ok", ms=300.0),
            dict(conv, shape="s", impl="eager", mode="fwdbwd", K=1, status="oom", ms=None)]
    ours = {("lpm", "conv:128:8:32:32:16:3:2:1", 1): (1.0, 0.1),
            ("nrpmFused", "conv:128:8:32:32:16:3:2:1", 1): (10.0, 0.5)}
    rows, ratios = layer_table(recs, ours)
    check(len(rows) == 3, "one row per eager case that ran")
    check(ratios == [("conv:128:8:32:32:16:3:2:1", "fwd", 1, 30.0)], "PyTorch / ours ratio: %r" % ratios)
    check("| 10.0 |" in rows[2] or "10.00" in rows[2], "our NRPM / LPM in the row: %s" % rows[2])
    t = train_table({"records": [{"width": 8, "impl": "eager", "mode": "pgd7", "K": 1, "batch": 32,
                                  "status": "ok", "ms": 900.0}]}, {("NRPM K=1", "pgd7"): 300.0}, 8, 32)
    check(t[2] == "| NRPM K=1 | PGD-7 | 900 | 300 | 3.00x |", "training row: %s" % t[2])
    for f in failures:
        print("FAIL:", f)
    print("self-test: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
