#!/usr/bin/env bash
# Builds bundle/: everything a GPU machine with only an NVIDIA driver (no JDK, no Maven, no network)
# needs to run the GPU test suite and the GPU benchmarks:
#   bundle/runtime/     a jlink'ed Java runtime (no JDK needed there), native symbols stripped
#   bundle/lib/         the project jar (with the compiled kernels) and its runtime jars, without
#                       ND4J/JavaCPP/OpenBLAS (the cuda backend never needs them) and without
#                       JCublas natives (no cuBLAS 12 there), plus JUnit's console
#   bundle/test-classes the test suite
#   bundle/run-gpu.sh   bench/gpu/run-gpu.sh: the GPU tests and benchmarks in time-limited stages,
#                       results packed into $OUT (or ./gpu-results) as summary.txt and results.tar.gz
#   bundle/nrpm         the command line (nrpm train ... --device cuda), without --plot
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
        # ND4J, oneDNN and their natives; JCublas natives; the PNG plotting stack (no reports run there)
        nd4j-*|javacpp-*|openblas-*|dnnl-*|opencl-*|jcublas-natives-*|oshi-*|jna-*|flatbuffers-*|protobuf-1.0.0-M2.1*|guava-1.0.0-M2.1*|jackson-1.0.0-M2.1*|neoitertools-*|commons-net-*|threetenbp-*) ;;
        xchart-*|pdfbox-*|fontbox-*|graphics2d-*|VectorGraphics2D-*|animated-gif-lib-*|commons-logging-*|commons-collections4-*) ;;
        *) cp "$jar" "$out/lib/" ;;
    esac
done
cp target/bundle-extra/junit-platform-console-standalone-$junit_console.jar "$out/lib/"
cp -r target/test-classes "$out/test-classes"
rm -rf "$out/test-classes/META-INF/services"   # the emulator provider needs a g++ build the bundle lacks
mkdir -p "$out/bench" "$out/kernels"
cp bench/gpu/*.py "$out/bench/" 2>/dev/null || true
# the kernel sources (60 KB), for instructions_per_term.py --from sass with the GPU machine's own nvcc
cp kernels/*.cu kernels/*.cuh "$out/kernels/"

# what the GPU tests, the benchmark and the JUnit launcher load; not java.desktop (the report
# package's charts are never loaded there, and AWT would add 10 MB)
modules=java.base,java.logging,java.management,java.naming,java.xml,jdk.unsupported,jdk.zipfs
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
    --compress=2 --output "$out/runtime"
# the JDK's native libraries keep their symbols; the bundle has no use for them
if command -v strip >/dev/null; then
    find "$out/runtime" -name '*.so' -exec strip --strip-unneeded {} + 2>/dev/null || true
fi

cp bench/gpu/run-gpu.sh "$out/run-gpu.sh"
# the command line too (train, eval, reprogram, import; --plot needs AWT, which the runtime leaves out)
cat >"$out/nrpm" <<'NRPM'
#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/runtime/bin/java" -cp "$here/lib/*" dev.nrpm.cli.Main "$@"
NRPM
chmod +x "$out/run-gpu.sh" "$out/nrpm"

# Check the bundle here, before it travels: its smoke stage through JCuda on kernels/emu's fake
# libcuda.so.1 (the CPU emulation of the kernels standing in for a GPU). Needs g++; skipped without.
if command -v g++ >/dev/null && bash kernels/emu/build.sh target/emu >/dev/null; then
    rm -rf "$root/target/bundle-smoke"
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
