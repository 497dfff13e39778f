package dev.nrpm.bench;

import dev.nrpm.autograd.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.backend.cuda.CudaBackend;
import dev.nrpm.ops.F;
import dev.nrpm.pm.NrpmSpec;
import dev.nrpm.report.AtomicFile;
import dev.nrpm.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * NRPM against LPM on our CUDA kernels, one layer at a time, batch 128 by default: forward and
 * forward+backward (gradients for x, W, b and lambda), K in {1, 3}, on the MLP's dense layers and
 * ResNet-18's conv layers at tiny (8..64) and full (64..512) widths. The same cases as
 * bench/gpu/torch_nrpm.py, so the two JSON files line up in bench/RESULTS.md.
 *
 * <p>Validates first: the GPU forward of the first rows against the float64 reference backend.
 * Times each operation synchronized, after warm-up, as the median of repeated runs. Reports
 * reweighting terms per second (K * B*O*D*L / forward time; only those K passes need a reciprocal
 * per term) against the H200's reciprocal bound from NRPM.md, NRPM/LPM ratios, and peak device
 * memory of a forward+backward.
 *
 * <pre>
 * java -cp 'lib/*' dev.nrpm.bench.GpuNrpmBench [--batch 128] [--k 1,3] [--shapes all|small|NAME]
 *      [--repeat 20] [--json FILE]
 * </pre>
 */
public final class GpuNrpmBench {
    /** H200: 132 SMs x 16 reciprocals per clock x 1.98 GHz (NRPM.md section 5). */
    static final double RECIPROCAL_BOUND = 4.2e12;

    record Case(String name, boolean conv, int in, int out, int size, int kernel, int stride, int pad) {
        static Case dense(String name, int in, int out) {
            return new Case(name, false, in, out, 1, 1, 1, 0);
        }

        static Case conv(String name, int in, int out, int size, int kernel, int stride, int pad) {
            return new Case(name, true, in, out, size, kernel, stride, pad);
        }

        int outSize() {
            return conv ? (size + 2 * pad - kernel) / stride + 1 : 1;
        }

        /** B * O * D * L: the terms one pass visits. */
        double terms(int batch) {
            double d = (double) in * kernel * kernel;
            return (double) batch * out * d * outSize() * outSize();
        }
    }

    static final List<Case> CASES = List.of(
            Case.dense("mlp.fc1 784->256", 784, 256),
            Case.dense("mlp.fc2 256->64", 256, 64),
            Case.dense("mlp.fc3 64->10", 64, 10),
            Case.conv("tiny.conv1 3->8 32x32", 3, 8, 32, 3, 1, 1),
            Case.conv("tiny.layer1 8->8 32x32", 8, 8, 32, 3, 1, 1),
            Case.conv("tiny.layer2 8->16 s2", 8, 16, 32, 3, 2, 1),
            Case.conv("tiny.layer3 16->32 s2", 16, 32, 16, 3, 2, 1),
            Case.conv("tiny.layer4 32->64 s2", 32, 64, 8, 3, 2, 1),
            Case.conv("full.conv1 3->64 32x32", 3, 64, 32, 3, 1, 1),
            Case.conv("full.layer1 64->64 32x32", 64, 64, 32, 3, 1, 1),
            Case.conv("full.layer2 128->128 16x16", 128, 128, 16, 3, 1, 1),
            Case.conv("full.layer3 256->256 8x8", 256, 256, 8, 3, 1, 1),
            Case.conv("full.layer4 512->512 4x4", 512, 512, 4, 3, 1, 1),
            Case.conv("full.shortcut 64->128 1x1 s2", 64, 128, 32, 1, 2, 0));

    private GpuNrpmBench() {
    }

