#!/usr/bin/env python3
"""Training-step time of ResNet-18 (CIFAR) in PyTorch, LPM vs materialized NRPM, on one GPU.

This is the PyTorch side of the training-step tables in bench/RESULTS.md. Our side is

    java -cp 'lib/*' dev.nrpm.bench.TrainStepBench --device cuda --width W --batch 128

(from a bundle; from the repository, -cp 'target/nrpm.jar:target/lib/*'), whose cases this
script mirrors.

What it measures
----------------
The time of one SGD training step (momentum 0.9, lr 0.01, no weight decay; paradigm 3: all
weights and the per-layer lambdas are trained) of ResNet-18 for CIFAR: BasicBlock [2, 2, 2, 2],
3x3 stride-1 stem without max-pool, widths w, 2w, 4w, 8w (strides 1, 2, 2, 2), 1x1 conv + BN
shortcuts where the shape changes, global average pooling, a linear layer to 10 classes, convs
without bias. Base width 8 ("tiny") and 64 (full). Batch 128 of random CIFAR-shaped inputs in
[0, 1] with random labels, fp32 with TF32 off, fixed seeds. For:

  LPM        plain nn.Conv2d / nn.Linear (cuDNN / cuBLAS).
  NRPM K     every conv (shortcuts included) and the classifier replaced by the hybrid layer
             y = lambda * z_LPM + (1 - lambda) * z_NRPM (+ bias) of ../shared/NRPM.md, L1 weights,
             eps 1e-3, lambda one learnable raw scalar per layer initialised to 0.5 (used as it
             is, no sigmoid), written as the materialized formulation of NRPM.md section 5:
             F.unfold of the zero-padded input, the terms tensor (B, O, D, L), z0 = sum_D, K
             reweighting steps; gradients by autograd. K in {1, 3}.

each as
  clean      one training step: train mode, forward, cross-entropy, backward, SGD step.
  pgd7       PGD-7 adversarial training: the attack in eval mode (L-inf budget 8/255, step 2/255,
             no random start, input kept in [0, 1]; 7 forward+backward passes w.r.t. the input,
             torch.autograd.grad), then the training step on the perturbed batch in train mode.
             The timed step includes the attack.

and each in
  eager      plain PyTorch.
  compiled   the model's forward under torch.compile (inductor, default mode, dynamic=False),
             compiled once per configuration (width, LPM or NRPM K) and reused by its clean and
             pgd7 cases (train and eval mode are separate graphs); loss and optimizer stay eager.
             A compile failure is recorded for that case ("compile_error") and the run goes on.

Method: one warm-up step (which compiles, for "compiled"), then the median of --steps measured
steps, each timed with CUDA events around the whole step and synchronized; fewer (at least one)
when the measured steps would exceed --max-case-s. The epoch time is the median step times
50,000 / batch steps (CIFAR-10's training set). Peak memory: torch.cuda.max_memory_allocated
over the measured steps, the statistics reset after the warm-up. Every case of a configuration
starts from the same initial weights and BN statistics and a fresh optimizer. A case that runs
out of memory is recorded as "oom" with the size of the model's largest terms tensor
(B*O*D*L*4 bytes), the caches are emptied and the run goes on.

Validation, before timing, once per (width, K): on a tiny slice in float64 (batch --check-batch,
input --check-hw square), the materialized NRPM layers of the model as built (stem conv1,
layer2.0.conv1 with stride 2, the 1x1 stride-2 shortcut layer2.0.shortcut.0, the classifier)
against a straightforward per-output loop of NRPM.md section 2 in plain Python floats (explicit
zero padding, one output at a time, first --check-channels output channels); relative L2 error
< 1e-6.

How to run
----------
On a GPU machine (Python 3, PyTorch with CUDA), from the repository root:

    python3 bench/gpu/torch_train_step.py --json $OUT/torch_train.json     # ~3 min (--budget-s 180)
    python3 bench/gpu/torch_train_step.py --widths 8 --impls eager        # quick look
    python3 bench/gpu/torch_train_step.py --impls compiled --widths 8 --budget-s 0 --json $OUT/c.json

Without a GPU or without torch:

    python3 bench/gpu/torch_train_step.py --dry-run     # the planned cases, term counts, sizes
    python3 bench/gpu/torch_train_step.py --self-test   # checks of the pure-Python parts
    python3 bench/gpu/torch_train_step.py --device cpu --widths 2 --batch 2 --steps 1
                                                       # smoke test of every code path on a CPU
                                                       # build of torch (times mean nothing)

Cases run eager first (all widths), then compiled; a case that would start after --budget-s
seconds since launch is recorded as "skipped" and the closing lines say how to rerun them. The
JSON is rewritten after every case. Exit status: 0; 3 when a validation failed (numbers still
reported); 2 for usage errors or no torch / no CUDA device; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import signal
import statistics
import sys
import time
import traceback
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the sibling module, from any cwd
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ here
try:
    import nrpm_torch_common as common
    from nrpm_torch_common import _fmt, _mib, compile_fn, is_oom, nrpm_reduce, parse_list, short_error
finally:
    sys.dont_write_bytecode = _dont_write_bytecode

SCHEMA = "nrpm-torch-train-step/1"
CIFAR_TRAIN = 50000
CLASSES = 10
IN_CH = 3
IN_HW = 32
TOL = 1e-6
MODES = ("clean", "pgd7")
IMPLS = ("eager", "compiled")
PMS = ("lpm", "nrpm")
PGD = {"steps": 7, "budget": 8 / 255, "step_size": 2 / 255, "random_start": False, "mode": "eval",
       "norm": "Linf", "clamp": [0.0, 1.0]}
CHECK_LAYERS = ("conv1", "layer2.0.conv1", "layer2.0.shortcut.0", "linear")
JAVA_COMMAND = "java -cp 'lib/*' dev.nrpm.bench.TrainStepBench --device cuda --width W --batch 128"

torch = None  # set by setup_torch(); the pure-Python parts never need it
F = None
nn = None

# --------------------------------------------------------------------------------------------
# The model's geometry (pure Python)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    name: str  # dotted module path, as in the model (and in our Java ResNet18)
    kind: str  # "conv" or "dense"
    cin: int
    cout: int
    hw: int = 1  # input height = width (conv)
    ksize: int = 1
    stride: int = 1
    pad: int = 0
    bias: bool = False

    @property
    def out_hw(self):
        if self.kind == "dense":
            return 1
        return (self.hw + 2 * self.pad - self.ksize) // self.stride + 1

    @property
    def D(self):
        return self.cin if self.kind == "dense" else self.cin * self.ksize * self.ksize

    @property
    def L(self):
        return 1 if self.kind == "dense" else self.out_hw * self.out_hw

    def terms(self, batch):
        """B*O*D*L: the size of this layer's terms tensor (also its multiply-adds)."""
        return batch * self.cout * self.D * self.L

    def params(self):
        return self.cout * self.D + (self.cout if self.bias else 0)

    def describe(self):
        if self.kind == "dense":
            return "dense %d->%d%s" % (self.cin, self.cout, " +bias" if self.bias else "")
        return "conv %d->%d %dx%d s%d p%d, %dx%d -> %dx%d" % (
            self.cin, self.cout, self.ksize, self.ksize, self.stride, self.pad, self.hw, self.hw,
            self.out_hw, self.out_hw)


