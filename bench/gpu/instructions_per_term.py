#!/usr/bin/env python3
"""PTX instructions per NRPM term in the fused kernels' inner loops, without a GPU.

Compiles kernels/nrpm_dense.cu and kernels/nrpm_conv.cu to PTX (nvcc -ptx, sm_90) and, in each
entry point, finds the unrolled inner-loop blocks: basic blocks with at least 16 approximate
reciprocals (div.approx / rcp.approx, one per term and step). It prints their instruction count
per reciprocal, by opcode. NRPM.md section 5 puts the floor at one reciprocal per term: an H100 or
H200 SM issues one warp instruction per clock on each of its 4 schedulers but retires only 16
reciprocals per clock, so a loop stays reciprocal-bound while it needs at most about 8 issued
instructions per term; beyond that, issue slots bound it at about 8 / n of the reciprocal bound.
PTX is not SASS (ptxas folds abs/neg into operand modifiers and may fuse more), so these counts
are an upper estimate of the issue cost; the GPU's timings are the judge.

usage: python3 bench/gpu/ptx_per_term.py [--arch sm_90]
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KERNELS = os.path.join(HERE, "..", "..", "kernels")
FREE = {"abs", "neg"}   # operand modifiers in SASS


def loop_blocks(ptx):
    """(entry, instructions per reciprocal, per reciprocal without abs/neg, opcode counts) for each loop block."""
    out = []
    for entry in re.split(r"\n(?=\.visible \.entry)", ptx):
        m = re.match(r"\.visible \.entry (\w+)", entry)
        if not m:
            continue
        for block in re.split(r"\n\$L__\w+:", entry):
            ins = []
            for line in block.split("\n"):
                line = line.strip()
                if not line or ";" not in line or line.startswith(("//", ".", "{", "}")):
                    continue
                words = line.split()
                op = words[1] if words[0].startswith("@") else words[0]
                ins.append(op.split(".")[0])
            rcp = sum(1 for line in block.split("\n") if "div.approx" in line or "rcp.approx" in line)
            if rcp >= 16:
                ops = collections.Counter(ins)
                paid = len(ins) - sum(ops[o] for o in FREE)
                out.append((m.group(1), len(ins) / rcp, paid / rcp, ops))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="sm_90")
    args = ap.parse_args()
    print("| kernel | inner-loop blocks | PTX instructions per term (min..max) | without abs/neg |"
          " bound by issue at (8 / n) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("nrpm_dense.cu", "nrpm_conv.cu"):
            ptx_path = os.path.join(tmp, name + ".ptx")
            subprocess.run(["nvcc", "-ptx", "-arch=" + args.arch, "-O3", "-I", KERNELS,
                            os.path.join(KERNELS, name), "-o", ptx_path], check=True)
            by_entry = collections.defaultdict(list)
            for entry, per, paid, _ in loop_blocks(open(ptx_path).read()):
                by_entry[entry].append((per, paid))
            for entry, v in by_entry.items():
                lo, hi = min(p for p, _ in v), max(p for p, _ in v)
                plo, phi = min(q for _, q in v), max(q for _, q in v)
                print("| %s | %d | %.2f..%.2f | %.2f..%.2f | %.0f%%..%.0f%% |" % (
                    entry, len(v), lo, hi, plo, phi, min(100, 800 / phi), min(100, 800 / plo)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
