# Prints the layer table of bench/RESULTS.md from this folder's files: python3 table.py
import json, re, glob
rows = {}
for r in (1, 2, 3):
    for line in open(f'torch-layers-lpm-r{r}.txt'):
        m = re.match(r'\[.*\]\s+\d+/\d+ (\S+)\s+lpm\s+(\w+)\s+: ok\s+([0-9.]+) ms', line)
        if m:
            rows.setdefault((m.group(1), m.group(2)), {}).setdefault('t', []).append(float(m.group(3)))
    for b in json.load(open(f'ours-lpm-r{r}.json')):
        p = b['params']['layer'].split(':')
        name = f"dense-{p[2]}-{p[3]}" if p[0] == 'dense' else f"conv-tiny-{p[2]}-{p[5]}-{p[3]}" + ("s2" if p[7] == '2' else "")
        mode = 'fwd' if b['benchmark'].endswith('.lpm') else 'fwdbwd'
        rows.setdefault((name, mode), {}).setdefault('o', []).append(b['primaryMetric']['score'])
med = lambda xs: sorted(xs)[len(xs) // 2]
f = lambda xs: ", ".join(f"{x:.3g}" for x in xs)
print("| layer | mode | PyTorch (3 runs) | ours (3 runs) | median PyTorch / median ours |")
print("|---|---|---|---|---|")
for (name, mode), v in rows.items():
    t, o = v['t'], v['o']
    print(f"| {name} | {mode} | {f(t)} | {f(o)} | {med(t) / med(o):.2f}x |")