def resnet18_layers(width, hw=IN_HW, in_ch=IN_CH, classes=CLASSES):
    """Every conv and linear layer of ResNet-18 (CIFAR) in model order."""
    if width < 1:
        raise ValueError("width must be >= 1, got %d" % width)
    layers = [Layer("conv1", "conv", in_ch, width, hw, 3, 1, 1)]
    cin = width
    for s in range(4):
        cout = width << s
        for blk in range(2):
            stride = 2 if (s > 0 and blk == 0) else 1
            p = "layer%d.%d." % (s + 1, blk)
            c1 = Layer(p + "conv1", "conv", cin, cout, hw, 3, stride, 1)
            layers.append(c1)
            layers.append(Layer(p + "conv2", "conv", cout, cout, c1.out_hw, 3, 1, 1))
            if stride != 1 or cin != cout:
                layers.append(Layer(p + "shortcut.0", "conv", cin, cout, hw, 1, stride, 0))
            hw = c1.out_hw
            cin = cout
    layers.append(Layer("linear", "dense", cin, classes, bias=True))
    return layers


def bn_params(width):
    """BatchNorm weight+bias count (stem, two per block, one per shortcut)."""
    n = 2 * width
    cin = width
    for s in range(4):
        cout = width << s
        for blk in range(2):
            stride = 2 if (s > 0 and blk == 0) else 1
            n += 2 * 2 * cout
            if stride != 1 or cin != cout:
                n += 2 * cout
            cin = cout
    return n


def width_group(width):
    return {8: "tiny", 64: "full"}.get(width, "w%d" % width)


def model_stats(width, batch):
    layers = resnet18_layers(width)
    big = max(layers, key=lambda l: l.terms(batch))
    return {
        "layers": layers,
        "terms_per_forward": sum(l.terms(batch) for l in layers),
        "largest_terms_layer": big.name,
        "largest_terms": big.terms(batch),
        "weights": sum(l.params() for l in layers) + bn_params(width),
    }


def eager_saved_tensors(K):
    """Terms-sized tensors that eager autograd keeps per NRPM layer for the formulation below
    (1.0 / (|r| + eps) is a reciprocal and a multiply): t, and per step r, 1/(|r|+eps) and w.
    Counted with torch.autograd.graph.saved_tensors_hooks (distinct storages)."""
    return 1 + 3 * K


# --------------------------------------------------------------------------------------------
# Cases (pure Python)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    width: int
    pm: str  # lpm, nrpm
    K: object  # int for NRPM, None for LPM
    mode: str  # clean, pgd7
    impl: str  # eager, compiled

    @property
    def config(self):
        """What one model (and one torch.compile) serves: width and pattern matching."""
        return (self.width, self.pm, self.K)

    @property
    def layers_label(self):
        return "LPM" if self.pm == "lpm" else "NRPM K=%d" % self.K

    @property
    def training_label(self):
        return "PGD-7" if self.mode == "pgd7" else "clean"

    @property
    def label(self):
        return "w%d %s %s %s" % (self.width, self.layers_label, self.training_label, self.impl)


def configs_of(pms, ks):
    out = []
    for pm in PMS:
        if pm not in pms:
            continue
        if pm == "lpm":
            out.append(("lpm", None))
        else:
            out.extend(("nrpm", k) for k in ks)
    return out


def plan_cases(widths, pms, ks, modes, impls):
    """Eager cases first, width by width in the given order, LPM then NRPM by K, clean then pgd7
    (TrainStepBench's order). Then the compiled ones, whose compiles dominate and which a time
    budget cuts first: NRPM before LPM (eager cuDNN is the LPM baseline), by K, widths taken in
    turn, so that a short budget still compiles NRPM at every width."""
    configs = configs_of(pms, ks)
    cases = []
    if "eager" in impls:
        for w in widths:
            for pm, k in configs:
                cases.extend(Case(w, pm, k, m, "eager") for m in MODES if m in modes)
    if "compiled" in impls:
        order = [c for c in configs if c[0] == "nrpm"] + [c for c in configs if c[0] == "lpm"]
        for pm, k in order:
            for w in widths:
                cases.extend(Case(w, pm, k, m, "compiled") for m in MODES if m in modes)
    return cases


def table_order(records, widths=None):
    """Records for the closing table: width, then layers (LPM, NRPM by K), training, impl."""
    def key(r):
        return (r["width"], r["K"] is not None, r["K"] or 0, MODES.index(r["mode"]), IMPLS.index(r["impl"]))
    return sorted(records, key=key)


def forwards_per_step(mode):
    return 1 + PGD["steps"] if mode == "pgd7" else 1


def over_budget(elapsed_s, budget_s):
    return bool(budget_s) and elapsed_s > budget_s


def steps_per_epoch(batch):
    return CIFAR_TRAIN / batch


def conventions():
    return {
        "step": "one SGD step (momentum 0.9, lr 0.01): train mode, forward, cross-entropy (mean), "
                "backward, optimizer step; pgd7 adds the attack before it (eval mode, 7 forward + "
                "backward passes w.r.t. the input via torch.autograd.grad, parameters still "
                "requiring grad as in the usual PGD code; a compiled backward graph computes the "
                "weight gradients anyway, eager autograd skips them)",
        "ms": "median of the measured steps (CUDA events around each whole step, synchronized), "
              "after one warm-up step; the batch stays on the device",
        "epoch_s": "ms * 50,000 / batch / 1000 (CIFAR-10's training set), as TrainStepBench",
        "first_step_s": "wall time of the warm-up step; for compiled (compile_s) it includes "
                        "compiling every graph the step needs that earlier cases of the "
                        "configuration did not compile (fast when inductor's on-disk cache already "
                        "holds them: a fresh machine starts cold)",
        "terms": "B*O*D*L summed over every conv and linear layer for one forward "
                 "(terms_per_forward; for LPM the multiply-adds); terms_tensor_bytes = 4 * the "
                 "largest layer's B*O*D*L",
        "eager_saved_bytes_est": "NRPM only: (1 + 3K) terms-sized fp32 tensors per layer kept by "
                                 "eager autograd for the backward, summed over layers",
        "peak_mib": "torch.cuda.max_memory_allocated over the measured steps (statistics reset "
                    "after the warm-up; for an OOM, since the case began), model, optimizer state "
                    "and batch included; peak_extra_mib = peak minus base_mib, the memory "
                    "allocated at the reset",
        "ratio_ms_vs_lpm": "this ms / LPM ms, same width, mode and impl",
        "ratio_vs_clean": "pgd7 ms / clean ms, same width, layers and impl",
        "speedup_vs_eager": "eager ms / compiled ms, same width, layers and mode",
        "loss_rel_diff_vs_eager": "compiled: |loss - eager loss| / |eager loss| of the warm-up "
                                  "step (same initial weights and batch)",
        "valid": "NRPM: the model's materialized layers vs a per-output Python loop of NRPM.md "
                 "section 2 in float64 (rel_err by layer, tolerance %.0e); null for LPM" % TOL,
        "oom": "status 'oom': torch.cuda.OutOfMemoryError; terms_tensor_bytes is one layer's terms "
               "tensor, eager autograd keeps eager_saved_bytes_est",
    }