    public static void main(String[] args) {
        int batch = 128;
        int[] ks = {1, 3};
        String shapes = "all";
        int repeat = 20;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--k": ks = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray(); break;
                case "--shapes": shapes = args[++i]; break;
                case "--repeat": repeat = Integer.parseInt(args[++i]); break;
                case "--json": json = Path.of(args[++i]); break;
                default:
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
            }
        }
        Backend gpu;
        try {
            gpu = Backends.get(System.getProperty("nrpm.bench.device", "cuda"));
        } catch (dev.nrpm.error.BackendException e) {
            System.err.println("GpuNrpmBench: " + e.getMessage());
            System.exit(2);
            return;
        }
        String device = gpu instanceof CudaBackend ? ((CudaBackend) gpu).device().describe() : gpu.name();
        System.out.println("device: " + device + ", batch " + batch);
        System.out.println("| layer | K | LPM fwd ms | NRPM fwd ms | ratio | LPM f+b ms | NRPM f+b ms | ratio"
                + " | reweight terms/s | of bound | NRPM f+b peak MiB allocated / held |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        String head = "{\"device\": \"" + device + "\", \"batch\": " + batch
                + ", \"reciprocal_bound\": " + RECIPROCAL_BOUND + ", \"cases\": [\n";
        StringBuilder out = new StringBuilder();
        boolean first = true;
        for (Case c : CASES) {
            if (!selected(c, shapes)) {
                continue;
            }
            for (int k : ks) {
                Result r = run(gpu, c, batch, k, repeat);
                double rate = k * c.terms(batch) / (r.nrpmFwd / 1e3);
                System.out.printf(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.3g | %.1f%% | %s |%n",
                        c.name, k, r.lpmFwd, r.nrpmFwd, r.nrpmFwd / r.lpmFwd, r.lpmFb, r.nrpmFb, r.nrpmFb / r.lpmFb,
                        rate, 100 * rate / RECIPROCAL_BOUND, r.peak.describe(1));
                out.append(first ? "" : ",\n").append(String.format(Locale.ROOT,
                        "  {\"layer\": \"%s\", \"k\": %d, \"terms\": %.0f, \"lpm_fwd_ms\": %.5f, \"nrpm_fwd_ms\": %.5f,"
                                + " \"lpm_fb_ms\": %.5f, \"nrpm_fb_ms\": %.5f, \"reweight_terms_per_s\": %.4g,"
                                + " \"fraction_of_bound\": %.4f, \"peak_bytes_fb\": %d, \"held_bytes_fb\": %d,"
                                + " \"max_rel_err\": %.3g}",
                        c.name, k, c.terms(batch), r.lpmFwd, r.nrpmFwd, r.lpmFb, r.nrpmFb, rate,
                        rate / RECIPROCAL_BOUND, r.peak.allocated(), r.peak.held(), r.error));
                first = false;
                if (json != null) {   // after every case, whole: a run cut short keeps what it measured
                    AtomicFile.writeString(json, head + out + "\n]}\n");
                }
            }
        }
        if (json != null) {
            System.out.println("wrote " + json);
        }
    }

    private static boolean selected(Case c, String shapes) {
        if (shapes.equals("all")) {
            return true;
        }
        if (shapes.equals("small")) {
            return !c.name.startsWith("full.");
        }
        return c.name.contains(shapes);
    }

    record Result(double lpmFwd, double nrpmFwd, double lpmFb, double nrpmFb, DevicePeak.Peaks peak, double error) {
    }

    private static final class Layer {
        final Case c;
        final NrpmSpec spec;
        final Tensor x;
        final Tensor w;
        final Tensor b;
        final Tensor lambda;

        Layer(Backend be, Case c, int batch, int k, float[] xv, float[] wv, float[] bv) {
            this.c = c;
            this.spec = NrpmSpec.l1(k, 1e-3f);
            int kk = c.kernel;
            x = c.conv ? Tensor.of(be, xv, batch, c.in, c.size, c.size) : Tensor.of(be, xv, batch, c.in);
            w = c.conv ? Tensor.of(be, wv, c.out, c.in, kk, kk) : Tensor.of(be, wv, c.out, c.in);
            b = Tensor.of(be, bv, c.out);
            lambda = Tensor.scalar(be, 0.5f);
        }

        Tensor apply(boolean robust, Tensor xs, Tensor ws, Tensor bs, Tensor ls) {
            if (c.conv) {
                return robust ? F.nrpmConv2d(spec, xs, ws, bs, ls, c.stride, c.pad) : F.conv2d(xs, ws, bs, c.stride, c.pad);
            }
            return robust ? F.nrpmLinear(spec, xs, ws, bs, ls) : F.linear(xs, ws, bs);
        }

        void forward(boolean robust) {
            try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
                apply(robust, x, w, b, lambda);
                x.backend().synchronize();
            }
        }

        void forwardBackward(boolean robust) {
            try (MemoryScope s = MemoryScope.open()) {
                Tensor xs = x.detach().requiresGrad(true);
                Tensor ws = w.detach().requiresGrad(true);
                Tensor bs = b.detach().requiresGrad(true);
                Tensor ls = lambda.detach().requiresGrad(true);
                F.sum(apply(robust, xs, ws, bs, ls)).backward();
                x.backend().synchronize();
                for (Tensor t : new Tensor[] {xs, ws, bs, ls}) {
                    t.releaseGrad();
                }
            }
        }
    }

    /** One case, its tensors released at the end (so the next case's peak does not count them). */
    private static Result run(Backend gpu, Case c, int batch, int k, int repeat) {
        try (MemoryScope scope = MemoryScope.open()) {
            return runInScope(gpu, c, batch, k, repeat);
        }
    }

    private static Result runInScope(Backend gpu, Case c, int batch, int k, int repeat) {
        SplittableRandom rnd = new SplittableRandom(42);
        int d = c.in * c.kernel * c.kernel;
        float[] xv = normal(rnd, batch * c.in * c.size * c.size, 1);
        float[] wv = normal(rnd, c.out * d, 1 / Math.sqrt(d));
        float[] bv = normal(rnd, c.out, 0.1);
        Layer layer = new Layer(gpu, c, batch, k, xv, wv, bv);
        double error = validate(gpu, layer, c, k, xv, wv, bv);
        double lpmFwd = time(() -> layer.forward(false), repeat);
        double nrpmFwd = time(() -> layer.forward(true), repeat);
        double lpmFb = time(() -> layer.forwardBackward(false), repeat);
        // peak of the NRPM forward+backward, the layer's inputs and weights included (as torch_nrpm.py)
        DevicePeak peak = new DevicePeak(gpu);
        peak.reset();
        double nrpmFb = time(() -> layer.forwardBackward(true), repeat);
        return new Result(lpmFwd, nrpmFwd, lpmFb, nrpmFb, peak.read(), error);
    }

    /** The first two samples of the GPU forward against the float64 reference on those samples. */
    private static double validate(Backend gpu, Layer layer, Case c, int k, float[] xv, float[] wv, float[] bv) {
        int rows = 2;
        float[] got;
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            got = layer.apply(true, layer.x, layer.w, layer.b, layer.lambda).toFloatArray();
        }
        Backend ref = Backends.get("reference");
        int per = c.in * c.size * c.size;
        Layer small = new Layer(ref, c, rows, k, Arrays.copyOf(xv, rows * per), wv, bv);
        double[] want;
        try (MemoryScope s = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            want = small.apply(true, small.x, small.w, small.b, small.lambda).toDoubleArray();
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        double err = Math.sqrt(num / Math.max(den, 1e-30));
        if (!(err < 1e-4)) {
            throw new IllegalStateException(c.name + " K=" + k + ": GPU NRPM disagrees with the float64 reference,"
                    + " relative error " + err);
        }
        return err;
    }

    /** Median milliseconds of repeat synchronized runs after three warm-up runs. */
    private static double time(Runnable op, int repeat) {
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            long t0 = System.nanoTime();
            op.run();
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        ms.sort(Double::compare);
        return ms.get(ms.size() / 2);
    }

    private static float[] normal(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5) * 2 * scale);
        }
        return v;
    }
}
