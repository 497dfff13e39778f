# Prints the tables of bench/RESULTS.md "CPU: backward convolutions on NHWC" from this folder's
# files: python3 table.py
import json, re
med = lambda xs: sorted(xs)[len(xs) // 2]
f = lambda xs: ", ".join(f"{x:.3g}" for x in xs)

print("Backend convolution calls alone (CpuConvPaths, oneDNN path), batch 128, ms, before / after, two rounds each:\n")
paths = {}
for j in ("base", "new"):
    for r in (1, 2):
        for line in open(f"paths-{j}-r{r}.txt"):
            m = re.match(r"\| ([0-9:]+) \| cpu \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \|", line)
            if m:
                for k, call in enumerate(("forward", "gx", "gx + gw", "gw")):
                    paths.setdefault((m.group(1), call), {}).setdefault(j, []).append(float(m.group(k + 2)))
print("| layer (C:H:W:O:k:stride:pad) | call | before (6a55601) | after | mean before / mean after |")
print("|---|---|---|---|---|")
for (layer, call), v in paths.items():
    if call == "forward":
        continue   # unchanged by this work: the forward keeps oneDNN's layout choice
    print(f"| {layer} | {call} | {f(v['base'])} | {f(v['new'])} | {sum(v['base']) / sum(v['new']):.2f}x |")

print("\nResNet-18 width 8, batch 32, LPM training step, ms/step (15 steps, median), three alternating rounds:\n")
steps = {}
for r in (1, 2, 3):
    for line in open(f"torch-train-r{r}.txt"):
        m = re.search(r"LPM (clean|PGD-7) eager\s+: ok\s+([0-9.]+) ms/step", line)
        if m:
            steps.setdefault(m.group(1), {}).setdefault("torch", []).append(float(m.group(2)))
    for j in ("base", "new"):
        for line in open(f"{j}-train-r{r}.txt"):
            m = re.match(r"\| LPM \| (clean|PGD-7) \| ([0-9.]+) \|", line)
            if m:
                steps.setdefault(m.group(1), {}).setdefault(j, []).append(float(m.group(2)))
print("| training | PyTorch eager | ours before (6a55601) | ours after | median PyTorch / median ours after |")
print("|---|---|---|---|---|")
for mode, v in steps.items():
    print(f"| {mode} | {f(v['torch'])} | {f(v['base'])} | {f(v['new'])} | {med(v['torch']) / med(v['new']):.2f}x |")

print("\nLPM convolution layers, batch 128, ms, two rounds (PyTorch's script, then our JMH on each jar):\n")
rows = {}
for r in (1, 2):
    for line in open(f"torch-layers-lpm-r{r}.txt"):
        m = re.match(r"\[.*\]\s+\d+/\d+ (\S+)\s+lpm\s+(\w+)\s+: ok\s+([0-9.]+) ms", line)
        if m:
            rows.setdefault((m.group(1), m.group(2)), {}).setdefault("t", []).append(float(m.group(3)))
    for j in ("base", "new"):
        for b in json.load(open(f"ours-{j}-r{r}.json")):
            p = b["params"]["layer"].split(":")
            name = f"conv-tiny-{p[2]}-{p[5]}-{p[3]}" + ("s2" if p[7] == "2" else "")
            mode = "fwd" if b["benchmark"].endswith(".lpm") else "fwdbwd"
            rows.setdefault((name, mode), {}).setdefault(j, []).append(b["primaryMetric"]["score"])
print("| layer | mode | PyTorch | ours before | ours after | mean PyTorch / mean ours after |")
print("|---|---|---|---|---|---|")
for (name, mode), v in rows.items():
    t, o = v["t"], v["new"]
    print(f"| {name} | {mode} | {f(t)} | {f(v['base'])} | {f(o)} | {sum(t) / sum(o):.2f}x |")