RECORD_FIELDS = (
    "width", "group", "layers", "K", "mode", "training", "impl", "backend", "batch", "lambda_mode",
    "weights", "nrpm_layers", "terms_per_forward", "largest_terms_layer", "terms_tensor_bytes",
    "eager_saved_bytes_est", "forwards_per_step",
    "status", "error",
    "ms", "ms_min", "ms_max", "ms_samples", "steps", "warmup", "first_step_s", "compile_s",
    "compiled_graphs", "graph_breaks",
    "steps_per_epoch", "epoch_s", "losses",
    "peak_mib", "peak_extra_mib", "base_mib",
    "valid", "check_ref", "rel_err", "tol",
    "ratio_ms_vs_lpm", "ratio_peak_vs_lpm", "ratio_vs_clean", "speedup_vs_eager",
    "peak_ratio_vs_eager", "loss_rel_diff_vs_eager",
)


def backend_name(case):
    base = "nn.Conv2d/nn.Linear (cuDNN/cuBLAS)" if case.pm == "lpm" else "materialized NRPM"
    if case.impl == "compiled":
        return base + ", torch.compile (inductor, default mode, dynamic=False)"
    return base + ", eager"


def base_record(case, batch, lambda_mode="learnable"):
    st = model_stats(case.width, batch)
    nl = len(st["layers"])
    rec = dict.fromkeys(RECORD_FIELDS)
    rec.update({
        "width": case.width, "group": width_group(case.width), "layers": case.layers_label,
        "K": case.K, "mode": case.mode, "training": case.training_label, "impl": case.impl,
        "backend": backend_name(case), "batch": batch,
        "lambda_mode": None if case.pm == "lpm" else lambda_mode,
        "weights": st["weights"] + (nl if case.pm == "nrpm" and lambda_mode == "learnable" else 0),
        "nrpm_layers": nl if case.pm == "nrpm" else 0,
        "terms_per_forward": st["terms_per_forward"],
        "largest_terms_layer": st["largest_terms_layer"],
        "terms_tensor_bytes": 4 * st["largest_terms"],
        "eager_saved_bytes_est": (4 * eager_saved_tensors(case.K) * st["terms_per_forward"]
                                  if case.pm == "nrpm" else None),
        "forwards_per_step": forwards_per_step(case.mode),
        "status": "pending", "steps_per_epoch": steps_per_epoch(batch), "rel_err": {}, "tol": TOL,
    })
    return rec


def annotate(records):
    """Cross-record ratios: vs LPM (same width, mode, impl), pgd7 vs clean (same width, layers,
    impl), compiled vs eager (same width, layers, mode)."""
    def ok(r):
        return r.get("status") == "ok" and r.get("ms")

    index = {}
    for r in records:
        if r.get("status") == "ok":
            index[(r["width"], r["layers"], r["mode"], r["impl"])] = r
    for r in records:
        for key in ("ratio_ms_vs_lpm", "ratio_peak_vs_lpm", "ratio_vs_clean", "speedup_vs_eager",
                    "peak_ratio_vs_eager", "loss_rel_diff_vs_eager"):
            r[key] = None
        if not ok(r):
            continue
        w, lay, mode, impl = r["width"], r["layers"], r["mode"], r["impl"]
        lpm = index.get((w, "LPM", mode, impl))
        if lay != "LPM" and lpm and lpm.get("ms"):
            r["ratio_ms_vs_lpm"] = r["ms"] / lpm["ms"]
            if r.get("peak_extra_mib") is not None and lpm.get("peak_extra_mib"):
                r["ratio_peak_vs_lpm"] = r["peak_extra_mib"] / lpm["peak_extra_mib"]
        if mode == "pgd7":
            clean = index.get((w, lay, "clean", impl))
            if clean and clean.get("ms"):
                r["ratio_vs_clean"] = r["ms"] / clean["ms"]
        if impl == "compiled":
            eager = index.get((w, lay, mode, "eager"))
            if eager and eager.get("ms"):
                r["speedup_vs_eager"] = eager["ms"] / r["ms"]
                if r.get("peak_extra_mib") is not None and eager.get("peak_extra_mib"):
                    r["peak_ratio_vs_eager"] = r["peak_extra_mib"] / eager["peak_extra_mib"]
            if eager and r.get("losses") and eager.get("losses"):
                a, b = r["losses"][0], eager["losses"][0]
                if isinstance(a, float) and isinstance(b, float) and b != 0 and math.isfinite(a + b):
                    r["loss_rel_diff_vs_eager"] = abs(a - b) / abs(b)


def _gib(nbytes):
    return nbytes / 2.0 ** 30


def markdown_table(records):
    head = ("| width | layers | training | impl | status | ms/step | epoch (50k samples) s | peak MiB "
            "| ×LPM | ×clean | eager/compiled | compile+first s | check |")
    lines = [head, "|" + "---|" * 13]
    for r in records:
        status = r["status"]
        if status == "oom":
            status = "oom (terms %.3g GiB)" % _gib(r["terms_tensor_bytes"])
        check = "-"
        if r.get("valid") is True:
            errs = [v for v in r["rel_err"].values() if isinstance(v, (int, float))]
            check = "ok %.0e" % max(errs) if errs else "ok"
        elif r.get("valid") is False:
            check = "FAILED"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["width"], r["layers"], r["training"], r["impl"], status,
            _fmt(r.get("ms"), "%.1f"), _fmt(r.get("epoch_s"), "%.0f"), _fmt(r.get("peak_mib"), "%.0f"),
            _fmt(r.get("ratio_ms_vs_lpm"), "%.3gx"), _fmt(r.get("ratio_vs_clean"), "%.3gx"),
            _fmt(r.get("speedup_vs_eager"), "%.3gx"), _fmt(r.get("compile_s"), "%.1f"), check))
    return "\n".join(lines)


def conventions_text():
    return "\n".join("- %s: %s" % kv for kv in conventions().items())


def rerun_hint(records):
    """The options that rerun the skipped and interrupted cases (a superset when they mix)."""
    sk = [r for r in records if r["status"] in ("skipped", "interrupted")]
    if not sk:
        return None
    widths = sorted({r["width"] for r in sk})
    impls = [i for i in IMPLS if any(r["impl"] == i for r in sk)]
    modes = [m for m in MODES if any(r["mode"] == m for r in sk)]
    pms = [p for p in PMS if any((r["layers"] == "LPM") == (p == "lpm") for r in sk)]
    ks = sorted({r["K"] for r in sk if r["K"] is not None})
    opts = "--budget-s 0 --widths %s --impls %s --modes %s --pm %s" % (
        ",".join(map(str, widths)), ",".join(impls), ",".join(modes), ",".join(pms))
    if ks:
        opts += " --k %s" % ",".join(map(str, ks))
    return opts


def dry_run(args, cases):
    print("# ResNet-18 training-step benchmark (PyTorch): plan (dry run, torch not imported)")
    print("batch %d, steps %d after %d warm-up, K %s, modes %s, impls %s, budget %s s" % (
        args.batch, args.steps, args.warmup, ",".join(map(str, args.k_list)), ",".join(args.mode_list),
        ",".join(args.impl_list), args.budget_s or "none"))
    for w in args.width_list:
        st = model_stats(w, args.batch)
        print()
        print("## width %d (%s): %d weights (LPM), %d conv/linear layers" % (
            w, width_group(w), st["weights"], len(st["layers"])))
        print()
        print("| layer | geometry | D | O | L | B·O·D·L | terms tensor MiB |")
        print("|---|---|---|---|---|---|---|")
        for l in st["layers"]:
            n = l.terms(args.batch)
            print("| %s | %s | %d | %d | %d | %.4g | %.1f |" % (
                l.name, l.describe(), l.D, l.cout, l.L, n, _mib(4 * n)))
        print()
        print("terms per forward %.4g (%.2f GiB as fp32); largest %s, %.2f GiB" % (
            st["terms_per_forward"], _gib(4 * st["terms_per_forward"]), st["largest_terms_layer"],
            _gib(4 * st["largest_terms"])))
        for k in args.k_list:
            print("eager NRPM K=%d keeps about %.1f GiB of terms-sized tensors for the backward"
                  % (k, _gib(4 * eager_saved_tensors(k) * st["terms_per_forward"])))
    print()
    print("| # | case | forwards per step |")
    print("|---|---|---|")
    for i, c in enumerate(cases, 1):
        print("| %d | %s | %d |" % (i, c.label, forwards_per_step(c.mode)))
    ncomp = len({c.config for c in cases if c.impl == "compiled"})
    print()
    print("%d cases, %d torch.compile configurations" % (len(cases), ncomp))
    print("Conventions:")
    print(conventions_text())
    return 0


