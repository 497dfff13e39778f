#!/usr/bin/env bash
# Builds bundle/: everything a GPU machine with only an NVIDIA driver (no JDK, no Maven, no network)
# needs to run the GPU test suite and the GPU benchmarks:
#   bundle/runtime/     a jlink'ed Java runtime (no JDK needed there), native symbols stripped
#   bundle/lib/         the project jar (with the compiled kernels) and its runtime jars, without
#                       ND4J/JavaCPP/OpenBLAS (the cuda backend never needs them) and without
#                       JCublas natives (no cuBLAS 12 there), plus JUnit's console
#   bundle/test-classes the test suite
#   bundle/run-gpu.sh   runs the GPU tests, then the GPU benchmark, writing into $OUT (or ./gpu-results)
# usage (from the repository root): bench/gpu/bundle.sh        -> bundle/ (about 40-60 MB)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
JAVA_HOME="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
out="$root/bundle"
junit_console=1.10.3

./mvnw -q -B package -DskipTests -Dnrpm.skipEmulator=true
if [ ! -s target/classes/kernels/index.txt ]; then
    echo "bundle: no compiled kernels in target/classes/kernels (nvcc missing?): a GPU bundle would be useless" >&2
    exit 1
fi
./mvnw -q -B dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$junit_console \
    -DoutputDirectory=target/bundle-extra

