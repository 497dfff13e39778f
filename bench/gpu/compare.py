#!/usr/bin/env python3
"""Side-by-side tables and the issues' targets from one GPU run's result files (no torch needed).

    python3 bench/gpu/compare.py DIR          # DIR: an unpacked results.tar.gz of run-gpu.sh

Reads what is there of
  ours.json          GpuNrpmBench: our kernels, NRPM and LPM per layer (CUDA-event times)
  torch.json         bench/gpu/torch_nrpm.py: PyTorch LPM, materialized eager NRPM, torch.compile
  train-w8.txt, train-w64.txt   TrainStepBench tables: our ResNet-18 training steps
  torch-train.json   bench/gpu/torch_train_step.py: the same steps in PyTorch
and prints Markdown tables for bench/RESULTS.md, each target row marked met / MISSED / n/a:
  issue 3: NRPM forward >= 50% of the reciprocal bound on the full-width shapes; NRPM
           forward+backward >= 20x faster than eager, >= 2x faster than torch.compile, peak memory
           >= 50x lower than eager (same machine, same run);
  issue 5: our full-width ResNet-18 PGD-7 NRPM K=1 step >= 10x faster than eager PyTorch (where
           eager fits), and within 2x of the reciprocal-bound floor.
The floor of a training step counts one reciprocal per term per reweighting pass (NRPM.md
section 5): K passes forward, K for the input gradient and K for the weight gradient, so a clean
step takes 3K passes over the model's terms and a PGD-7 step 7 x 2K + 3K.

--self-test checks the parsing and arithmetic on made-up files.
"""
import argparse
import json
import os
import re
import sys
import tempfile

BOUND = 4.2e12   # H200 reciprocals per second (NRPM.md section 5); --bound for another card


def load_json(path):
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def num(v):
    """JSON numbers, and the torch scripts' "nan"/"inf" strings, as floats; None stays None."""
    if v is None:
        return None
    if isinstance(v, str):
        return float(v)
    return float(v)


# --------------------------------------------------------------- layers (issue 3)

def ours_key(case):
    """A GpuNrpmBench case's geometry: (dense, in, out) or (conv, in, out, input size, kernel, stride)."""
    if case["kind"] == "dense":
        return ("dense", case["in"], case["out"])
    return ("conv", case["in"], case["out"], case["size"], case["kernel"], case["stride"])


def torch_key(r):
    """The same from a torch_nrpm.py record."""
    if r["layer"] == "dense":
        return ("dense", r["D"], r["O"])
    return ("conv", r["in_channels"], r["out_channels"], r["in_hw"], r["kernel"], r["stride"])


def verdict(value, target, higher_is_better=True):
    if value is None:
        return "n/a"
    met = value >= target if higher_is_better else value <= target
    return "met" if met else "MISSED"


def fmt(v, f="%.2f"):
    return "n/a" if v is None else f % v