# --------------------------------------------------------------------------------------------
# The float64 reference: NRPM.md section 2, one output at a time, plain Python floats
# --------------------------------------------------------------------------------------------


def ref_nrpm(terms, K, eps):
    """z_LPM and z_NRPM of one output from its D terms (list of floats)."""
    D = len(terms)
    z0 = 0.0
    for t in terms:
        z0 += t
    z = z0
    for _ in range(K):
        s0 = 0.0
        s1 = 0.0
        for t in terms:
            w = 1.0 / (abs(t - z / D) + eps)
            s0 += w
            s1 += w * t
        z = D * s1 / s0
    return z0, z


def ref_conv(x, w, bias, lam, stride, pad, K, eps, channels):
    """x [B][C][H][W], w [O][C][kh][kw] nested lists; output [B][len(channels)][Ho][Wo].
    Zero padding by index test: padded positions are terms equal to 0 and count in D."""
    B, C, H, W = len(x), len(x[0]), len(x[0][0]), len(x[0][0][0])
    kh, kw = len(w[0][0]), len(w[0][0][0])
    ho = (H + 2 * pad - kh) // stride + 1
    wo = (W + 2 * pad - kw) // stride + 1
    out = []
    for b in range(B):
        ob = []
        for o in channels:
            oo = []
            for i in range(ho):
                row = []
                for j in range(wo):
                    terms = []
                    for c in range(C):
                        for u in range(kh):
                            for v in range(kw):
                                hi = i * stride - pad + u
                                wi = j * stride - pad + v
                                xv = x[b][c][hi][wi] if (0 <= hi < H and 0 <= wi < W) else 0.0
                                terms.append(w[o][c][u][v] * xv)
                    z0, zk = ref_nrpm(terms, K, eps)
                    row.append(lam * z0 + (1 - lam) * zk + (bias[o] if bias is not None else 0.0))
                oo.append(row)
            ob.append(oo)
        out.append(ob)
    return out


def ref_dense(x, w, bias, lam, K, eps, channels):
    """x [B][D], w [O][D]; output [B][len(channels)]."""
    out = []
    for b in range(len(x)):
        row = []
        for o in channels:
            z0, zk = ref_nrpm([w[o][d] * x[b][d] for d in range(len(x[b]))], K, eps)
            row.append(lam * z0 + (1 - lam) * zk + (bias[o] if bias is not None else 0.0))
        out.append(row)
    return out


def flatten(v):
    if isinstance(v, (list, tuple)):
        out = []
        for x in v:
            out.extend(flatten(x))
        return out
    return [float(v)]


def rel_err_lists(a, ref):
    fa, fr = flatten(a), flatten(ref)
    if len(fa) != len(fr):
        raise ValueError("shape mismatch: %d vs %d values" % (len(fa), len(fr)))
    num = math.sqrt(sum((p - q) ** 2 for p, q in zip(fa, fr)))
    den = math.sqrt(sum(q * q for q in fr))
    return num / den if den else num


# --------------------------------------------------------------------------------------------
# Self-test of the pure-Python parts (no torch)
# --------------------------------------------------------------------------------------------


