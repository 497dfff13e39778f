package dev.nrpm.bench;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
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

/**
 * NRPM against LPM on the cuda backend, under JMH: wall-clock time per call, each call ending in a
 * device synchronization, so JCuda's launch cost and the host work between launches count (the
 * CUDA-event times of {@link GpuNrpmBench} leave them out). The layers are GpuNrpmBench's cases,
 * named by the start of their name; each trial first checks its NRPM forward against the float64
 * reference. From a GPU bundle:
 *
 * <pre>
 * bundle/nrpm bench --include GpuNrpmJmh --param layer=full.layer1,mlp.fc1 --param k=1 --json out.json
 * </pre>
 *
 * -Dnrpm.bench.device picks another backend (cpu runs the same code on the CPU).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx8g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GpuNrpmJmh {
    @Param({"mlp.fc1", "tiny.layer1", "full.layer1", "full.layer3"})
    public String layer;

    @Param({"1", "3"})
    public int k;

    @Param({"128"})
    public int batch;

    private GpuLayer l;

    @Setup(Level.Trial)
    public void setUp() {
        Backend be = Backends.get(System.getProperty("nrpm.bench.device", "cuda"));
        l = new GpuLayer(be, GpuLayer.find(layer), batch, k);
        l.validate();
    }

    @Benchmark
    public void lpm() {
        l.forward(false);
    }

    @Benchmark
    public void nrpm() {
        l.forward(true);
    }

    @Benchmark
    public void lpmForwardBackward() {
        l.forwardBackward(false);
    }

    @Benchmark
    public void nrpmForwardBackward() {
        l.forwardBackward(true);
    }
}