def layer_tables(ours, torch):
    rows = []
    records = torch["records"] if torch else []

    def find(key, impl, mode, k):
        for r in records:
            if key == torch_key(r) and r["impl"] == impl and r["mode"] == mode \
                    and (r["K"] == k or impl == "lpm"):
                return r
        return None

    out = ["| layer | K | NRPM fwd: % of bound | target >= 50% (full width) | f+b ms ours | eager ms | "
           "compiled ms | vs eager (>= 20x) | vs compiled (>= 2x) | peak MiB ours / eager | memory (>= 50x) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in ours["cases"]:
        key = ours_key(c)
        k = c["k"]
        frac = num(c.get("fraction_of_bound"))
        full = c["layer"].startswith("full.")
        eager = find(key, "eager", "fwdbwd", k)
        comp = find(key, "compiled", "fwdbwd", k)
        ours_fb = num(c["nrpm_fb_ms"])

        def ms(r):
            return num(r["ms"]) if r and r.get("status") == "ok" else None

        def status(r):
            return "n/a" if r is None else ("%.3f" % num(r["ms"]) if r.get("status") == "ok" else r.get("status"))

        e_ms, c_ms = ms(eager), ms(comp)
        vs_e = e_ms / ours_fb if e_ms else None
        vs_c = c_ms / ours_fb if c_ms else None
        ours_peak = c.get("peak_bytes_fb")
        ours_mib = ours_peak / 1048576.0 if ours_peak is not None and ours_peak >= 0 else None
        e_peak = num(eager.get("peak_mib")) if eager and eager.get("status") == "ok" else None
        mem = e_peak / ours_mib if e_peak and ours_mib else None
        rows.append(dict(layer=c["layer"], k=k, frac=frac, full=full, vs_e=vs_e, vs_c=vs_c, mem=mem))
        out.append("| %s | %d | %s | %s | %.3f | %s | %s | %s %s | %s %s | %s / %s | %s %s |" % (
            c["layer"], k, fmt(None if frac is None else 100 * frac, "%.1f%%"),
            verdict(frac, 0.5) if full else "-", ours_fb, status(eager), status(comp),
            fmt(vs_e, "%.1fx"), verdict(vs_e, 20), fmt(vs_c, "%.1fx"), verdict(vs_c, 2),
            fmt(ours_mib, "%.0f"), fmt(e_peak, "%.0f"), fmt(mem, "%.0fx"), verdict(mem, 50)))
    return out, rows


# --------------------------------------------------------------- training (issue 5)

def resnet18_terms(width, batch, classes=10):
    """B*O*D*L summed over ResNet-18's 21 convs (shortcuts included) and its classifier, CIFAR input."""
    total = 0
    hw = 32

    def conv(cin, cout, k, stride, hw_in):
        pad = k // 2
        out = (hw_in + 2 * pad - k) // stride + 1
        return batch * cout * cin * k * k * out * out, out

    t, hw = conv(3, width, 3, 1, hw)
    total += t
    cin = width
    for stage, mult in enumerate((1, 2, 4, 8)):
        cout = width * mult
        for block in range(2):
            stride = 2 if (stage > 0 and block == 0) else 1
            t1, hw1 = conv(cin, cout, 3, stride, hw)
            t2, _ = conv(cout, cout, 3, 1, hw1)
            total += t1 + t2
            if stride != 1 or cin != cout:
                ts, _ = conv(cin, cout, 1, stride, hw)
                total += ts
            cin, hw = cout, hw1
    total += batch * classes * cin
    return total


def floor_ms(width, batch, k, training, bound):
    passes = 3 * k if training == "clean" else 7 * 2 * k + 3 * k
    return resnet18_terms(width, batch) * passes / bound * 1e3


def parse_train_table(path):
    """TrainStepBench's output -> (width, batch, {(layers, training): ms}); layers 'LPM' or 'NRPM K=n'."""
    rows = {}
    width = batch = None
    if not os.path.isfile(path):
        return width, batch, rows
    for line in open(path):
        b = re.match(r"ResNet-18 width (\d+), batch (\d+)", line)
        if b:
            width, batch = int(b.group(1)), int(b.group(2))
        m = re.match(r"\|\s*(LPM|NRPM K=\d+)\s*\|\s*(clean|PGD-7)\s*\|\s*([\d.]+)\s*\|", line)
        if m:
            rows[(m.group(1), "clean" if m.group(2) == "clean" else "pgd7")] = float(m.group(3))
    return width, batch, rows


def train_tables(ours_by_width, torch_train, bound):
    out = ["| width | layers | training | ours ms/step | eager ms | compiled ms | vs eager | floor ms | ours / floor |"
           " target |", "|---|---|---|---|---|---|---|---|---|---|"]
    records = torch_train["records"] if torch_train else []
    checks = []
    for width, (batch, rows) in sorted(ours_by_width.items()):
        for (layers, training), ms in sorted(rows.items()):
            k = None if layers == "LPM" else int(layers.split("=")[1])

            def find(impl):
                for r in records:
                    if r.get("width") == width and r.get("impl") == impl and r.get("mode") == training \
                            and r.get("K") == k and r.get("batch", batch) == batch:
                        return r
                return None

            eager, comp = find("eager"), find("compiled")
            e_ms = num(eager["ms"]) if eager and eager.get("status") == "ok" else None
            c_ms = num(comp["ms"]) if comp and comp.get("status") == "ok" else None
            vs_e = e_ms / ms if e_ms else None
            fl = floor_ms(width, batch, k, training, bound) if k else None
            ratio = ms / fl if fl else None
            target = "-"
            if width == 64 and k == 1 and training == "pgd7":
                target = "vs eager >= 10x: %s; <= 2x floor: %s" % (
                    verdict(vs_e, 10) if eager and eager.get("status") != "oom" else "n/a (eager %s)" % (
                        eager.get("status") if eager else "absent"), verdict(ratio, 2, higher_is_better=False))
                checks.append((vs_e, ratio))
            out.append("| %d | %s | %s | %.0f | %s | %s | %s | %s | %s | %s |" % (
                width, layers, training, ms, fmt(e_ms, "%.0f"), fmt(c_ms, "%.0f"), fmt(vs_e, "%.1fx"),
                fmt(fl, "%.1f"), fmt(ratio, "%.2fx"), target))
    return out, checks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", help="folder with the run's files (an unpacked results.tar.gz)")
    ap.add_argument("--bound", type=float, default=BOUND, help="reciprocals per second of the card (H200: 4.2e12)")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.dir:
        ap.error("DIR is required")
    ours = load_json(os.path.join(args.dir, "ours.json"))
    torch = load_json(os.path.join(args.dir, "torch.json"))
    if ours:
        print("## Layers: our kernels against PyTorch (%s, batch %s)\n" % (ours.get("device"), ours.get("batch")))
        print("\n".join(layer_tables(ours, torch)[0]))
        print()
    else:
        print("no ours.json in %s: no layer table" % args.dir)
    tables = [parse_train_table(os.path.join(args.dir, "train-w%d.txt" % w)) for w in (8, 64)]
    by_width = {w: (b, rows) for w, b, rows in tables if rows}
    if by_width:
        torch_train = load_json(os.path.join(args.dir, "torch-train.json"))
        print("## ResNet-18 training steps (batch %s)\n" % ", ".join(sorted({str(b) for b, _ in by_width.values()})))
        print("\n".join(train_tables(by_width, torch_train, args.bound)[0]))
    else:
        print("no train-w*.txt in %s: no training table" % args.dir)
    return 0


def self_test():
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("ok   " if cond else "FAIL ") + what)
        ok = ok and cond

    check(ours_key({"kind": "conv", "in": 64, "out": 128, "size": 32, "kernel": 1, "stride": 2})
          == torch_key({"layer": "conv", "in_channels": 64, "out_channels": 128, "in_hw": 32, "kernel": 1,
                        "stride": 2}), "conv geometry keys match")
    check(ours_key({"kind": "dense", "in": 784, "out": 256}) == torch_key({"layer": "dense", "D": 784, "O": 256}),
          "dense geometry keys match")
    # ResNet-18 at width 64: 0.56 G multiply-adds per 32x32 image (the well-known CIFAR figure)
    per_image = resnet18_terms(64, 1)
    check(5.5e8 < per_image < 5.6e8, "ResNet-18 terms per image %.3g" % per_image)
    # the figures torch_train_step.py --dry-run prints, counted there layer by layer
    check(resnet18_terms(8, 128) == 1135689728 and resnet18_terms(64, 128) == 71094108160,
          "terms per forward agree with torch_train_step.py (1.136e9 tiny, 7.109e10 full, batch 128)")
    check(abs(floor_ms(64, 128, 1, "pgd7", 4.2e12) - resnet18_terms(64, 128) * 17 / 4.2e12 * 1e3) < 1e-9,
          "PGD-7 K=1 floor = 17 passes")
    geo = {"shape": "conv-full-256-256-8", "layer": "conv", "in_channels": 256, "out_channels": 256, "in_hw": 8,
           "kernel": 3, "stride": 1}
    with tempfile.TemporaryDirectory() as d:
        json.dump({"device": "test", "batch": 128, "cases": [
            {"layer": "full.layer3 256->256 8x8", "kind": "conv", "in": 256, "out": 256, "size": 8, "kernel": 3,
             "stride": 1, "k": 1, "nrpm_fb_ms": 2.0, "fraction_of_bound": 0.6, "peak_bytes_fb": 10 * 1048576}]},
            open(os.path.join(d, "ours.json"), "w"))
        json.dump({"records": [
            dict(geo, impl="eager", mode="fwdbwd", K=1, status="ok", ms=50.0, peak_mib=1000.0),
            dict(geo, impl="compiled", mode="fwdbwd", K=1, status="ok", ms="3.0", peak_mib=600.0),
            dict(geo, impl="eager", mode="fwdbwd", K=3, status="oom", ms=None, peak_mib=None)]},
            open(os.path.join(d, "torch.json"), "w"))
        lines, rows = layer_tables(load_json(os.path.join(d, "ours.json")), load_json(os.path.join(d, "torch.json")))
        r = rows[0]
        check(abs(r["vs_e"] - 25) < 1e-9 and abs(r["vs_c"] - 1.5) < 1e-9 and abs(r["mem"] - 100) < 1e-9,
              "layer ratios 25x / 1.5x / 100x")
        check("| met |" in lines[2] and "1.5x MISSED" in lines[2] and "25.0x met" in lines[2], "verdicts: " + lines[2])
        with open(os.path.join(d, "train-w64.txt"), "w") as f:
            f.write("ResNet-18 width 64, batch 128, backend cuda, 3 measured steps after one warm-up\n"
                    "| layers | training | ms/step | epoch (50k samples) s | peak MiB allocated / held |\n|---|---|---|---|---|\n"
                    "| LPM | clean | 20 | 8 | 1179 / 1343 |\n| NRPM K=1 | PGD-7 | 1000 | 391 | 2304 / 2821 |\n")
        width64, batch64, rows64 = parse_train_table(os.path.join(d, "train-w64.txt"))
        check(width64 == 64 and batch64 == 128 and rows64 == {("LPM", "clean"): 20.0, ("NRPM K=1", "pgd7"): 1000.0},
              "train table parsed: batch %s, %s" % (batch64, rows64))
        torch_train = {"records": [{"width": 64, "impl": "eager", "mode": "pgd7", "K": 1, "status": "ok",
                                    "ms": 20000.0}]}
        tl, checks = train_tables({64: (batch64, rows64)}, torch_train, 4.2e12)
        vs_e, ratio = checks[0]
        check(abs(vs_e - 20) < 1e-9, "train: 20x eager")
        check(abs(ratio - 1000 / floor_ms(64, 128, 1, "pgd7", 4.2e12)) < 1e-9, "train: ratio to floor")
    print("compare.py self-test: " + ("all passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