def self_test():
    checks = 0

    def check(cond, what):
        nonlocal checks
        if not cond:
            raise AssertionError(what)
        checks += 1

    tiny, full = resnet18_layers(8), resnet18_layers(64)
    check(len(tiny) == 21 and len(full) == 21, "21 conv/linear layers (17 3x3 convs, 3 shortcuts, linear)")
    check([l.name for l in full if "shortcut" in l.name] ==
          ["layer2.0.shortcut.0", "layer3.0.shortcut.0", "layer4.0.shortcut.0"], "shortcuts")
    by = {l.name: l for l in full}
    check((by["conv1"].D, by["conv1"].L) == (27, 1024), "stem D, L")
    check((by["layer1.0.conv1"].D, by["layer1.0.conv1"].L) == (576, 1024), "layer1 D, L")
    check(by["layer1.0.conv1"].terms(128) == 4831838208, "layer1 conv terms (18 GiB as fp32)")
    check((by["layer2.0.conv1"].hw, by["layer2.0.conv1"].out_hw, by["layer2.0.conv2"].hw) == (32, 16, 16),
          "layer2 first conv halves")
    check((by["layer4.1.conv2"].hw, by["layer4.1.conv2"].cin, by["layer4.1.conv2"].cout) == (4, 512, 512),
          "layer4 at 4x4, 512 channels")
    sc = by["layer3.0.shortcut.0"]
    check((sc.cin, sc.cout, sc.hw, sc.out_hw, sc.D) == (128, 256, 16, 8, 128), "layer3 shortcut")
    check((by["linear"].D, by["linear"].cout, by["linear"].bias) == (512, 10, True), "classifier")
    st = model_stats(64, 128)
    check(st["largest_terms_layer"] == "layer1.0.conv1" and 4 * st["largest_terms"] == 18 * 2 ** 30,
          "largest terms tensor: layer1.0.conv1, 18 GiB")
    check(st["weights"] == 11173962, "ResNet-18 CIFAR parameter count 11,173,962")
    check(model_stats(8, 1)["terms_per_forward"] == sum(l.terms(1) for l in tiny), "terms sum")
    check(abs(model_stats(8, 1)["terms_per_forward"] - 8.87e6) < 0.05e6, "tiny: about 8.87M terms per sample")
    try:
        resnet18_layers(0)
        check(False, "width 0 rejected")
    except ValueError:
        check(True, "width 0 rejected")

    check(parse_list("8,64,8", "--widths", conv=int) == [8, 64], "parse_list dedup")
    try:
        parse_list("clean,bogus", "--modes", allowed=MODES)
        check(False, "bad mode rejected")
    except ValueError:
        check(True, "bad mode rejected")
    cases = plan_cases([8, 64], list(PMS), [1, 3], list(MODES), list(IMPLS))
    check(len(cases) == 2 * 3 * 2 * 2, "24 cases")
    check([c.impl for c in cases[:12]] == ["eager"] * 12, "eager first")
    check([c.label for c in cases[:3]] == ["w8 LPM clean eager", "w8 LPM PGD-7 eager", "w8 NRPM K=1 clean eager"],
          "TrainStepBench order")
    check(cases[6].width == 64, "widths in order")
    check([c.label for c in cases[12:17]] == ["w8 NRPM K=1 clean compiled", "w8 NRPM K=1 PGD-7 compiled",
                                              "w64 NRPM K=1 clean compiled", "w64 NRPM K=1 PGD-7 compiled",
                                              "w8 NRPM K=3 clean compiled"], "compiled: NRPM by K, widths in turn")
    check([c.label for c in cases[-2:]] == ["w64 LPM clean compiled", "w64 LPM PGD-7 compiled"], "compiled LPM last")
    tab = [r["layers"] + " " + r["impl"] for r in table_order([base_record(c, 128) for c in cases]) if r["width"] == 8]
    check(tab[:4] == ["LPM eager", "LPM compiled", "LPM eager", "LPM compiled"] and tab[4] == "NRPM K=1 eager",
          "table order: layers, training, impl")
    check(len(plan_cases([8], ["nrpm"], [3], ["pgd7"], ["compiled"])) == 1, "one case")
    check(len({c.config for c in cases if c.impl == "compiled"}) == 6, "6 compile configurations")
    check((forwards_per_step("clean"), forwards_per_step("pgd7")) == (1, 8), "forwards per step")
    check(not over_budget(100, 0) and not over_budget(100, 180) and over_budget(181, 180), "budget")
    check(abs(steps_per_epoch(128) - 390.625) < 1e-12, "50,000 / 128 steps")

    # the float64 reference
    z0, z = ref_nrpm([1.0, 1.0, 1.0, 1.0], 3, 1e-3)
    check(z0 == 4.0 and abs(z - 4.0) < 1e-12, "equal terms: NRPM = LPM")
    z0, z = ref_nrpm([1.0, 1.0, 1.0, 10.0], 1, 1e-3)
    check(z0 == 13.0 and 4.0 <= z < 13.0, "an outlier term is down-weighted")
    # r = t - z0/D: (-2.25, -2.25, -2.25, 6.75); w = 1/(|r|+eps)
    w1, w4 = 1 / (2.25 + 1e-3), 1 / (6.75 + 1e-3)
    check(abs(z - 4 * (3 * w1 + 10 * w4) / (3 * w1 + w4)) < 1e-12, "one IRLS step by hand")
    check(ref_nrpm([2.0, -1.0], 0, 1e-3) == (1.0, 1.0), "K=0 is LPM")
    x = [[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]
    ones = [[[[1.0] * 3] * 3]]
    box = ref_conv(x, ones, None, 0.5, 1, 1, 0, 1e-3, [0])
    check(box == [[[[12.0, 21.0, 16.0], [27.0, 45.0, 33.0], [24.0, 39.0, 28.0]]]], "3x3 box sum, zero padding")
    s2 = ref_conv(x, ones, [0.5], 0.5, 2, 1, 0, 1e-3, [0])
    check(s2 == [[[[12.5, 16.5], [24.5, 28.5]]]], "stride 2 + bias")
    one = ref_conv(x, [[[[2.0]]]], None, 0.5, 2, 0, 2, 1e-3, [0])
    check(one == [[[[2.0, 6.0], [14.0, 18.0]]]], "1x1 stride 2 (D=1: NRPM = LPM)")
    # zero-padded terms take part: corner output of a constant image with a ones kernel, K=1
    cst = [[[[1.0] * 3] * 3]]
    corner = ref_conv(cst, ones, None, 0.0, 1, 1, 1, 1e-3, [0])[0][0][0][0]
    zc = ref_nrpm([0.0] * 5 + [1.0] * 4, 1, 1e-3)[1]
    check(abs(corner - zc) < 1e-12 and abs(corner - 4.0) > 0.1, "padded zeros are NRPM terms")
    d = ref_dense([[1.0, 2.0]], [[1.0, 1.0], [3.0, -1.0]], [0.0, 1.0], 1.0, 1, 1e-3, [0, 1])
    check(d == [[3.0, 2.0]], "dense, lambda 1 = LPM + bias")
    check(rel_err_lists([[1.0, 2.0]], [[1.0, 2.0]]) == 0.0 and
          abs(rel_err_lists([3.0, 4.0 + 1e-3], [3.0, 4.0]) - 2e-4) < 1e-12, "relative L2 error")

    # synthetic records through the reporting path
    recs = []
    for case, ms, peak, status, loss in (
            (Case(8, "lpm", None, "clean", "eager"), 10.0, 101.0, "ok", 2.3),
            (Case(8, "lpm", None, "pgd7", "eager"), 55.0, 111.0, "ok", 2.4),
            (Case(8, "nrpm", 1, "clean", "eager"), 80.0, 1001.0, "ok", 2.5),
            (Case(8, "nrpm", 1, "clean", "compiled"), 20.0, 201.0, "ok", 2.5000025),
            (Case(64, "nrpm", 3, "pgd7", "eager"), None, None, "oom", None),
            (Case(64, "nrpm", 3, "pgd7", "compiled"), None, None, "skipped", None)):
        r = base_record(case, 128)
        r["status"] = status
        r["ms"] = ms
        r["epoch_s"] = None if ms is None else ms * r["steps_per_epoch"] / 1e3
        r["peak_mib"] = peak
        r["peak_extra_mib"] = None if peak is None else peak - 1.0
        r["losses"] = None if loss is None else [loss]
        if case.pm == "nrpm" and status == "ok":
            r["valid"] = True
            r["rel_err"] = {"conv1": 1e-16, "linear": 2e-16}
        recs.append(r)
    annotate(recs)
    check(abs(recs[0]["epoch_s"] - 3.90625) < 1e-12, "epoch time")
    check(abs(recs[1]["ratio_vs_clean"] - 5.5) < 1e-12, "pgd7 / clean")
    check(abs(recs[2]["ratio_ms_vs_lpm"] - 8.0) < 1e-12 and abs(recs[2]["ratio_peak_vs_lpm"] - 10.0) < 1e-12,
          "NRPM / LPM")
    check(recs[3]["ratio_ms_vs_lpm"] is None, "no compiled LPM to compare with")
    check(abs(recs[3]["speedup_vs_eager"] - 4.0) < 1e-12 and abs(recs[3]["peak_ratio_vs_eager"] - 0.2) < 1e-12,
          "compiled vs eager")
    check(abs(recs[3]["loss_rel_diff_vs_eager"] - 1e-6) < 1e-9, "loss diff vs eager")
    check(recs[4]["terms_tensor_bytes"] == 18 * 2 ** 30, "oom record carries 18 GiB")
    check(recs[4]["eager_saved_bytes_est"] == 4 * 10 * model_stats(64, 128)["terms_per_forward"], "saved est")
    check(recs[2]["weights"] == model_stats(8, 128)["weights"] + 21, "21 lambdas counted")
    check(all(set(r) == set(RECORD_FIELDS) for r in recs), "every record has every field")
    table = markdown_table(recs)
    check(table.count("\n") == len(recs) + 1, "one table row per record")
    check("oom (terms 18 GiB)" in table and "ok 2e-16" in table, "table cells")
    check(rerun_hint(recs) == "--budget-s 0 --widths 64 --impls compiled --modes pgd7 --pm nrpm --k 3",
          "rerun hint")
    import tempfile
    with tempfile.TemporaryDirectory() as tmpd:
        p = os.path.join(tmpd, "sub", "t.json")
        common.write_json(p, SCHEMA, {"x": float("nan")}, recs)
        with open(p) as f:
            doc = json.load(f)
    check(doc["schema"] == SCHEMA and len(doc["records"]) == len(recs) and doc["meta"]["x"] == "nan",
          "json round trip")
    args = build_parser().parse_args(["--widths", "8", "--k", "1"])
    check(args.budget_s == 180.0 and args.batch == 128 and args.steps == 3, "defaults")
    print("self-test: %d passed, 0 failed" % checks)
    return 0


# --------------------------------------------------------------------------------------------
# The torch side
# --------------------------------------------------------------------------------------------


def setup_torch(args):
    global torch, F, nn
    torch = common.setup_torch()
    import torch.nn as _nn
    import torch.nn.functional as _F
    nn, F = _nn, _F


def nrpm_conv2d(x, w, b, lam, stride, pad, K, eps):
    """Materialized NRPM conv: F.unfold of the zero-padded input, terms (B, O, D, L)."""
    B, _, H, W = x.shape
    O, _, kh, kw = w.shape
    cols = F.unfold(x, kernel_size=(kh, kw), padding=pad, stride=stride)  # (B, D, L)
    wm = w.reshape(O, -1)  # (O, D), D ordered (c, kh, kw) like unfold
    t = cols[:, None, :, :] * wm[None, :, :, None]  # (B, O, D, L)
    z0, zk = nrpm_reduce(t, K, eps)  # (B, O, L)
    y = lam * z0 + (1 - lam) * zk
    if b is not None:
        y = y + b[None, :, None]
    return y.reshape(B, O, (H + 2 * pad - kh) // stride + 1, (W + 2 * pad - kw) // stride + 1)


def nrpm_linear(x, w, b, lam, K, eps):
    t = x[:, None, :] * w[None, :, :]  # (B, O, D)
    z0, zk = nrpm_reduce(t, K, eps)
    y = lam * z0 + (1 - lam) * zk
    return y if b is None else y + b


def _lam_param(lam, learnable, module):
    v = torch.tensor(float(lam))
    if learnable:
        module.lam = nn.Parameter(v)
    else:
        module.register_buffer("lam", v)


def build_nrpm_classes():
    class NrpmConv2d(nn.Module):
        """Hybrid NRPM conv taking over an nn.Conv2d's weight (and bias)."""

        def __init__(self, conv, K, eps, lam, learnable):
            super().__init__()
            self.weight = conv.weight
            self.bias = conv.bias
            self.stride = conv.stride[0]
            self.padding = conv.padding[0]
            self.K = K
            self.eps = eps
            _lam_param(lam, learnable, self)

        def forward(self, x):
            return nrpm_conv2d(x, self.weight, self.bias, self.lam, self.stride, self.padding, self.K, self.eps)

    class NrpmLinear(nn.Module):
        def __init__(self, lin, K, eps, lam, learnable):
            super().__init__()
            self.weight = lin.weight
            self.bias = lin.bias
            self.K = K
            self.eps = eps
            _lam_param(lam, learnable, self)

        def forward(self, x):
            return nrpm_linear(x, self.weight, self.bias, self.lam, self.K, self.eps)

    return NrpmConv2d, NrpmLinear


def build_resnet_classes():
    class BasicBlock(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            h = F.relu(self.bn1(self.conv1(x)))
            h = self.bn2(self.conv2(h))
            return F.relu(h + self.shortcut(x))

    class ResNet18(nn.Module):
        def __init__(self, width, classes=CLASSES):
            super().__init__()
            self.conv1 = nn.Conv2d(IN_CH, width, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            cin = width
            for s in range(4):
                cout = width << s
                stride = 1 if s == 0 else 2
                setattr(self, "layer%d" % (s + 1),
                        nn.Sequential(BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)))
                cin = cout
            self.linear = nn.Linear(cin, classes)

        def forward(self, x):
            h = F.relu(self.bn1(self.conv1(x)))
            h = self.layer4(self.layer3(self.layer2(self.layer1(h))))
            h = F.adaptive_avg_pool2d(h, 1).flatten(1)
            return self.linear(h)

    return ResNet18


def matching_layers(model):
    """(path, module) of every conv/linear layer, LPM or NRPM, in model order."""
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, (nn.Conv2d, nn.Linear)) or type(m).__name__ in ("NrpmConv2d", "NrpmLinear")]


def build_model(width, pm, K, args):
    """ResNet-18 on the CPU, initial weights by seed and width (so LPM and NRPM of one width
    start alike); NRPM replaces every conv and the classifier, keeping their weights."""
    torch.manual_seed(args.seed * 1000 + width)
    model = build_resnet_classes()(width)
    spec = [(l.name, l.kind, l.cin, l.cout, l.ksize, l.stride, l.pad) for l in resnet18_layers(width)]
    got = []
    for name, m in matching_layers(model):
        if isinstance(m, nn.Conv2d):
            got.append((name, "conv", m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0], m.padding[0]))
        else:
            got.append((name, "dense", m.in_features, m.out_features, 1, 1, 0))
    if got != spec:
        raise RuntimeError("model layers differ from resnet18_layers(): %s vs %s" % (got, spec))
    if pm == "nrpm":
        NrpmConv2d, NrpmLinear = build_nrpm_classes()
        learnable = args.lambda_mode == "learnable"
        for name, m in matching_layers(model):
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            cls = NrpmConv2d if isinstance(m, nn.Conv2d) else NrpmLinear
            setattr(parent, child, cls(m, K, args.eps, args.lam, learnable))
    return model