rm -rf "$out"
mkdir -p "$out/lib"
cp target/nrpm.jar "$out/lib/"
for jar in target/lib/*.jar; do
    case "$(basename "$jar")" in
        # ND4J and its natives; JCublas natives; the PNG plotting stack (no reports run there)
        nd4j-*|javacpp-*|openblas-*|jcublas-natives-*|oshi-*|jna-*|flatbuffers-*|protobuf-1.0.0-M2.1*|guava-1.0.0-M2.1*|jackson-1.0.0-M2.1*|neoitertools-*|commons-net-*|threetenbp-*) ;;
        xchart-*|pdfbox-*|fontbox-*|graphics2d-*|VectorGraphics2D-*|animated-gif-lib-*|commons-logging-*|commons-collections4-*) ;;
        *) cp "$jar" "$out/lib/" ;;
    esac
done
cp target/bundle-extra/junit-platform-console-standalone-$junit_console.jar "$out/lib/"
cp -r target/test-classes "$out/test-classes"
rm -rf "$out/test-classes/META-INF/services"   # the emulator provider needs a g++ build the bundle lacks
mkdir -p "$out/bench"
cp bench/gpu/*.py "$out/bench/" 2>/dev/null || true

# what the GPU tests, the benchmark and the JUnit launcher load; not java.desktop (the report
# package's charts are never loaded there, and AWT would add 10 MB)
modules=java.base,java.logging,java.management,java.naming,java.xml,jdk.unsupported,jdk.zipfs
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$out/runtime"
# the JDK's native libraries keep their symbols; the bundle has no use for them
if command -v strip >/dev/null; then
    find "$out/runtime" -name '*.so' -exec strip --strip-unneeded {} + 2>/dev/null || true
fi

cat > "$out/run-gpu.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the GPU checks and benchmarks from this bundle, each stage under a time limit so the whole
# fits a short lease (about 12 minutes on an H200). Results go to $OUT (or ./gpu-results).
#   usage: run-gpu.sh [smoke] [tests] [layers] [train] [torch]   (default: all five, in this order)
#   smoke   seconds: every Java entry point on tiny shapes, so a broken bundle fails before the long stages
#   tests   GPU conformance + cross-backend training tests   -> tests.txt, junit/
#   layers  GpuNrpmBench: NRPM vs LPM per layer on our kernels -> ours.json, ours.txt
#   train   TrainStepBench: ResNet-18 steps, tiny and full width -> train-w8.txt, train-w64.txt
#   torch   the PyTorch baselines, where python3 has torch    -> torch.json, torch-train.json
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
res="${OUT:-$PWD/gpu-results}"
mkdir -p "$res/junit"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(smoke tests layers train torch)
# JCuda unpacks its natives into java.io.tmpdir without locking: one private folder per run
tmp="$(mktemp -d)"
java=("$here/runtime/bin/java" -Xmx8g "-Djava.io.tmpdir=$tmp" -Djava.awt.headless=true)
cp="$here/lib/*"
failed=0
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$res/gpu.txt" || true
for stage in "${stages[@]}"; do
    echo "=== $stage ($(date -u +%H:%M:%S))"
    case "$stage" in
        smoke)
            timeout 120 "${java[@]}" -cp "$cp" dev.nrpm.bench.GpuNrpmBench --batch 2 --k 1,3 --shapes small --repeat 1 \
                2>&1 | tee "$res/smoke.txt"
            [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
            timeout 120 "${java[@]}" -cp "$cp" dev.nrpm.bench.TrainStepBench --device cuda --width 2 --batch 2 --steps 1 \
                --k 1 2>&1 | tee -a "$res/smoke.txt"
            [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1 ;;
        tests)
            timeout 300 "${java[@]}" -cp "$cp:$here/test-classes" org.junit.platform.console.ConsoleLauncher execute \
                --disable-banner --details=summary --reports-dir="$res/junit" \
                --select-class dev.nrpm.backend.BackendConformanceTest \
                --select-class dev.nrpm.ops.NrpmConformanceTest \
                --select-class dev.nrpm.train.CrossBackendTrainingTest 2>&1 | tee "$res/tests.txt"
            [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1 ;;
        layers)
            timeout 200 "${java[@]}" -cp "$cp" dev.nrpm.bench.GpuNrpmBench --json "$res/ours.json" 2>&1 | tee "$res/ours.txt"
            [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1 ;;
        train)
            for w in 8 64; do
                timeout 150 "${java[@]}" -cp "$cp" dev.nrpm.bench.TrainStepBench --device cuda --width $w --batch 128 \
                    --steps 3 2>&1 | tee "$res/train-w$w.txt"
                [ "${PIPESTATUS[0]}" -eq 0 ] || failed=1
            done ;;
        torch)
            if python3 -c 'import torch' 2>/dev/null; then
                PYTHONUNBUFFERED=1 timeout 200 python3 "$here/bench/torch_nrpm.py" --budget-s 150 \
                    --json "$res/torch.json" 2>&1 | tee "$res/torch.txt"
                if [ -f "$here/bench/torch_train_step.py" ]; then
                    PYTHONUNBUFFERED=1 timeout 200 python3 "$here/bench/torch_train_step.py" --budget-s 150 \
                        --json "$res/torch-train.json" 2>&1 | tee "$res/torch-train.txt"
                fi
            else
                echo "no PyTorch here: torch stage skipped"
            fi ;;
        *) echo "unknown stage $stage (smoke, tests, layers, train, torch)"; failed=1 ;;
    esac
done
rm -rf "$tmp"
echo "done ($(date -u +%H:%M:%S)); results in $res"
exit $failed
RUN
chmod +x "$out/run-gpu.sh"

# Check the bundle here, before it travels: its smoke stage through JCuda on kernels/emu's fake
# libcuda.so.1 (the CPU emulation of the kernels standing in for a GPU). Needs g++; skipped without.
if command -v g++ >/dev/null && bash kernels/emu/build.sh target/emu >/dev/null; then
    if ! LD_PRELOAD="$root/target/emu/fakecuda/libcuda.so.1" OUT="$root/target/bundle-smoke" \
            "$out/run-gpu.sh" smoke >"$root/target/bundle-smoke.log" 2>&1; then
        tail -30 "$root/target/bundle-smoke.log" >&2
        echo "bundle: the smoke stage failed on the fake driver (log: target/bundle-smoke.log)" >&2
        exit 1
    fi
    echo "bundle: smoke stage passed here on the fake driver (target/bundle-smoke.log)"
else
    echo "bundle: no g++ here, so the bundle was not smoke-tested before shipping"
fi
echo "bundle: $(du -sh "$out" | cut -f1) in $out; run it there with: bundle/run-gpu.sh"
