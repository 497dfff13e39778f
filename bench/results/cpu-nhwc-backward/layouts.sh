#!/usr/bin/env bash
# The per-layout table behind DnnlConv's backward layout rule (DnnlLayouts), on this CPU's best ISA
# and capped at AVX2, into layouts-<isa>.txt here.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=bench/results/cpu-nhwc-backward
export OMP_NUM_THREADS=2
shapes="3:32:8:1:3:1 8:32:8:1:3:1 8:32:16:2:3:1 8:32:16:2:1:0 16:16:32:2:3:1 16:16:16:1:3:1 32:8:64:2:3:1 64:4:64:1:3:1 1:28:10:1:5:0 6:12:16:1:5:0 10:12:20:1:5:0 64:32:64:1:3:1"
java -cp "target/nrpm.jar:target/lib/*" dev.nrpm.bench.DnnlLayouts $shapes 2>/dev/null > $out/layouts-best.txt
DNNL_MAX_CPU_ISA=AVX2 java -cp "target/nrpm.jar:target/lib/*" dev.nrpm.bench.DnnlLayouts $shapes 2>/dev/null > $out/layouts-avx2.txt