def make_batch(args, device):
    gen = torch.Generator().manual_seed(args.seed)
    x = torch.rand((args.batch, IN_CH, IN_HW, IN_HW), generator=gen)
    y = torch.randint(0, CLASSES, (args.batch,), generator=gen)
    return x.to(device), y.to(device)


def validate_layers(model, K, args, device):
    """The model's materialized NRPM layers (the very functions its forward uses) in float64 on
    the device vs the per-output Python loop, on --check-batch inputs of --check-hw squared."""
    gen = torch.Generator().manual_seed(args.seed + 7)
    mods = dict(model.named_modules())
    errs = {}
    n, hw = args.check_batch, args.check_hw
    for name in CHECK_LAYERS:
        m = mods[name]
        w = m.weight.detach().to(device, torch.float64)
        b = None if m.bias is None else m.bias.detach().to(device, torch.float64)
        lam = m.lam.detach().to(device, torch.float64)
        chans = list(range(min(args.check_channels, w.shape[0])))
        if w.dim() == 4:
            x = torch.randn((n, w.shape[1], hw, hw), generator=gen, dtype=torch.float64).to(device)
            with torch.no_grad():
                y = nrpm_conv2d(x, w, b, lam, m.stride, m.padding, K, args.eps)
            ref = ref_conv(x.cpu().tolist(), w.cpu().tolist(), None if b is None else b.cpu().tolist(),
                           lam.item(), m.stride, m.padding, K, args.eps, chans)
        else:
            x = torch.randn((n, w.shape[1]), generator=gen, dtype=torch.float64).to(device)
            with torch.no_grad():
                y = nrpm_linear(x, w, b, lam, K, args.eps)
            ref = ref_dense(x.cpu().tolist(), w.cpu().tolist(), None if b is None else b.cpu().tolist(),
                            lam.item(), K, args.eps, chans)
        errs[name] = rel_err_lists(y[:, :len(chans)].cpu().tolist(), ref)
    return errs


