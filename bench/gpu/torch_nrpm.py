#!/usr/bin/env python3
"""PyTorch baselines for NRPM on one GPU: the PyTorch side of bench/RESULTS.md.

What it measures
----------------
Layer by layer, at batch 128 by default, fp32 with TF32 disabled:

  lpm       the linear layer itself: F.linear (cuBLAS) or F.conv2d (cuDNN, cudnn.benchmark on).
  eager     NRPM written the straightforward way, from ../shared/NRPM.md: build the terms
            t = x[b,None,:] * w[None,:,:]  -> (B, O, D)            (dense), or
            t = unfold(x)[:,None] * w[None,:,:,None] -> (B, O, D, L) (conv; F.unfold of the
            zero-padded input, so padded zeros are ordinary terms), then
            z0 = sum_D t;  K times: r = t - z/D, w = 1/(|r| + eps), z = D * sum(w t) / sum(w);
            y = lambda * z0 + (1 - lambda) * zK + bias.   L1 weight function, eps = 1e-3,
            lambda = 0.5 (a scalar tensor, so it gets a gradient).
  compiled  the very same Python function under torch.compile (default mode, dynamic=False:
            one static-shape compile per layer shape and K, reused for forward and
            forward+backward; a compile failure is recorded for that case, the run goes on).

each as "fwd" (forward under torch.no_grad) and "fwdbwd" (forward, loss = (y * g).sum() with a
fixed random g, torch.autograd.grad w.r.t. x, w, bias and, for NRPM, lambda), NRPM for K in
{1, 3}. Shapes: the paper's MNIST MLP dense layers, ResNet-18 CIFAR 3x3 convs at width 8
("tiny") and at full width, and a full-width 1x1 stride-2 shortcut conv (--dry-run lists them).

Before timing, every case is validated: LPM and eager NRPM against a float64 run of the same
formulation on the first --check-batch samples (relative L2 error of y < 1e-4, of the
gradients < 1e-3), compiled NRPM against the eager result of the full batch (or against the
float64 slice where eager did not fit). Timing: CUDA events around each call, after warm-up,
median of --repeat calls (fewer, at least 3, for calls so slow that --repeat of them would
exceed --max-case-s). Peak memory: torch.cuda.max_memory_allocated after
reset_peak_memory_stats, per case. A case that runs out of memory is recorded as "oom" with
the size of its terms tensor (B*O*D*L*4 bytes) and the run continues.

Conventions (also printed and written to the JSON):
  terms    N = B*O*D*L per layer evaluation (L = 1 for dense, H_out*W_out for conv).
  passes   LPM: fwd 1, fwdbwd 3 (forward, grad-input, grad-weight).
           NRPM: fwd K+1 (z0 and K reweighting passes), fwdbwd 2(K+1) (each forward pass
           mirrored by one backward pass). terms_per_s = passes * N / time.
  recip    only the K reweighting passes need a reciprocal per term (z0 needs none): fwd K,
           fwdbwd 2K (a fused backward recomputes each step's weights, NRPM.md section 4).
           frac_recip_bound = recip_passes * N / time / 4.2e12, the H200 bound of NRPM.md
           section 5 (4.2e12 reciprocal-terms per second); 1.0 would mean NRPM at the
           special-function-unit limit.

How to run
----------
On a GPU machine (Python 3.12, PyTorch with CUDA), from the repository root:

    python3 bench/gpu/torch_nrpm.py --json $OUT/torch.json            # default, ~3 min on an H200
    python3 bench/gpu/torch_nrpm.py --shapes small --k 1 --no-compile  # quick look
    python3 bench/gpu/torch_nrpm.py --shapes full --budget-s 0 --json $OUT/full.json

Without a GPU or without torch:

    python3 bench/gpu/torch_nrpm.py --dry-run      # the planned cases, sizes and conventions
    python3 bench/gpu/torch_nrpm.py --self-test    # checks of the pure-Python parts
    python3 bench/gpu/torch_nrpm.py --device cpu --shapes dense-64,conv-tiny-3-8 --batch 4
                                                   # smoke test of every code path on a CPU
                                                   # build of torch (times mean nothing)

The default run keeps to about 3 minutes (--budget-s 170): LPM and eager cases of every shape
run first, then the compiled ones, shapes taken round-robin over dense / tiny / full width (each
(shape, K) compile costs seconds, 56 graphs in all); a case that would start after the budget is
recorded as "skipped" and the closing lines name the shapes to rerun (--shapes ... --budget-s 0).
The JSON is rewritten after every case, so a run that is cut off still leaves its results.
Exit status: 0; 3 when some case failed validation (its numbers are still reported, flagged
valid=false); 2 for usage errors or no torch / no CUDA device; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
import zlib
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the sibling module, from any cwd
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ here
try:
    import nrpm_torch_common as common
    from nrpm_torch_common import _fmt, _mib, compile_fn, is_oom, nrpm_reduce, parse_list, short_error
finally:
    sys.dont_write_bytecode = _dont_write_bytecode

SCHEMA = "nrpm-torch-bench/1"
RECIP_BOUND_DEFAULT = 4.2e12
TOL_Y = 1e-4
TOL_GRAD = 1e-3
GRAD_NAMES_NRPM = ("x", "w", "b", "lam")
GRAD_NAMES_LPM = ("x", "w", "b")
MODES = ("fwd", "fwdbwd")
IMPLS = ("lpm", "eager", "compiled")

torch = None  # set by setup_torch(); the pure-Python parts never need it
F = None

# --------------------------------------------------------------------------------------------
# Shapes and cases (pure Python)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    name: str
    group: str  # "dense", "tiny", "full"
    kind: str  # "dense" or "conv"
    cin: int
    cout: int
    hw: int = 1  # conv input height = width
    ksize: int = 1
    stride: int = 1
    pad: int = 0
    note: str = ""

    @property
    def out_hw(self):
        if self.kind == "dense":
            return 1
        return (self.hw + 2 * self.pad - self.ksize) // self.stride + 1

    @property
    def D(self):
        return self.cin if self.kind == "dense" else self.cin * self.ksize * self.ksize

    @property
    def O(self):
        return self.cout

    @property
    def L(self):
        return 1 if self.kind == "dense" else self.out_hw * self.out_hw

    def terms(self, batch):
        return batch * self.O * self.D * self.L

    def x_shape(self, batch):
        return (batch, self.cin) if self.kind == "dense" else (batch, self.cin, self.hw, self.hw)

    def w_shape(self):
        return (self.cout, self.cin) if self.kind == "dense" else (self.cout, self.cin, self.ksize, self.ksize)

    def y_shape(self, batch):
        return (batch, self.cout) if self.kind == "dense" else (batch, self.cout, self.out_hw, self.out_hw)

    def describe(self):
        if self.kind == "dense":
            return "dense %d->%d" % (self.cin, self.cout)
        return "conv %d->%d %dx%d in %dx%d s%d p%d -> %dx%d" % (
            self.cin, self.cout, self.ksize, self.ksize, self.hw, self.hw, self.stride, self.pad,
            self.out_hw, self.out_hw)


def _conv(name, group, cin, cout, hw, ksize=3, stride=1, pad=1, note=""):
    return Shape(name, group, "conv", cin, cout, hw, ksize, stride, pad, note)


SHAPES = (
    Shape("dense-784-256", "dense", "dense", 784, 256, note="MNIST MLP layer 1"),
    Shape("dense-256-64", "dense", "dense", 256, 64, note="MNIST MLP layer 2"),
    Shape("dense-64-10", "dense", "dense", 64, 10, note="MNIST MLP layer 3"),
    _conv("conv-tiny-3-8-32", "tiny", 3, 8, 32, note="ResNet-18 w8 stem"),
    _conv("conv-tiny-8-8-32", "tiny", 8, 8, 32, note="ResNet-18 w8 layer1"),
    _conv("conv-tiny-8-16-32s2", "tiny", 8, 16, 32, stride=2, note="ResNet-18 w8 layer2 first conv"),
    _conv("conv-tiny-16-32-16s2", "tiny", 16, 32, 16, stride=2, note="ResNet-18 w8 layer3 first conv"),
    _conv("conv-tiny-32-64-8s2", "tiny", 32, 64, 8, stride=2, note="ResNet-18 w8 layer4 first conv"),
    _conv("conv-full-3-64-32", "full", 3, 64, 32, note="ResNet-18 stem"),
    _conv("conv-full-64-64-32", "full", 64, 64, 32, note="ResNet-18 layer1"),
    _conv("conv-full-128-128-16", "full", 128, 128, 16, note="ResNet-18 layer2"),
    _conv("conv-full-256-256-8", "full", 256, 256, 8, note="ResNet-18 layer3"),
    _conv("conv-full-512-512-4", "full", 512, 512, 4, note="ResNet-18 layer4"),
    _conv("conv-full-sc-64-128-32s2", "full", 64, 128, 32, ksize=1, stride=2, pad=0,
          note="ResNet-18 layer2 1x1 shortcut"),
)

SHAPE_KEYWORDS = {
    "all": lambda s: True,
    "small": lambda s: s.group in ("dense", "tiny"),
    "large": lambda s: s.group == "full",
    "dense": lambda s: s.kind == "dense",
    "conv": lambda s: s.kind == "conv",
}


def select_shapes(spec):
    """Comma-separated tokens: all, small (dense + tiny), large (full width), dense, conv, or a
    substring of shape names. The union, in table order. ValueError for a token matching none."""
    tokens = [t.strip() for t in spec.split(",") if t.strip()]
    if not tokens:
        raise ValueError("--shapes is empty")
    chosen = set()
    for tok in tokens:
        pred = SHAPE_KEYWORDS.get(tok.lower())
        hits = [s.name for s in SHAPES if (pred(s) if pred else tok.lower() in s.name.lower())]
        if not hits:
            raise ValueError("--shapes token %r matches no shape; shapes: %s; keywords: %s" % (
                tok, ", ".join(s.name for s in SHAPES), ", ".join(SHAPE_KEYWORDS)))
        chosen.update(hits)
    return [s for s in SHAPES if s.name in chosen]


@dataclass(frozen=True)
class Case:
    shape: Shape
    impl: str  # lpm, eager, compiled
    mode: str  # fwd, fwdbwd
    K: object  # int for NRPM, None for LPM

    @property
    def label(self):
        k = "" if self.K is None else " K=%d" % self.K
        return "%s %s %s%s" % (self.shape.name, self.impl, self.mode, k)


def interleave_groups(shapes):
    """Round-robin over the groups (dense, tiny, full), table order within each: dense-784-256,
    conv-tiny-3-8-32, conv-full-3-64-32, dense-256-64, ..."""
    groups = []
    for s in shapes:
        for g in groups:
            if g[0].group == s.group:
                g.append(s)
                break
        else:
            groups.append([s])
    out = []
    for i in range(max((len(g) for g in groups), default=0)):
        out.extend(g[i] for g in groups if i < len(g))
    return out


def plan_cases(shapes, ks, modes, impls):
    """LPM and eager cases of every shape first, in table order; then the compiled ones, shapes
    taken round-robin over the groups, so that a time budget cuts compiled cases (whose compile
    time dominates) evenly across dense, tiny and full-width layers, and never the baselines."""
    cases = []
    for s in shapes:
        if "lpm" in impls:
            cases.extend(Case(s, "lpm", m, None) for m in modes)
        if "eager" in impls:
            cases.extend(Case(s, "eager", m, k) for k in ks for m in modes)
    if "compiled" in impls:
        for s in interleave_groups(shapes):
            cases.extend(Case(s, "compiled", m, k) for k in ks for m in modes)
    return cases


def passes(case):
    if case.impl == "lpm":
        return 1 if case.mode == "fwd" else 3
    return (case.K + 1) * (1 if case.mode == "fwd" else 2)


def recip_passes(case):
    if case.impl == "lpm":
        return 0
    return case.K * (1 if case.mode == "fwd" else 2)


def conventions(recip_bound):
    return {
        "terms": "N = B*O*D*L per layer evaluation; D = in_features (dense) or C_in*kh*kw (conv); "
                 "L = 1 (dense) or H_out*W_out (conv)",
        "passes": "LPM: fwd 1, fwdbwd 3 (forward, grad-input, grad-weight); NRPM: fwd K+1 "
                  "(z0 plus K reweighting passes), fwdbwd 2(K+1)",
        "terms_per_s": "passes * N / median time",
        "terms_per_s_raw": "N / median time (layer evaluations times terms, no pass multiplier)",
        "recip_passes": "passes needing one reciprocal per term: NRPM fwd K, fwdbwd 2K (z0 needs "
                        "none; a fused backward recomputes each step's weights); LPM 0",
        "frac_recip_bound": "recip_passes * N / median time / %.3g (H200 reciprocal bound, "
                            "NRPM.md section 5); null for LPM" % recip_bound,
        "ms": "median over 'repeats' calls timed with CUDA events after warm-up; fwdbwd includes "
              "the (y*g).sum() loss and torch.autograd.grad",
        "peak_mib": "torch.cuda.max_memory_allocated over the warm-up and timed calls (stats reset "
                    "after the first call, so cudnn.benchmark's search is left out; for an OOM, up to "
                    "the failure), inputs included; peak_extra_mib = peak minus memory allocated "
                    "when the stats were reset",
        "ratio_ms_vs_lpm": "NRPM ms / LPM ms, same shape and mode",
        "ratio_peak_vs_lpm": "NRPM peak_extra_mib / LPM peak_extra_mib, same shape and mode",
        "speedup_vs_eager": "eager ms / compiled ms, same shape, mode and K",
        "rel_err": "relative L2 error ||a - ref|| / ||ref||; tolerances y %.0e, gradients %.0e"
                   % (TOL_Y, TOL_GRAD),
        "oom": "status 'oom': torch.cuda.OutOfMemoryError; terms_tensor_bytes = B*O*D*L*4 is the "
               "size of one fp32 terms tensor (the eager formulation holds several)",
    }


RECORD_FIELDS = (
    "shape", "group", "layer", "note", "impl", "backend", "mode", "K", "batch",
    "in_channels", "out_channels", "in_hw", "out_hw", "kernel", "stride", "padding",
    "D", "O", "L", "terms", "terms_tensor_bytes", "passes", "recip_passes",
    "status", "error",
    "ms", "ms_min", "ms_max", "ms_samples", "repeats", "warmup", "first_call_s", "compile_s",
    "compiled_graphs", "graph_breaks",
    "terms_per_s", "terms_per_s_raw", "frac_recip_bound",
    "peak_mib", "peak_extra_mib", "base_mib",
    "valid", "check_ref", "rel_err", "tol",
    "ratio_ms_vs_lpm", "ratio_peak_vs_lpm", "speedup_vs_eager", "peak_ratio_vs_eager",
)


def backend_name(case):
    if case.impl == "lpm":
        return "F.linear (cuBLAS)" if case.shape.kind == "dense" else "F.conv2d (cuDNN)"
    if case.impl == "eager":
        return "materialized, eager"
    return "materialized, torch.compile (inductor, default mode, dynamic=False)"


def base_record(case, batch):
    s = case.shape
    rec = dict.fromkeys(RECORD_FIELDS)
    rec.update({
        "shape": s.name, "group": s.group, "layer": s.kind, "note": s.note, "impl": case.impl,
        "backend": backend_name(case), "mode": case.mode, "K": case.K, "batch": batch,
        "in_channels": s.cin, "out_channels": s.cout,
        "in_hw": s.hw if s.kind == "conv" else None, "out_hw": s.out_hw if s.kind == "conv" else None,
        "kernel": s.ksize if s.kind == "conv" else None, "stride": s.stride if s.kind == "conv" else None,
        "padding": s.pad if s.kind == "conv" else None,
        "D": s.D, "O": s.O, "L": s.L, "terms": s.terms(batch), "terms_tensor_bytes": 4 * s.terms(batch),
        "passes": passes(case), "recip_passes": recip_passes(case), "status": "pending",
        "rel_err": {}, "tol": {"y": TOL_Y, "grad": TOL_GRAD},
    })
    return rec


def fill_rates(rec, recip_bound):
    ms = rec.get("ms")
    if rec.get("status") != "ok" or not ms:
        return
    sec = ms / 1e3
    rec["terms_per_s"] = rec["passes"] * rec["terms"] / sec
    rec["terms_per_s_raw"] = rec["terms"] / sec
    rec["frac_recip_bound"] = (rec["recip_passes"] * rec["terms"] / sec / recip_bound
                               if rec["recip_passes"] else None)


def annotate(records):
    """Cross-record ratios: NRPM vs LPM (same shape and mode), compiled vs eager (same K too)."""
    def ok(r):
        return r.get("status") == "ok" and r.get("ms")

    index = {}
    for r in records:
        if ok(r):
            index[(r["shape"], r["impl"], r["mode"], r["K"])] = r
    for r in records:
        for key in ("ratio_ms_vs_lpm", "ratio_peak_vs_lpm", "speedup_vs_eager", "peak_ratio_vs_eager"):
            r[key] = None
        if not ok(r) or r["impl"] == "lpm":
            continue
        lpm = index.get((r["shape"], "lpm", r["mode"], None))
        if lpm:
            r["ratio_ms_vs_lpm"] = r["ms"] / lpm["ms"]
            if r.get("peak_extra_mib") is not None and lpm.get("peak_extra_mib"):
                r["ratio_peak_vs_lpm"] = r["peak_extra_mib"] / lpm["peak_extra_mib"]
        if r["impl"] == "compiled":
            eager = index.get((r["shape"], "eager", r["mode"], r["K"]))
            if eager:
                r["speedup_vs_eager"] = eager["ms"] / r["ms"]
                if r.get("peak_extra_mib") and eager.get("peak_extra_mib") is not None:
                    r["peak_ratio_vs_eager"] = r["peak_extra_mib"] / eager["peak_extra_mib"]


def markdown_table(records):
    head = ("| shape | B·O·D·L | mode | impl | K | status | ms | Gterm/s | recip bound | peak MiB "
            "| ×LPM time | ×LPM mem | eager/compiled | max rel err |")
    sep = "|" + "---|" * 14
    lines = [head, sep]
    for r in records:
        status = r["status"]
        if status == "oom":
            status = "oom (terms %.1f GiB)" % (r["terms_tensor_bytes"] / 2.0 ** 30)
        elif status == "ok" and r.get("valid") is False:
            status = "ok, INVALID"
        errs = [v for v in (r.get("rel_err") or {}).values() if isinstance(v, (int, float))]
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["shape"], "%.3g" % r["terms"], r["mode"], r["impl"], _fmt(r["K"], "%d"), status,
            _fmt(r.get("ms")), _fmt(r["terms_per_s"] / 1e9 if r.get("terms_per_s") else None),
            _fmt(r["frac_recip_bound"] * 100 if r.get("frac_recip_bound") is not None else None, "%.2g%%"),
            _fmt(r.get("peak_mib"), "%.0f"), _fmt(r.get("ratio_ms_vs_lpm"), "%.3gx"),
            _fmt(r.get("ratio_peak_vs_lpm"), "%.3gx"), _fmt(r.get("speedup_vs_eager"), "%.3gx"),
            _fmt(max(errs) if errs else None, "%.1e")))
    return "\n".join(lines)


def conventions_text(recip_bound):
    c = conventions(recip_bound)
    return "\n".join("- %s: %s" % (k, v) for k, v in c.items())


def dry_run(args, shapes, cases):
    print("# NRPM PyTorch benchmark: plan (dry run, torch not imported)")
    print("batch %d, K %s, modes %s, impls %s, warmup %d, repeat %d, budget %s s" % (
        args.batch, ",".join(map(str, args.k_list)), ",".join(args.mode_list), ",".join(args.impl_list),
        args.warmup, args.repeat, args.budget_s or "none"))
    print()
    print("| shape | layer | note | D | O | L | B·O·D·L | terms tensor MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for s in shapes:
        n = s.terms(args.batch)
        print("| %s | %s | %s | %d | %d | %d | %.4g | %.0f |" % (
            s.name, s.describe(), s.note, s.D, s.O, s.L, n, _mib(4 * n)))
    print()
    print("| # | case | passes | recip passes |")
    print("|---|---|---|---|")
    for i, c in enumerate(cases, 1):
        print("| %d | %s | %d | %d |" % (i, c.label, passes(c), recip_passes(c)))
    ncomp = len({(c.shape.name, c.K, c.mode) for c in cases if c.impl == "compiled"})
    print()
    print("%d cases, %d compiled graphs (one per shape, K and mode)" % (len(cases), ncomp))
    print("Conventions:")
    print(conventions_text(args.recip_bound))
    return 0


# --------------------------------------------------------------------------------------------
# Self-test of the pure-Python parts (no torch, no fakes)
# --------------------------------------------------------------------------------------------


def self_test():
    checks = 0

    def check(cond, what):
        nonlocal checks
        if not cond:
            raise AssertionError(what)
        checks += 1

    by = {s.name: s for s in SHAPES}
    check(len(by) == len(SHAPES), "shape names unique")
    d = by["dense-784-256"]
    check((d.D, d.O, d.L, d.terms(128)) == (784, 256, 1, 128 * 256 * 784), "dense-784-256 sizes")
    c = by["conv-full-64-64-32"]
    check((c.D, c.O, c.L, c.out_hw) == (576, 64, 1024, 32), "conv-full-64-64-32 sizes")
    check(c.terms(128) == 4831838208, "conv-full-64-64-32 terms")
    for n in ("conv-full-128-128-16", "conv-full-256-256-8", "conv-full-512-512-4"):
        check(by[n].terms(128) == c.terms(128), "%s has the same term count as 64-64-32" % n)
    check(by["conv-tiny-8-16-32s2"].out_hw == 16, "8-16 s2 out 16")
    check(by["conv-tiny-16-32-16s2"].out_hw == 8, "16-32 s2 out 8")
    check(by["conv-tiny-32-64-8s2"].out_hw == 4, "32-64 s2 out 4")
    sc = by["conv-full-sc-64-128-32s2"]
    check((sc.D, sc.L, sc.out_hw, sc.w_shape()) == (64, 256, 16, (128, 64, 1, 1)), "shortcut sizes")
    check(by["conv-tiny-3-8-32"].y_shape(2) == (2, 8, 32, 32), "stem y shape")
    check([s.name for s in select_shapes("small")] ==
          [s.name for s in SHAPES if s.group in ("dense", "tiny")], "small = dense + tiny")
    check(len(select_shapes("all")) == len(SHAPES), "all")
    check(len(select_shapes("full")) == 6 and len(select_shapes("large")) == 6, "full/large")
    check([s.name for s in select_shapes("dense-64,conv-full-3")] == ["dense-64-10", "conv-full-3-64-32"],
          "substring union in table order")
    try:
        select_shapes("nosuchshape")
        check(False, "unknown token rejected")
    except ValueError:
        check(True, "unknown token rejected")
    check(parse_list("1,3,3", "--k", conv=int) == [1, 3], "parse_list dedup")
    try:
        parse_list("fwd,bogus", "--modes", allowed=MODES)
        check(False, "bad mode rejected")
    except ValueError:
        check(True, "bad mode rejected")
    shapes = select_shapes("dense-784,conv-tiny-8-8")
    cases = plan_cases(shapes, [1, 3], list(MODES), list(IMPLS))
    check(len(cases) == 2 * (2 + 4) + 2 * 4, "case count")
    check([c.impl for c in cases[-8:]] == ["compiled"] * 8, "compiled cases last")
    check([x.name for x in interleave_groups(select_shapes("all"))][:4] ==
          ["dense-784-256", "conv-tiny-3-8-32", "conv-full-3-64-32", "dense-256-64"], "compiled order round-robin")
    check(sorted(x.name for x in interleave_groups(SHAPES)) == sorted(x.name for x in SHAPES), "interleave keeps all")
    e1 = Case(d, "eager", "fwd", 1)
    e3b = Case(d, "eager", "fwdbwd", 3)
    check((passes(e1), recip_passes(e1), passes(e3b), recip_passes(e3b)) == (2, 1, 8, 6), "pass conventions")
    check((passes(Case(d, "lpm", "fwd", None)), passes(Case(d, "lpm", "fwdbwd", None))) == (1, 3), "LPM passes")

    # synthetic records through the whole reporting path
    recs = []
    for case, ms, peak, status in (
            (Case(d, "lpm", "fwd", None), 0.01, 2.0, "ok"),
            (Case(d, "eager", "fwd", 1), 1.0, 402.0, "ok"),
            (Case(d, "compiled", "fwd", 1), 0.25, 101.0, "ok"),
            (Case(c, "eager", "fwdbwd", 3), None, None, "oom"),
            (Case(c, "compiled", "fwdbwd", 3), None, None, "skipped")):
        r = base_record(case, 128)
        r["status"] = status
        r["ms"] = ms
        base = 1.0
        r["peak_mib"] = peak
        r["peak_extra_mib"] = None if peak is None else peak - base
        r["valid"] = True if status == "ok" else None
        r["rel_err"] = {"y": 1e-7} if status == "ok" else {}
        fill_rates(r, RECIP_BOUND_DEFAULT)
        recs.append(r)
    annotate(recs)
    check(abs(recs[1]["ratio_ms_vs_lpm"] - 100.0) < 1e-9, "ratio vs LPM")
    check(abs(recs[1]["ratio_peak_vs_lpm"] - 401.0) < 1e-9, "peak ratio vs LPM")
    check(abs(recs[2]["speedup_vs_eager"] - 4.0) < 1e-9, "compiled speedup")
    n = d.terms(128)
    check(abs(recs[1]["terms_per_s"] - 2 * n / 1e-3) < 1e-3 * n, "terms/s")
    check(abs(recs[1]["frac_recip_bound"] - n / 1e-3 / RECIP_BOUND_DEFAULT) < 1e-12, "frac recip bound")
    check(recs[0]["frac_recip_bound"] is None, "LPM has no recip fraction")
    check(all(set(r) == set(RECORD_FIELDS) for r in recs), "every record has every field")
    table = markdown_table(recs)
    check(table.count("\n") == len(recs) + 1, "one table row per record")
    check("oom (terms 18.0 GiB)" in table, "oom row names the terms tensor size")
    import tempfile
    with tempfile.TemporaryDirectory() as tmpd:
        p = os.path.join(tmpd, "sub", "t.json")
        common.write_json(p, SCHEMA, {"date": "x"}, recs)
        with open(p) as f:
            doc = json.load(f)
    check(doc["schema"] == SCHEMA and len(doc["records"]) == len(recs), "json round trip")
    check(doc["records"][3]["terms_tensor_bytes"] == 4 * c.terms(128), "json oom bytes")
    print("self-test: %d passed, 0 failed" % checks)
    return 0


# --------------------------------------------------------------------------------------------
# The torch side
# --------------------------------------------------------------------------------------------


def setup_torch(args):
    global torch, F
    torch = common.setup_torch()
    import torch.nn.functional as _F
    F = _F


def make_nrpm(shape, K, eps):
    """The materialized NRPM layer y = lam*z0 + (1-lam)*zK + b as a function of (x, w, b, lam);
    dtype-agnostic (the float64 reference runs the same code)."""
    if shape.kind == "dense":
        def nrpm_dense(x, w, b, lam):
            t = x[:, None, :] * w[None, :, :]  # (B, O, D)
            z0, zk = nrpm_reduce(t, K, eps)  # (B, O)
            return lam * z0 + (1 - lam) * zk + b

        return nrpm_dense

    ksize, stride, pad, ho = shape.ksize, shape.stride, shape.pad, shape.out_hw

    def nrpm_conv(x, w, b, lam):
        cols = F.unfold(x, kernel_size=ksize, padding=pad, stride=stride)  # (B, D, L)
        wm = w.reshape(w.shape[0], -1)  # (O, D), D ordered (c, kh, kw) like unfold
        t = cols[:, None, :, :] * wm[None, :, :, None]  # (B, O, D, L)
        z0, zk = nrpm_reduce(t, K, eps)  # (B, O, L)
        y = lam * z0 + (1 - lam) * zk + b[None, :, None]
        return y.reshape(x.shape[0], w.shape[0], ho, ho)

    return nrpm_conv


def make_lpm(shape):
    if shape.kind == "dense":
        def lpm_dense(x, w, b):
            return F.linear(x, w, b)

        return lpm_dense
    stride, pad = shape.stride, shape.pad

    def lpm_conv(x, w, b):
        return F.conv2d(x, w, b, stride=stride, padding=pad)

    return lpm_conv


def make_inputs(shape, batch, seed, lam, device):
    """Random normals from a CPU generator seeded per shape (same values on every device)."""
    gen = torch.Generator().manual_seed(seed * 1000003 + zlib.crc32(shape.name.encode()))
    x = torch.randn(shape.x_shape(batch), generator=gen)
    w = torch.randn(shape.w_shape(), generator=gen) / math.sqrt(shape.D)
    b = 0.1 * torch.randn(shape.cout, generator=gen)
    g = torch.randn(shape.y_shape(batch), generator=gen)
    lam_t = torch.tensor(float(lam))
    return {k: v.to(device) for k, v in (("x", x), ("w", w), ("b", b), ("lam", lam_t), ("g", g))}


def make_runner(fn, inp, mode, with_lam, dtype=None, n=None):
    """A zero-argument callable running one forward (mode fwd, under no_grad) or one
    forward+backward (mode fwdbwd); returns (y, grads or None). n: only the first n samples;
    dtype: cast the inputs (the float64 reference)."""
    names = GRAD_NAMES_NRPM if with_lam else GRAD_NAMES_LPM
    vals = []
    for name in names:
        v = inp[name]
        if n is not None and name == "x":
            v = v[:n]
        if dtype is not None:
            v = v.to(dtype)
        vals.append(v.detach())
    g = inp["g"] if n is None else inp["g"][:n]
    if dtype is not None:
        g = g.to(dtype)
    if mode == "fwd":
        def run_fwd():
            with torch.no_grad():
                return fn(*vals), None

        return run_fwd
    leaves = [v.requires_grad_(True) for v in vals]

    def run_fwdbwd():
        y = fn(*leaves)
        loss = (y * g).sum()
        grads = torch.autograd.grad(loss, leaves)
        return y.detach(), grads

    return run_fwdbwd


def to_cpu(out, names):
    y, grads = out
    res = {"y": y.detach().to("cpu")}
    if grads is not None:
        for name, gr in zip(names, grads):
            res["g" + name] = gr.detach().to("cpu")
    return res


def rel_err(a, ref):
    a = a.detach().to("cpu", torch.float64)
    ref = ref.detach().to("cpu", torch.float64)
    den = ref.norm().item()
    num = (a - ref).norm().item()
    if den == 0.0:
        return num
    return num / den


class Bench:
    def __init__(self, args, meta, t_start):
        self.args = args
        self.meta = meta
        self.t_start = t_start
        self.cuda = args.device == "cuda"
        self.device = torch.device(args.device)
        self.records = []
        self.inputs_cache = {}  # shape name -> inputs (current shape only)
        self.refs = {}  # (shape, K or 'lpm') -> {"f64": {...}, "f32": {...}} on the CPU, or {"error": str}
        self.eager_out = {}  # (shape, K, mode) -> full-batch eager outputs on the CPU
        self.compiled = {}  # (shape, K) -> compiled function
        self.compiled_shape = None
        self.stage = None  # where measure() is: setup, first call (compiles), after first call

    # ---- helpers ----
    def elapsed(self):
        return time.perf_counter() - self.t_start

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def cleanup(self, full=False):
        """Return cached blocks to the driver (every case starts from the same state); the
        cycle collector only where needed (after a failure, on a new shape): it is slow once
        dynamo and inductor are loaded."""
        if full:
            gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()

    def inputs(self, shape):
        if shape.name not in self.inputs_cache:
            self.inputs_cache.clear()
            self.cleanup(full=True)
            self.inputs_cache[shape.name] = make_inputs(shape, self.args.batch, self.args.seed,
                                                        self.args.lam, self.device)
        return self.inputs_cache[shape.name]

    def reference(self, shape, K):
        """float64 and float32 runs of the eager formulation (or LPM when K is None) on the
        first --check-batch samples, with gradients when fwdbwd is planned. Cached."""
        key = (shape.name, "lpm" if K is None else K)
        if key in self.refs:
            return self.refs[key]
        inp = self.inputs(shape)
        n = min(self.args.check_batch, self.args.batch)
        mode = "fwdbwd" if "fwdbwd" in self.args.mode_list else "fwd"
        with_lam = K is not None
        names = GRAD_NAMES_NRPM if with_lam else GRAD_NAMES_LPM
        fn = make_lpm(shape) if K is None else make_nrpm(shape, K, self.args.eps)
        res = {}
        try:
            for tag, dtype in (("f64", torch.float64), ("f32", torch.float32)):
                run = make_runner(fn, inp, mode, with_lam, dtype=dtype, n=n)
                res[tag] = to_cpu(run(), names)
                run = None
        except Exception as e:  # noqa: BLE001
            res = {"error": short_error(e)}
        self.cleanup(full="error" in res)
        res["n"] = n
        self.refs[key] = res
        return res

    def compiled_fn(self, shape, K):
        key = (shape.name, K)
        if key not in self.compiled:
            if self.compiled_shape != shape.name:
                # fresh dynamo state per shape: static graphs, no cache-limit fallbacks
                self.compiled.clear()
                if hasattr(torch, "_dynamo"):
                    torch._dynamo.reset()
                self.compiled_shape = shape.name
            self.compiled[key] = compile_fn(torch, make_nrpm(shape, K, self.args.eps))
        return self.compiled[key]

    def dynamo_counts(self):
        try:
            from torch._dynamo.utils import counters
            graphs = counters["stats"]["unique_graphs"]
            breaks = sum(counters["graph_break"].values())
            return graphs, breaks
        except Exception:  # noqa: BLE001
            return None, None

    # ---- validation ----
    def validate(self, case, rec, out_cpu):
        shape, K = case.shape, case.K
        errs = {}
        refs_used = []
        if case.impl == "compiled":
            eager = self.eager_out.get((shape.name, K, case.mode))
            if eager is not None:
                refs_used.append("eager fp32, full batch")
                for name, v in out_cpu.items():
                    if name in eager:
                        errs[name] = rel_err(v, eager[name])
        ref = self.reference(shape, None if case.impl == "lpm" else K)
        n = ref["n"]
        if "error" in ref:
            refs_used.append("float64 reference failed: " + ref["error"])
        else:
            f64, f32 = ref["f64"], ref["f32"]
            suffix = "" if case.impl != "compiled" else "_vs_f64"
            refs_used.append("float64, first %d samples (y, gx)" % n)
            errs["y" + suffix] = rel_err(out_cpu["y"][:n], f64["y"])
            if "gx" in out_cpu and "gx" in f64:
                errs["gx" + suffix] = rel_err(out_cpu["gx"][:n], f64["gx"])
            if case.impl != "compiled" and case.mode == "fwdbwd":
                # batch-summed gradients: the fp32 run of the same code on the same slice
                refs_used.append("gw, gb%s: fp32 vs float64 on those samples" % (", glam" if K else ""))
                for name in ("gw", "gb", "glam"):
                    if name in f32 and name in f64:
                        errs[name] = rel_err(f32[name], f64[name])
        rec["rel_err"] = errs
        rec["check_ref"] = "; ".join(refs_used)
        if not errs:
            rec["valid"] = None
            return
        bad = [k for k, v in errs.items() if not (v < (TOL_Y if k.startswith("y") else TOL_GRAD))]
        rec["valid"] = not bad

    # ---- one case ----
    def measure(self, case, rec):
        """Everything that allocates for the case lives in this frame, so that an exception
        releases it."""
        args = self.args
        shape = case.shape
        inp = self.inputs(shape)
        with_lam = case.impl != "lpm"
        names = GRAD_NAMES_NRPM if with_lam else GRAD_NAMES_LPM
        if case.impl == "lpm":
            fn = make_lpm(shape)
        elif case.impl == "eager":
            fn = make_nrpm(shape, case.K, args.eps)
        else:
            fn = self.compiled_fn(shape, case.K)
        self.reference(shape, None if case.impl == "lpm" else case.K)  # before the peak-memory window
        run = make_runner(fn, inp, case.mode, with_lam)
        self.stage = "first call"
        self.cleanup()
        self.sync()
        if self.cuda:
            rec["base_mib"] = _mib(torch.cuda.memory_allocated())
            torch.cuda.reset_peak_memory_stats()
        graphs0, breaks0 = self.dynamo_counts() if case.impl == "compiled" else (None, None)
        t0 = time.perf_counter()
        out = run()
        self.sync()
        rec["first_call_s"] = time.perf_counter() - t0
        self.stage = "after first call"
        if case.impl == "compiled":
            rec["compile_s"] = rec["first_call_s"]
            graphs1, breaks1 = self.dynamo_counts()
            if graphs0 is not None and graphs1 is not None:
                rec["compiled_graphs"] = graphs1 - graphs0
                rec["graph_breaks"] = breaks1 - breaks0
        out_cpu = to_cpu(out, names)
        out = None
        self.validate(case, rec, out_cpu)
        if case.impl == "eager":
            self.eager_out[(shape.name, case.K, case.mode)] = out_cpu
        out_cpu = None
        if self.cuda:
            # steady-state peak from here on: leaves out one-off first-call allocations
            # (cudnn.benchmark's algorithm search); an OOM in the first call keeps its peak
            self.sync()
            rec["base_mib"] = _mib(torch.cuda.memory_allocated())
            torch.cuda.reset_peak_memory_stats()
        self.stage = "timing"
        # one warm-up call, timed by the wall clock, sizes the rest
        t0 = time.perf_counter()
        run()
        self.sync()
        t_call = time.perf_counter() - t0
        warm = 1
        for _ in range(max(0, args.warmup - 1) if t_call < 0.25 else 0):
            run()
            warm += 1
        self.sync()
        reps = args.repeat
        if t_call * reps > args.max_case_s:
            reps = max(3, min(reps, int(args.max_case_s / max(t_call, 1e-9))))
        samples = []
        for _ in range(reps):
            if self.cuda:
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                start.record()
                run()
                end.record()
                end.synchronize()
                samples.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                run()
                samples.append((time.perf_counter() - t0) * 1e3)
        rec["warmup"] = warm
        rec["repeats"] = reps
        rec["ms_samples"] = [round(v, 6) for v in samples]
        rec["ms"] = statistics.median(samples)
        rec["ms_min"] = min(samples)
        rec["ms_max"] = max(samples)
        rec["status"] = "ok"

    def run_case(self, case):
        rec = base_record(case, self.args.batch)
        self.records.append(rec)
        if self.args.budget_s and self.elapsed() > self.args.budget_s:
            rec["status"] = "skipped"
            rec["error"] = "time budget of %g s spent before this case (--budget-s)" % self.args.budget_s
            return rec
        failure = None
        self.stage = "setup"
        try:
            self.measure(case, rec)
        except Exception as e:  # noqa: BLE001
            if is_oom(e):
                failure = ("oom", short_error(e))
            elif case.impl == "compiled" and self.stage == "first call":
                failure = ("compile_error", short_error(e))
                if self.args.verbose:
                    traceback.print_exc()
            else:
                failure = ("error", short_error(e))
                traceback.print_exc()
        if failure is not None:
            rec["status"] = failure[0]
            rec["error"] = "[%s] %s" % (self.stage, failure[1])
            rec["ms"] = None
        if self.cuda and rec.get("base_mib") is not None:  # the peak window was opened
            rec["peak_mib"] = _mib(torch.cuda.max_memory_allocated())
            rec["peak_extra_mib"] = rec["peak_mib"] - rec["base_mib"]
        fill_rates(rec, self.args.recip_bound)
        if failure is not None:
            self.cleanup(full=True)
        return rec

    def progress(self, i, total, case, rec):
        parts = ["[%7.1f s] %3d/%d %-26s %-8s %-6s %-4s: %s" % (
            self.elapsed(), i, total, case.shape.name, case.impl, case.mode,
            "" if case.K is None else "K=%d" % case.K, rec["status"])]
        if rec["status"] == "ok":
            parts.append("%.4g ms (%d reps)" % (rec["ms"], rec["repeats"]))
            parts.append("%.3g Gterm/s" % (rec["terms_per_s"] / 1e9))
            if rec.get("frac_recip_bound") is not None:
                parts.append("%.2g%% recip bound" % (100 * rec["frac_recip_bound"]))
        if rec.get("peak_mib") is not None:
            parts.append("peak %.0f MiB" % rec["peak_mib"])
        if rec.get("compile_s") is not None:
            parts.append("compile+first %.1f s" % rec["compile_s"])
        if rec.get("rel_err"):
            parts.append("err " + " ".join("%s=%.1e" % kv for kv in rec["rel_err"].items()))
        if rec.get("valid") is False:
            parts.append("VALIDATION FAILED")
        if rec["status"] == "oom":
            parts.append("(terms tensor %.2f GiB)" % (rec["terms_tensor_bytes"] / 2.0 ** 30))
        if rec.get("error") and rec["status"] not in ("ok", "oom"):
            parts.append(rec["error"][:300])
        print("  ".join(parts), flush=True)


def collect_meta(args):
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "args": {k: v for k, v in vars(args).items() if k not in ("k_list", "mode_list", "impl_list")},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch_version": None, "cuda_version": None, "cudnn_version": None, "triton_version": None,
        "device": args.device, "device_name": None, "device_capability": None, "device_memory_mib": None,
        "tf32": None, "cudnn_benchmark": None,
        "dtype": "float32", "eps": args.eps, "lambda": args.lam, "weight_function": "L1",
        "recip_bound_terms_per_s": args.recip_bound,
        "tolerances": {"y": TOL_Y, "grad": TOL_GRAD},
        "conventions": conventions(args.recip_bound),
        "alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF"),
    }
    return common.add_torch_meta(meta, torch, args.device)


def build_parser():
    p = argparse.ArgumentParser(
        description="LPM vs materialized NRPM (eager and torch.compile) in PyTorch on one GPU; "
                    "the PyTorch side of bench/RESULTS.md.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--shapes", default="all",
                   help="comma-separated: all, small (dense + tiny), large (full width), dense, conv, "
                        "or substrings of shape names (--dry-run lists them)")
    p.add_argument("--k", default="1,3", help="NRPM iteration counts, comma-separated, each >= 1")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--repeat", type=int, default=10, help="timed calls per case (median reported)")
    p.add_argument("--warmup", type=int, default=3, help="untimed calls after the validation call (min 1)")
    p.add_argument("--json", metavar="OUT", default=None, help="write the JSON report here (rewritten after each case)")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile cases")
    p.add_argument("--modes", default="fwd,fwdbwd", help="fwd and/or fwdbwd")
    p.add_argument("--impls", default="lpm,eager,compiled", help="lpm, eager and/or compiled")
    p.add_argument("--budget-s", type=float, default=170.0,
                   help="start no case after this many seconds since launch (skipped cases are recorded); 0 = no limit")
    p.add_argument("--max-case-s", type=float, default=2.0,
                   help="cap on timed calls per case: repeats drop (to at least 3) for slow calls")
    p.add_argument("--check-batch", type=int, default=2, help="samples in the float64 validation slice")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=float, default=1e-3)
    p.add_argument("--lam", type=float, default=0.5, help="lambda of the hybrid layer")
    p.add_argument("--recip-bound", type=float, default=RECIP_BOUND_DEFAULT,
                   help="reciprocal-terms per second of the bound (H200: 4.2e12)")
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"),
                   help="cpu: smoke test of the code paths only (no memory stats, times mean nothing)")
    p.add_argument("--dry-run", action="store_true", help="print the planned cases and exit (torch not needed)")
    p.add_argument("--self-test", action="store_true", help="check the pure-Python parts and exit (torch not needed)")
    p.add_argument("--verbose", action="store_true", help="full tracebacks of compile failures")
    return p


def main(argv=None):
    t_start = time.perf_counter()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    try:
        shapes = select_shapes(args.shapes)
        args.k_list = parse_list(args.k, "--k", conv=int)
        if any(k < 1 for k in args.k_list):
            raise ValueError("--k values must be >= 1")
        args.mode_list = parse_list(args.modes, "--modes", allowed=MODES)
        args.impl_list = parse_list(args.impls, "--impls", allowed=IMPLS)
        if args.no_compile and "compiled" in args.impl_list:
            args.impl_list.remove("compiled")
        if not args.impl_list:
            raise ValueError("no implementation left to run")
        for name in ("batch", "repeat", "check_batch"):
            if getattr(args, name) < 1:
                raise ValueError("--%s must be >= 1" % name.replace("_", "-"))
        if args.warmup < 1:
            args.warmup = 1
    except ValueError as e:
        parser.print_usage(sys.stderr)
        print("error: %s" % e, file=sys.stderr)
        return 2
    cases = plan_cases(shapes, args.k_list, args.mode_list, args.impl_list)
    if args.dry_run:
        return dry_run(args, shapes, cases)

    try:
        setup_torch(args)
    except ImportError as e:
        print("error: torch is not importable (%s); --dry-run and --self-test work without it" % e,
              file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device visible to torch %s (use --device cpu for a smoke test)"
              % torch.__version__, file=sys.stderr)
        return 2
    meta = collect_meta(args)
    print("# NRPM PyTorch benchmark: %s, torch %s, CUDA %s, batch %d, K %s, %d cases%s" % (
        meta["device_name"], meta["torch_version"], meta["cuda_version"], args.batch,
        ",".join(map(str, args.k_list)), len(cases),
        "" if not args.budget_s else ", budget %g s" % args.budget_s), flush=True)
    bench = Bench(args, meta, t_start)
    interrupted = False
    try:
        for i, case in enumerate(cases, 1):
            rec = bench.run_case(case)
            bench.progress(i, len(cases), case, rec)
            annotate(bench.records)
            meta["wall_s"] = bench.elapsed()
            common.write_json(args.json, SCHEMA, meta, bench.records)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: writing what was measured", flush=True)
    annotate(bench.records)
    meta["wall_s"] = bench.elapsed()
    meta["interrupted"] = interrupted
    common.write_json(args.json, SCHEMA, meta, bench.records)

    print()
    print(markdown_table(bench.records))
    print()
    print("Conventions:")
    print(conventions_text(args.recip_bound))
    skipped = [r for r in bench.records if r["status"] == "skipped"]
    invalid = [r for r in bench.records if r.get("valid") is False]
    counts = {}
    for r in bench.records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print()
    print("done in %.1f s: %s%s" % (bench.elapsed(), ", ".join("%d %s" % (v, k) for k, v in counts.items()),
                                    "; JSON: %s" % args.json if args.json else "; no --json given"), flush=True)
    if skipped:
        names = sorted({r["shape"] for r in skipped})
        print("%d cases skipped for the time budget; rerun with --budget-s 0 --shapes %s"
              % (len(skipped), ",".join(names)), flush=True)
    if invalid:
        print("VALIDATION FAILED for %d cases: %s" % (
            len(invalid), "; ".join("%s %s %s K=%s" % (r["shape"], r["impl"], r["mode"], r["K"]) for r in invalid)),
            flush=True)
        return 3
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
