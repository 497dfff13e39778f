"""Helpers shared by the two PyTorch benchmarks in this folder, torch_nrpm.py (layers) and
torch_train_step.py (training steps), which had grown identical copies of them: list parsing,
number formatting, the JSON writer, error classification, the torch set-up (TF32 off,
cudnn.benchmark on, a larger dynamo recompile limit), the torch/device part of the run's
metadata and the materialized NRPM reduction. Each script keeps what is its own (cases,
records, conventions, tables, the benchmark loop).

Pure Python at import time: torch is imported only by setup_torch(), so --dry-run and
--self-test of both scripts run without it. bundle.sh copies bench/gpu/*.py together, and each
script puts its own folder on sys.path before importing this module.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys


def parse_list(text, what, allowed=None, conv=str):
    out = []
    for tok in text.split(","):
        tok = tok.strip()
        if not tok:
            continue
        try:
            v = conv(tok)
        except ValueError:
            raise ValueError("%s: %r is not valid" % (what, tok))
        if allowed is not None and v not in allowed:
            raise ValueError("%s: %r is not one of %s" % (what, tok, ", ".join(map(str, allowed))))
        if v not in out:
            out.append(v)
    if not out:
        raise ValueError("%s is empty" % what)
    return out


def _fmt(v, spec="%.3g", none="-"):
    if v is None:
        return none
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    return spec % v


def _mib(nbytes):
    return nbytes / 2.0 ** 20


def _finite(v):
    """JSON without NaN/Infinity: non-finite floats become the strings 'nan', 'inf', '-inf'."""
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def write_json(path, schema, meta, records):
    """Writes {"schema", "meta", "records"} atomically (temporary file, then rename); no-op
    without a path."""
    if not path:
        return
    doc = _finite({"schema": schema, "meta": meta, "records": records})
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def short_error(e):
    msg = " ".join(("%s: %s" % (type(e).__name__, e)).split())
    return msg if len(msg) <= 600 else msg[:600] + " ..."


# --------------------------------------------------------------------------------------------
# The torch side (torch imported lazily)
# --------------------------------------------------------------------------------------------


def setup_torch():
    """Imports torch and sets what both benchmarks measure under: fp32 without TF32,
    cudnn.benchmark on, dynamo's recompile limit raised to 64. Returns the torch module;
    raises ImportError without torch."""
    import torch
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    try:
        import torch._dynamo
        cfg = torch._dynamo.config
        # one entry per (grad mode) per compiled function; stay far from the limit
        for name in ("recompile_limit", "cache_size_limit"):
            if hasattr(cfg, name):
                setattr(cfg, name, 64)
                break
    except Exception:  # noqa: BLE001 (no dynamo: --no-compile still works)
        pass
    return torch


def compile_fn(torch, fn):
    """torch.compile(fn, dynamic=False), or a clear error where this torch has none (before 2.0)."""
    if not hasattr(torch, "compile"):
        raise RuntimeError("torch.compile needs PyTorch 2.0 or later, this is torch %s (--no-compile drops "
                           "these cases)" % torch.__version__)
    return torch.compile(fn, dynamic=False)


def add_torch_meta(meta, torch, device):
    """Fills the torch, CUDA/cuDNN/Triton and device entries of meta (left as they are when
    torch is None)."""
    if torch is None:
        return meta
    meta["torch_version"] = torch.__version__
    meta["cuda_version"] = torch.version.cuda
    try:
        meta["cudnn_version"] = torch.backends.cudnn.version()
    except Exception:  # noqa: BLE001
        pass
    try:
        import triton
        meta["triton_version"] = triton.__version__
    except Exception:  # noqa: BLE001
        pass
    meta["torch_threads"] = torch.get_num_threads()   # the CPU's intra-op threads (--device cpu runs)
    meta["tf32"] = {"matmul": torch.backends.cuda.matmul.allow_tf32, "cudnn": torch.backends.cudnn.allow_tf32}
    meta["cudnn_benchmark"] = torch.backends.cudnn.benchmark
    if device == "cuda":
        props = torch.cuda.get_device_properties(0)
        meta["device_name"] = torch.cuda.get_device_name(0)
        meta["device_capability"] = "%d.%d" % (props.major, props.minor)
        meta["device_memory_mib"] = _mib(props.total_memory)
        meta["device_sm_count"] = props.multi_processor_count
    else:
        meta["device_name"] = platform.processor() or "cpu"
    return meta


def is_oom(e):
    """True when e, or an exception it was raised from (up to 8 deep), is a CUDA out-of-memory."""
    torch = sys.modules.get("torch")
    oom_t = None
    if torch is not None:
        oom_t = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", None)
    seen = 0
    while e is not None and seen < 8:
        if oom_t is not None and isinstance(e, oom_t):
            return True
        s = str(e)
        if "OutOfMemoryError" in s or "CUDA out of memory" in s:
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False


def nrpm_reduce(t, K, eps):
    """t: terms with the summed axis D at dim 2. Returns (z0, zK), dim 2 removed."""
    D = t.shape[2]
    z0 = t.sum(dim=2, keepdim=True)
    z = z0
    for _ in range(K):
        r = t - z / D
        wt = 1.0 / (r.abs() + eps)
        z = D * (wt * t).sum(dim=2, keepdim=True) / wt.sum(dim=2, keepdim=True)
    return z0.squeeze(2), z.squeeze(2)