class Bench:
    def __init__(self, args, meta, t_start):
        self.args = args
        self.meta = meta
        self.t_start = t_start
        self.cuda = args.device == "cuda"
        self.device = torch.device(args.device)
        self.records = []
        self.batch = None
        self.held = None  # {"key": (config, impl), "model", "fwd", "init"}: the current configuration
        self.checks = {}  # (width, K) -> {"errs": ..., "error": ...}
        self.stage = None

    def elapsed(self):
        return time.perf_counter() - self.t_start

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def release(self):
        """Drop the current configuration (model, compiled graphs) and return cached memory."""
        compiled = self.held is not None and self.held["key"][1] == "compiled"
        self.held = None
        if compiled and hasattr(torch, "_dynamo"):
            torch._dynamo.reset()
        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()

    def configuration(self, case):
        key = (case.config, case.impl)
        if self.held is None or self.held["key"] != key:
            self.release()
            model = build_model(case.width, case.pm, case.K, self.args)
            init = {k: v.clone() for k, v in model.state_dict().items()}  # CPU copy
            model = model.to(self.device)
            fwd = compile_fn(torch, model) if case.impl == "compiled" else model
            self.held = {"key": key, "model": model, "fwd": fwd, "init": init}
        return self.held

    def check(self, case, model):
        key = (case.width, case.K)
        if key not in self.checks:
            t0 = time.perf_counter()
            try:
                self.checks[key] = {"errs": validate_layers(model, case.K, self.args, self.device)}
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                self.checks[key] = {"errs": {}, "error": short_error(e)}
            self.checks[key]["s"] = time.perf_counter() - t0
        return self.checks[key]

    def dynamo_counts(self):
        try:
            from torch._dynamo.utils import counters
            return counters["stats"]["unique_graphs"], sum(counters["graph_break"].values())
        except Exception:  # noqa: BLE001
            return None, None

    def measure(self, case, rec):
        args = self.args
        self.stage = "setup"
        if self.batch is None:
            self.batch = make_batch(args, self.device)
        x, y = self.batch
        held = self.configuration(case)
        model, fwd = held["model"], held["fwd"]
        if case.pm == "nrpm":
            self.stage = "validation"
            chk = self.check(case, model)
            rec["rel_err"] = dict(chk["errs"])
            rec["check_ref"] = ("per-output Python loop of NRPM.md section 2, float64, batch %d, input %dx%d, "
                                "first %d output channels of %s" % (args.check_batch, args.check_hw, args.check_hw,
                                                                    args.check_channels, ", ".join(CHECK_LAYERS)))
            if "error" in chk:
                rec["check_ref"] += "; failed: " + chk["error"]
                rec["valid"] = False
            else:
                rec["valid"] = all(v < TOL for v in chk["errs"].values())
        self.stage = "setup"
        model.load_state_dict(held["init"])  # same start for every case of the configuration
        for p in model.parameters():
            p.grad = None
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
        pgd = case.mode == "pgd7"
        budget, alpha = PGD["budget"], PGD["step_size"]

        def attack():
            fwd.eval()
            xa = x.clone()
            for _ in range(PGD["steps"]):
                xa.requires_grad_(True)
                loss = F.cross_entropy(fwd(xa), y)
                g, = torch.autograd.grad(loss, xa)
                xa = xa.detach() + alpha * g.sign()
                xa = torch.min(torch.max(xa, x - budget), x + budget).clamp_(0.0, 1.0)
            return xa.detach()

        def step():
            xb = attack() if pgd else x
            fwd.train()
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(fwd(xb), y)
            loss.backward()
            opt.step()
            return loss.detach()

        losses = []
        self.sync()
        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
            rec["base_mib"] = _mib(torch.cuda.memory_allocated())
        self.stage = "warm-up"
        graphs0, breaks0 = self.dynamo_counts() if case.impl == "compiled" else (None, None)
        t0 = time.perf_counter()
        for _ in range(args.warmup):
            losses.append(step())
            self.sync()
        rec["first_step_s"] = time.perf_counter() - t0
        rec["warmup"] = args.warmup
        if case.impl == "compiled":
            rec["compile_s"] = rec["first_step_s"]
            graphs1, breaks1 = self.dynamo_counts()
            if graphs0 is not None and graphs1 is not None:
                rec["compiled_graphs"] = graphs1 - graphs0
                rec["graph_breaks"] = breaks1 - breaks0
        self.stage = "timing"
        if self.cuda:
            rec["base_mib"] = _mib(torch.cuda.memory_allocated())
            torch.cuda.reset_peak_memory_stats()
        samples = []
        for i in range(args.steps):
            if self.cuda:
                start = torch.cuda.Event(enable_timing=True)
                end = torch.cuda.Event(enable_timing=True)
                self.sync()
                start.record()
                losses.append(step())
                end.record()
                end.synchronize()
                samples.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                losses.append(step())
                samples.append((time.perf_counter() - t0) * 1e3)
            if (sum(samples) + statistics.median(samples)) / 1e3 > args.max_case_s:
                break
        rec["losses"] = [float(v.item()) for v in losses]
        rec["ms_samples"] = [round(v, 4) for v in samples]
        rec["steps"] = len(samples)
        rec["ms"] = statistics.median(samples)
        rec["ms_min"], rec["ms_max"] = min(samples), max(samples)
        rec["epoch_s"] = rec["ms"] * rec["steps_per_epoch"] / 1e3
        if not all(math.isfinite(v) for v in rec["losses"]):
            rec["error"] = "non-finite training loss"
        rec["status"] = "ok"

    def run_case(self, case):
        rec = base_record(case, self.args.batch, self.args.lambda_mode)
        self.records.append(rec)
        if over_budget(self.elapsed(), self.args.budget_s):
            rec["status"] = "skipped"
            rec["error"] = "time budget of %g s spent before this case (--budget-s)" % self.args.budget_s
            return rec
        failure = None
        try:
            self.measure(case, rec)
        except Exception as e:  # noqa: BLE001
            if is_oom(e):
                failure = ("oom", short_error(e))
            elif case.impl == "compiled" and self.stage == "warm-up":
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
        if self.cuda and rec.get("base_mib") is not None:
            rec["peak_mib"] = _mib(torch.cuda.max_memory_allocated())
            rec["peak_extra_mib"] = rec["peak_mib"] - rec["base_mib"]
        if failure is not None:
            self.release()  # a fresh model (and compile) for whatever comes next
        return rec

    def progress(self, i, total, case, rec):
        parts = ["[%7.1f s] %2d/%d %-36s: %s" % (self.elapsed(), i, total, case.label, rec["status"])]
        if rec["status"] == "ok":
            parts.append("%.1f ms/step (median of %d), epoch %.0f s" % (rec["ms"], rec["steps"], rec["epoch_s"]))
        if rec.get("peak_mib") is not None:
            parts.append("peak %.0f MiB" % rec["peak_mib"])
        if rec.get("compile_s") is not None:
            parts.append("compile+first %.1f s" % rec["compile_s"])
        if rec.get("losses"):
            parts.append("loss %.4g" % rec["losses"][0])
        if rec.get("rel_err"):
            parts.append("check " + " ".join("%s=%.1e" % kv for kv in rec["rel_err"].items()))
        if rec.get("valid") is False:
            parts.append("VALIDATION FAILED")
        if rec["status"] == "oom":
            parts.append("(largest terms tensor %.3g GiB, %s)" % (_gib(rec["terms_tensor_bytes"]),
                                                                  rec["largest_terms_layer"]))
        if rec.get("error") and rec["status"] not in ("oom", "skipped"):
            parts.append(rec["error"][:300])
        print("  ".join(parts), flush=True)


