package dev.nrpm.bench;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.cpu.CpuBackend;
import dev.nrpm.backend.ConvGeometry;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.backend.cpu.MaterializedNrpm;
import dev.nrpm.ops.Ops;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * NRPM on the CPU backend, one layer at a time, batch 256: the fused kernels against LPM (the
 * plain matrix product or convolution) and against the materialized formulation in ND4J array
 * operations, forward; and fused forward+backward against LPM forward+backward.
 * Layers: the paper's MNIST MLP (784-256, 256-64, 64-10) and LeNet's two convolutions.
 * Inputs are dense random normals (no zero inputs, the fused kernels' worst case).
 *
 * <pre>
 * ./mvnw -q package -DskipTests
 * java -cp target/nrpm.jar org.openjdk.jmh.Main CpuNrpmBench -rf json -rff bench/cpu-results.json
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxbytes=14G",
    "-Dorg.bytedeco.javacpp.maxphysicalbytes=20G"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CpuNrpmBench {
    /**
     * dense:B:D:O or conv:B:C:H:W:O:k[:stride:pad] (square kernel; stride 1 and no padding when
     * left out). bench/gpu/torch_nrpm.py's ResNet-18 shapes at batch 128: conv:128:8:32:32:16:3:2:1 is
     * its conv-tiny-8-16-32s2.
     */
    @Param({"dense:256:784:256", "dense:256:256:64", "dense:256:64:10", "conv:256:1:28:28:10:5", "conv:256:10:12:12:20:5"})
    public String layer;

    @Param({"1", "3"})
    public int k;

    /**
     * The LPM convolution path (and NRPM's z0): auto = the cpu backend's (oneDNN where its build
     * loaded), own = im2col + OpenBLAS and FewChannelConv. -p convPath=auto,own compares them.
     */
    @Param({"auto"})
    public String convPath;

    private Backend cpu;
    private NrpmSpec spec;
    private boolean conv;
    private ConvGeometry geometry;
    private int batch;
    private int in;
    private int out;
    private float[] xv;
    private float[] wv;
    private float[] bv;
    private Tensor x;
    private Tensor w;
    private Tensor b;
    private Tensor lambda;

    @Setup(Level.Trial)
    public void setUp() {
        cpu = switch (convPath) {
            case "auto" -> Backends.get("cpu");
            case "own" -> CpuBackend.withOwnConvolutions("cpu-own");
            default -> throw new IllegalArgumentException("convPath: auto or own, got " + convPath);
        };
        spec = NrpmSpec.l1(k, 1e-3f);
        String[] p = layer.split(":");
        conv = p[0].equals("conv");
        SplittableRandom rnd = new SplittableRandom(42);
        if (conv) {
            int stride = p.length > 7 ? Integer.parseInt(p[7]) : 1;
            int pad = p.length > 8 ? Integer.parseInt(p[8]) : 0;
            geometry = ConvGeometry.square(Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]),
                    Integer.parseInt(p[4]), Integer.parseInt(p[5]), Integer.parseInt(p[6]), stride, pad);
            xv = normal(rnd, (int) geometry.inputSize(), 1);
            wv = normal(rnd, (int) geometry.weightSize(), 1 / Math.sqrt(geometry.patchSize()));
            bv = normal(rnd, geometry.outC(), 0.1);
            x = Tensor.of(cpu, xv, geometry.batch(), geometry.inC(), geometry.inH(), geometry.inW());
            w = Tensor.of(cpu, wv, geometry.outC(), geometry.inC(), geometry.kH(), geometry.kW());
            b = Tensor.of(cpu, bv, geometry.outC());
        } else {
            batch = Integer.parseInt(p[1]);
            in = Integer.parseInt(p[2]);
            out = Integer.parseInt(p[3]);
            xv = normal(rnd, batch * in, 1);
            wv = normal(rnd, out * in, 1 / Math.sqrt(in));
            bv = normal(rnd, out, 0.1);
            x = Tensor.of(cpu, xv, batch, in);
            w = Tensor.of(cpu, wv, out, in);
            b = Tensor.of(cpu, bv, out);
        }
        lambda = Tensor.scalar(cpu, 0.5f);
        validate();
    }

    private static float[] normal(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 2 * scale);
        }
        return v;
    }

    /** Fused and materialized must agree before either is timed. */
    private void validate() {
        float[] fused;
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            fused = fusedOutput().toFloatArray();
        }
        float[] materialized = nrpmMaterialized();
        double num = 0;
        double den = 0;
        for (int i = 0; i < fused.length; i++) {
            num += (fused[i] - materialized[i]) * (double) (fused[i] - materialized[i]);
            den += materialized[i] * (double) materialized[i];
        }
        double err = Math.sqrt(num / den);
        if (!(err < 1e-4)) {
            throw new IllegalStateException("fused and materialized NRPM disagree on " + layer + ": relative error " + err);
        }
    }

    @Benchmark
    public Tensor lpm() {
        // the result itself, not a copy of it (as PyTorch's script returns its tensor)
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            return conv ? Ops.conv2d(x, w, b, stride(), pad()) : Ops.dense(x, w, b);
        }
    }

    @Benchmark
    public Tensor nrpmFused() {
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            return fusedOutput();
        }
    }

    private Tensor fusedOutput() {
        return conv ? Ops.nrpmConv2d(spec, x, w, b, lambda, stride(), pad()) : Ops.nrpmDense(spec, x, w, b, lambda);
    }

    @Benchmark
    public float[] nrpmMaterialized() {
        return conv ? MaterializedNrpm.conv(spec, geometry, xv, wv, 0.5f, bv)
                : MaterializedNrpm.dense(spec, batch, in, out, xv, wv, 0.5f, bv);
    }

    /** Forward and backward with gradients for x, W and b, and for NRPM lambda (as torch_nrpm.py). */
    @Benchmark
    public void lpmForwardBackward(Blackhole bh) {
        forwardBackward(false, bh);
    }

    @Benchmark
    public void nrpmFusedForwardBackward(Blackhole bh) {
        forwardBackward(true, bh);
    }

    private int stride() {
        return geometry.strideH();
    }

    private int pad() {
        return geometry.padH();
    }

    /** The gradients go to the Blackhole as they are, not copied out. */
    private void forwardBackward(boolean robust, Blackhole bh) {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor xs = x.detach().requiresGrad(true);
            Tensor ws = w.detach().requiresGrad(true);
            Tensor bs = b.detach().requiresGrad(true);
            Tensor lam = lambda.detach().requiresGrad(robust);
            Tensor y;
            if (conv) {
                y = robust ? Ops.nrpmConv2d(spec, xs, ws, bs, lam, stride(), pad()) : Ops.conv2d(xs, ws, bs, stride(), pad());
            } else {
                y = robust ? Ops.nrpmDense(spec, xs, ws, bs, lam) : Ops.dense(xs, ws, bs);
            }
            Ops.sum(y).backward();
            bh.consume(xs.grad());
            bh.consume(ws.grad());
            if (robust) {
                bh.consume(lam.grad());
                lam.releaseGrad();
            }
            xs.releaseGrad();
            ws.releaseGrad();
            bs.releaseGrad();
        }
    }
}
