# Prints the tables of bench/RESULTS.md "CPU: batch norm and the parallel loops" from this
# folder's files: python3 table.py
import json, re
med = lambda xs: sorted(xs)[len(xs) // 2]
f = lambda xs: ", ".join(f"{x:.3g}" for x in xs)

print("Batch norm + ReLU (CpuBatchNormBench), us, before / after, two rounds each:\n")
print("| op | n:c:hw | before (886af73) | after | median before / median after |")
print("|---|---|---|---|---|")
bn = {}
for j in ("base", "new"):
    for r in (1, 2):
        for b in json.load(open(f"bn-{j}-r{r}.json")):
            key = (b["benchmark"].split(".")[-1], b["params"]["shape"])
            bn.setdefault(key, {}).setdefault(j, []).append(b["primaryMetric"]["score"])
for (op, shape), v in sorted(bn.items(), key=lambda kv: (kv[0][0] != "trainForward", -int(kv[0][1].split(":")[2]))):
    print(f"| {op} | {shape} | {f(v['base'])} | {f(v['new'])} | {med(v['base']) / med(v['new']):.2f}x |")

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
print("| training | PyTorch eager | ours before (886af73) | ours after | median PyTorch / median ours after |")
print("|---|---|---|---|---|")
for mode, v in steps.items():
    print(f"| {mode} | {f(v['torch'])} | {f(v['base'])} | {f(v['new'])} | {med(v['torch']) / med(v['new']):.2f}x |")

print("\nLPM layers, batch 128, ms, two rounds (PyTorch's script, then our JMH):\n")
rows = {}
for r in (1, 2):
    for line in open(f"torch-layers-lpm-r{r}.txt"):
        m = re.match(r"\[.*\]\s+\d+/\d+ (\S+)\s+lpm\s+(\w+)\s+: ok\s+([0-9.]+) ms", line)
        if m:
            rows.setdefault((m.group(1), m.group(2)), {}).setdefault("t", []).append(float(m.group(3)))
    for b in json.load(open(f"ours-lpm-r{r}.json")):
        p = b["params"]["layer"].split(":")
        name = f"dense-{p[2]}-{p[3]}" if p[0] == "dense" else f"conv-tiny-{p[2]}-{p[5]}-{p[3]}" + ("s2" if p[7] == "2" else "")
        mode = "fwd" if b["benchmark"].endswith(".lpm") else "fwdbwd"
        rows.setdefault((name, mode), {}).setdefault("o", []).append(b["primaryMetric"]["score"])
print("| layer | mode | PyTorch | ours | mean PyTorch / mean ours |")
print("|---|---|---|---|---|")
for (name, mode), v in rows.items():
    t, o = v["t"], v["o"]
    print(f"| {name} | {mode} | {f(t)} | {f(o)} | {sum(t) / sum(o):.2f}x |")