def collect_meta(args):
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "argv": sys.argv,
        "args": {k: v for k, v in vars(args).items() if not k.endswith("_list")},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch_version": None, "cuda_version": None, "cudnn_version": None, "triton_version": None,
        "device": args.device, "device_name": None, "device_capability": None, "device_memory_mib": None,
        "device_sm_count": None, "tf32": None, "cudnn_benchmark": None,
        "dtype": "float32", "model": "ResNet-18 (CIFAR): BasicBlock [2,2,2,2], 3x3 s1 stem, no max-pool, "
                                     "widths w,2w,4w,8w, 1x1 conv+BN shortcuts, global avg pool, linear",
        "input": [IN_CH, IN_HW, IN_HW], "classes": CLASSES, "batch": args.batch,
        "optimizer": {"name": "SGD", "lr": args.lr, "momentum": args.momentum, "weight_decay": 0.0,
                      "nesterov": False},
        "pgd": PGD, "eps": args.eps, "lambda": args.lam, "lambda_mode": args.lambda_mode,
        "weight_function": "L1", "tolerance": TOL, "conventions": conventions(),
        "java_counterpart": JAVA_COMMAND, "alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF"),
    }
    return common.add_torch_meta(meta, torch, args.device)


def build_parser():
    p = argparse.ArgumentParser(
        description="Time per training step of ResNet-18 (CIFAR) in PyTorch: LPM vs materialized NRPM, "
                    "clean and PGD-7, eager and torch.compile; the PyTorch side of the training-step tables "
                    "in bench/RESULTS.md (ours: dev.nrpm.bench.TrainStepBench).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--widths", "--width", default="8,64", help="ResNet-18 base widths, comma-separated")
    p.add_argument("--pm", default="lpm,nrpm", help="layers: lpm and/or nrpm (as TrainStepBench --pm)")
    p.add_argument("--k", default="1,3", help="NRPM iteration counts, comma-separated, each >= 1")
    p.add_argument("--modes", default="clean,pgd7", help="clean and/or pgd7")
    p.add_argument("--impls", default="eager,compiled", help="eager and/or compiled")
    p.add_argument("--no-compile", action="store_true", help="drop the compiled cases")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=3, help="measured steps per case (median reported)")
    p.add_argument("--warmup", type=int, default=1, help="warm-up steps before the measured ones (min 1)")
    p.add_argument("--max-case-s", type=float, default=20.0,
                   help="stop measuring a case (after at least one step) when its steps would exceed this")
    p.add_argument("--budget-s", type=float, default=180.0,
                   help="start no case after this many seconds since launch (skipped cases are recorded); 0 = no limit")
    p.add_argument("--json", metavar="OUT", default=None, help="write the JSON report here (rewritten after each case)")
    p.add_argument("--device", default="cuda", choices=("cuda", "cpu"),
                   help="cpu: smoke test of the code paths only (no memory stats, times mean nothing)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--eps", type=float, default=1e-3)
    p.add_argument("--lam", type=float, default=0.5, help="initial lambda of every NRPM layer")
    p.add_argument("--lambda-mode", default="learnable", choices=("learnable", "fixed"),
                   help="learnable: a raw trainable scalar per layer (paradigm 3); fixed: a constant")
    p.add_argument("--check-batch", type=int, default=2, help="samples in the float64 validation slice")
    p.add_argument("--check-hw", type=int, default=5, help="input height = width of the validation slice")
    p.add_argument("--check-channels", type=int, default=16, help="output channels checked per layer")
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
        args.width_list = parse_list(args.widths, "--widths", conv=int)
        if any(w < 1 for w in args.width_list):
            raise ValueError("--widths values must be >= 1")
        args.pm_list = parse_list(args.pm, "--pm", allowed=PMS)
        args.k_list = parse_list(args.k, "--k", conv=int)
        if any(k < 1 for k in args.k_list):
            raise ValueError("--k values must be >= 1")
        args.mode_list = parse_list(args.modes, "--modes", allowed=MODES)
        args.impl_list = parse_list(args.impls, "--impls", allowed=IMPLS)
        if args.no_compile and "compiled" in args.impl_list:
            args.impl_list.remove("compiled")
        if not args.impl_list:
            raise ValueError("no implementation left to run")
        for name in ("batch", "steps", "check_batch", "check_hw", "check_channels"):
            if getattr(args, name) < 1:
                raise ValueError("--%s must be >= 1" % name.replace("_", "-"))
        args.warmup = max(1, args.warmup)
    except ValueError as e:
        parser.print_usage(sys.stderr)
        print("error: %s" % e, file=sys.stderr)
        return 2
    cases = plan_cases(args.width_list, args.pm_list, args.k_list, args.mode_list, args.impl_list)
    if args.dry_run:
        return dry_run(args, cases)

    try:
        setup_torch(args)
    except ImportError as e:
        print("error: torch is not importable (%s); --dry-run and --self-test work without it" % e, file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device visible to torch %s (use --device cpu for a smoke test)" % torch.__version__,
              file=sys.stderr)
        return 2
    meta = collect_meta(args)
    print("# ResNet-18 training step, PyTorch: %s, torch %s, CUDA %s, batch %d, widths %s, K %s, %d cases%s" % (
        meta["device_name"], meta["torch_version"], meta["cuda_version"], args.batch,
        ",".join(map(str, args.width_list)), ",".join(map(str, args.k_list)), len(cases),
        "" if not args.budget_s else ", budget %g s" % args.budget_s), flush=True)
    bench = Bench(args, meta, t_start)
    interrupted = False

    def on_term(signum, frame):  # timeout(1) and friends: finish like Ctrl-C, with the JSON and the table
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_term)
    try:
        for i, case in enumerate(cases, 1):
            rec = bench.run_case(case)
            bench.progress(i, len(cases), case, rec)
            annotate(bench.records)
            meta["wall_s"] = bench.elapsed()
            meta["checks"] = {"w%d K=%d" % k: v for k, v in bench.checks.items()}
            common.write_json(args.json, SCHEMA, meta, bench.records)
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: writing what was measured", flush=True)
        for r in bench.records:
            if r["status"] == "pending":
                r["status"] = "interrupted"
                r["error"] = "[%s] interrupted (SIGINT or SIGTERM, e.g. an outer timeout)" % bench.stage
        for case in cases[len(bench.records):]:
            r = base_record(case, args.batch, args.lambda_mode)
            r["status"] = "skipped"
            r["error"] = "interrupted before this case"
            bench.records.append(r)
    annotate(bench.records)
    meta["wall_s"] = bench.elapsed()
    meta["interrupted"] = interrupted
    meta["checks"] = {"w%d K=%d" % k: v for k, v in bench.checks.items()}
    common.write_json(args.json, SCHEMA, meta, bench.records)

    print()
    print("ResNet-18, batch %d, %s; one warm-up step, median of up to %d measured steps" % (
        args.batch, meta["device_name"], args.steps))
    print()
    print(markdown_table(table_order(bench.records)))
    print()
    print("Conventions:")
    print(conventions_text())
    counts = {}
    for r in bench.records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print()
    print("done in %.1f s: %s%s" % (bench.elapsed(), ", ".join("%d %s" % (v, k) for k, v in counts.items()),
                                    "; JSON: %s" % args.json if args.json else "; no --json given"), flush=True)
    hint = rerun_hint(bench.records)
    if hint:
        print("%d cases skipped or interrupted; rerun them with %s"
              % (counts.get("skipped", 0) + counts.get("interrupted", 0), hint), flush=True)
    invalid = [r for r in bench.records if r.get("valid") is False]
    if invalid:
        print("VALIDATION FAILED for %d cases: %s" % (len(invalid), "; ".join(
            "w%d %s" % (r["width"], r["layers"]) for r in invalid)), flush=True)
        return 3
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
