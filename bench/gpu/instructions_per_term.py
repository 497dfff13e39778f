#!/usr/bin/env python3
"""Instructions per NRPM term in the fused kernels' inner loops, without a GPU.

Compiles kernels/nrpm_dense.cu and kernels/nrpm_conv.cu and, in each entry point, finds the
unrolled inner-loop blocks: basic blocks that branch back to their own start and hold at least 16
approximate reciprocals (one per term and step; the forward's per-output epilogue also takes 16,
but runs once per pass, not per term). It prints their instruction count per reciprocal. NRPM.md section 5 puts the floor at one
reciprocal per term: an H100 or H200 SM issues one warp instruction per clock on each of its 4
schedulers but retires only 16 reciprocals per clock, so a loop stays reciprocal-bound while it
needs at most about 8 issued instructions per term; beyond that, issue slots bound it at about
8 / n of the reciprocal bound.

Two sources, the second the one to trust:
  --from ptx   nvcc -ptx (any machine with nvcc). PTX is not what runs: ptxas expands some
               instructions (div.approx.f32 without ftz became 4 SASS instructions), folds
               others (abs/neg into operand modifiers, reinterpreting movs) and turns some
               branches into selects (a PTX loop split at such a branch is missed), so it can be
               off either way.
  --from sass  the machine code: nvcc -cubin, disassembled with cuobjdump -sass from the same
               toolkit (--cuobjdump PATH). A cubin of a newer toolkit than the disassembler reads
               can be replaced by an older toolkit's own compile of the same PTX: --ptxas and
               --nvdisasm of that toolkit (e.g. Debian bookworm non-free's nvidia-cuda-toolkit
               11.8, unpacked with dpkg -x), with the PTX's .version lowered to what it reads
               (--ptx-version 7.8). ptxas versions schedule differently, so that is a proxy.

usage: python3 bench/gpu/instructions_per_term.py [--arch sm_90] [--from ptx|sass]
           [--cuobjdump PATH | --ptxas PATH --nvdisasm PATH --ptx-version 7.8] [--self-test]
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
if not os.path.isdir(KERNELS):                 # in the GPU bundle: bundle/bench/ next to bundle/kernels/
    KERNELS = os.path.join(HERE, "..", "kernels")
FREE_PTX = {"abs", "neg", "mov"}   # operand modifiers or register renames in SASS


def ptx_blocks(ptx):
    """(entry, instructions per reciprocal, the same without abs/neg/mov) for each PTX loop block."""
    out = []
    for entry in re.split(r"\n(?=\.visible \.entry)", ptx):
        m = re.match(r"\.visible \.entry (\w+)", entry)
        if not m:
            continue
        pieces = re.split(r"\n(\$L__\w+):", entry)
        for label, block in zip(pieces[1::2], pieces[2::2]):
            if not re.search(r"\bbra(?:\.uni)?\s+" + re.escape(label) + r";", block):
                continue   # not a loop
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
                paid = len(ins) - sum(ops[o] for o in FREE_PTX)
                out.append((m.group(1), len(ins) / rcp, paid / rcp))
    return out


SASS_FUNCTION = re.compile(r"(?:Function : |\.text\.)(\w+)")
SASS_INSTRUCTION = re.compile(r"/\*[0-9a-f]{4,8}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)")


def sass_blocks(sass):
    """(function, instructions per MUFU.RCP, the same) for each SASS loop block (cuobjdump or nvdisasm text)."""
    out = []
    pieces = SASS_FUNCTION.split(sass)
    for name, body in zip(pieces[1::2], pieces[2::2]):
        blocks = re.split(r"\n\s*(\.L_x_\d+):", body)
        for label, block in zip(blocks[1::2], blocks[2::2]):
            if "(" + label + ")" not in block:
                continue   # no branch back to its own start: not a loop
            ins = SASS_INSTRUCTION.findall(block)
            rcp = sum(1 for i in ins if i.startswith("MUFU.RCP"))
            if rcp >= 16:
                n = len(ins) / rcp
                out.append((name, n, n))
    return out


def compile_blocks(name, args, tmp):
    src = os.path.join(KERNELS, name)
    ptx = os.path.join(tmp, name + ".ptx")
    subprocess.run(["nvcc", "-ptx", "-arch=" + args.arch, "-O3", "-I", KERNELS, src, "-o", ptx], check=True)
    if args.source == "ptx":
        return ptx_blocks(open(ptx).read())
    cubin = os.path.join(tmp, name + ".cubin")
    if args.ptxas:
        text = re.sub(r"^\.version \S+", ".version " + args.ptx_version, open(ptx).read(), count=1, flags=re.M)
        old = os.path.join(tmp, name + ".old.ptx")
        open(old, "w").write(text)
        subprocess.run([args.ptxas, "-arch=" + args.arch, old, "-o", cubin], check=True)
        sass = subprocess.run([args.nvdisasm, "-c", cubin], check=True, capture_output=True, text=True).stdout
    else:
        subprocess.run(["nvcc", "-cubin", "-arch=" + args.arch, "-O3", "-I", KERNELS, src, "-o", cubin], check=True)
        sass = subprocess.run([args.cuobjdump, "-sass", cubin], check=True, capture_output=True, text=True).stdout
    return sass_blocks(sass)


def self_test():
    ptx = """.visible .entry k(
{
$L__BB0_1:
""" + "\n".join(["\tabs.f32 %f1, %f2;", "\tadd.f32 %f3, %f1, %f4;", "\tdiv.approx.f32 %f5, %f6, %f3;",
                 "\tmov.b32 %r1, %f5;"] * 16) + "\n\t@%p1 bra $L__BB0_1;\n$L__BB0_2:\n" + \
        "\trcp.approx.ftz.f32 %f7, %f8;\n" * 16 + "\tret;\n}\n"
    (entry, n, paid), = ptx_blocks(ptx)
    assert entry == "k" and n == 4 + 1 / 16 and paid == 2 + 1 / 16, (entry, n, paid)
    sass = "\t\tFunction : k\n.L_x_1:\n" + "".join(
        "        /*%04x*/                   %s ;\n" % (16 * i, op)
        for i, op in enumerate(["MUFU.RCP R1, R2", "FADD R3, |R1|, UR8", "@!P1 FFMA R4, R1, R2, R4"] * 16))
    sass += "        /*10000*/                   BRA `(.L_x_1) ;\n.L_x_2:\n" + \
        "        /*10010*/                   MUFU.RCP R5, R6 ;\n" * 16 + "        /*10020*/  EXIT ;\n"
    (name, n, _), = sass_blocks(sass)
    assert name == "k" and n == 3 + 1 / 16, (name, n)
    print("self-test ok")
    return 0


def tool_missing(e):
    print("instructions_per_term.py: %s not found (--cuobjdump PATH, or --ptxas and --nvdisasm of an"
          " older toolkit, or --from ptx)" % e.filename, file=sys.stderr)
    return 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", default="sm_90")
    ap.add_argument("--from", dest="source", choices=("ptx", "sass"), default="ptx")
    ap.add_argument("--cuobjdump", default="cuobjdump")
    ap.add_argument("--ptxas", help="an older toolkit's ptxas (with --nvdisasm): compile the PTX with it")
    ap.add_argument("--nvdisasm")
    ap.add_argument("--ptx-version", default="7.8", help="the PTX .version that --ptxas reads")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if bool(args.ptxas) != bool(args.nvdisasm):
        ap.error("--ptxas and --nvdisasm go together")
    unit = "PTX" if args.source == "ptx" else "SASS"
    extra = " | without abs/neg/mov" if args.source == "ptx" else ""
    print("| kernel | inner-loop blocks | %s instructions per term (min..max)%s | bound by issue at (8 / n) |"
          % (unit, extra))
    print("|---|---|---|" + ("---|" if extra else "") + "---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("nrpm_dense.cu", "nrpm_conv.cu"):
            by_entry = collections.defaultdict(list)
            try:
                blocks = compile_blocks(name, args, tmp)
            except FileNotFoundError as e:
                return tool_missing(e)
            for entry, per, paid in blocks:
                by_entry[entry].append((per, paid))
            for entry, v in by_entry.items():
                lo, hi = min(p for p, _ in v), max(p for p, _ in v)
                plo, phi = min(q for _, q in v), max(q for _, q in v)
                cols = "%.2f..%.2f" % (lo, hi) + (" | %.2f..%.2f" % (plo, phi) if extra else "")
                print("| %s | %d | %s | %.0f%%..%.0f%% |" % (entry, len(v), cols, min(100, 800 / phi),
                                                             min(100, 800 / plo)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
