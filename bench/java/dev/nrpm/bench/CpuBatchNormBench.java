package dev.nrpm.bench;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.Buffer;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Batch norm followed by ReLU (ResNet's BN-ReLU, one op) on the CPU backend: the training forward
 * (batch statistics, running statistics updated) and its backward with every gradient (x, gamma,
 * beta), through the Backend calls BatchNormOp makes. Shapes n:c:hw are ResNet-18 width 8's
 * activations at batch 32 (TrainStepBench's model), largest first; inputs random normals.
 *
 * <pre>
 * java -cp 'target/nrpm.jar:target/lib/*' org.openjdk.jmh.Main CpuBatchNormBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx4g")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CpuBatchNormBench {
    @Param({"32:8:1024", "32:16:256", "32:32:64", "32:64:16"})
    public String shape;

    private Backend be;
    private int n;
    private int c;
    private int hw;
    private Buffer x;
    private Buffer gamma;
    private Buffer beta;
    private Buffer runMean;
    private Buffer runVar;
    private Buffer y;
    private Buffer mean;
    private Buffer invStd;
    private Buffer gy;
    private Buffer gx;
    private Buffer gGamma;
    private Buffer gBeta;

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.get("cpu");
        String[] p = shape.split(":");
        n = Integer.parseInt(p[0]);
        c = Integer.parseInt(p[1]);
        hw = Integer.parseInt(p[2]);
        SplittableRandom rnd = new SplittableRandom(7);
        x = be.upload(normals(rnd, n * c * hw, 0.5, 2));
        gy = be.upload(normals(rnd, n * c * hw, 0, 1));
        gamma = be.upload(normals(rnd, c, 1, 0.2));
        beta = be.upload(normals(rnd, c, 0, 0.2));
        runMean = be.allocate(c);
        runVar = be.upload(normals(rnd, c, 1, 0));
        y = be.allocate((long) n * c * hw);
        gx = be.allocate((long) n * c * hw);
        mean = be.allocate(c);
        invStd = be.allocate(c);
        gGamma = be.allocate(c);
        gBeta = be.allocate(c);
        trainForward();
    }

    private static float[] normals(SplittableRandom rnd, int size, double mean, double std) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            double u = Math.max(rnd.nextDouble(), 1e-12);
            v[i] = (float) (mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd.nextDouble()));
        }
        return v;
    }

    @Benchmark
    public Buffer trainForward() {
        be.batchNormTrain(n, c, hw, x, gamma, beta, runMean, runVar, 0.1f, 1e-5f, y, mean, invStd, true);
        return y;
    }

    @Benchmark
    public Buffer trainBackward() {
        be.batchNormBackward(n, c, hw, x, gamma, mean, invStd, true, gy, y, gx, false, gGamma, gBeta);
        return gx;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Buffer b : new Buffer[] {x, gamma, beta, runMean, runVar, y, mean, invStd, gy, gx, gGamma, gBeta}) {
            b.close();
        }
    }
}
