package dev.nrpm.bench;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.backend.cuda.CudaBackend;
import dev.nrpm.backend.cuda.Device;
import dev.nrpm.bench.GpuLayer.Case;
import dev.nrpm.io.AtomicFile;
import dev.nrpm.report.ReportException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * NRPM against LPM on our CUDA kernels, one layer at a time, batch 128 by default: forward and
 * forward+backward (gradients for x, W, b and lambda), K in {1, 3}, on the MLP's dense layers and
 * ResNet-18's conv layers at tiny (8..64) and full (64..512) widths. The same cases as
 * bench/gpu/torch_nrpm.py, so the two JSON files line up in bench/RESULTS.md.
 *
 * <p>Validates first: the GPU forward of the first rows against the float64 reference backend
 * ({@link GpuLayer}). Times each operation with CUDA events around it, after warm-up, as the
 * median of repeated runs (wall-clock times, launch overhead included, come from the JMH
 * benchmark {@link GpuNrpmJmh}). Reports
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
        for (Case c : GpuLayer.CASES) {
            if (!selected(c, shapes)) {
                continue;
            }
            for (int k : ks) {
                Result r = run(gpu, c, batch, k, repeat);
                double rate = k * c.terms(batch) / (r.nrpmFwd / 1e3);
                System.out.printf(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.2f | %.3g | %.1f%% | %s |%n",
                        c.name(), k, r.lpmFwd, r.nrpmFwd, r.nrpmFwd / r.lpmFwd, r.lpmFb, r.nrpmFb, r.nrpmFb / r.lpmFb,
                        rate, 100 * rate / RECIPROCAL_BOUND, r.peak.describe(1));
                out.append(first ? "" : ",\n").append(String.format(Locale.ROOT,
                        "  {\"layer\": \"%s\", \"kind\": \"%s\", \"in\": %d, \"out\": %d, \"size\": %d, \"kernel\": %d,"
                                + " \"stride\": %d, \"k\": %d, \"terms\": %.0f, \"lpm_fwd_ms\": %.5f, \"nrpm_fwd_ms\": %.5f,"
                                + " \"lpm_fb_ms\": %.5f, \"nrpm_fb_ms\": %.5f, \"reweight_terms_per_s\": %.4g,"
                                + " \"fraction_of_bound\": %.4f, \"peak_bytes_fb\": %d, \"held_bytes_fb\": %d,"
                                + " \"max_rel_err\": %.3g}",
                        c.name(), c.conv() ? "conv" : "dense", c.in(), c.out(), c.size(), c.kernel(), c.stride(), k,
                        c.terms(batch), r.lpmFwd, r.nrpmFwd, r.lpmFb, r.nrpmFb, rate,
                        rate / RECIPROCAL_BOUND, r.peak.allocated(), r.peak.held(), r.error));
                first = false;
                if (json != null) {   // after every case, whole: a run cut short keeps what it measured
                    AtomicFile.writeString(json, head + out + "\n]}\n", ReportException.WRITING);
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
            return !c.name().startsWith("full.");
        }
        return c.name().contains(shapes);
    }

    record Result(double lpmFwd, double nrpmFwd, double lpmFb, double nrpmFb, DevicePeak.Peaks peak, double error) {
    }

    /** One case, its tensors released at the end (so the next case's peak does not count them). */
    private static Result run(Backend gpu, Case c, int batch, int k, int repeat) {
        try (MemoryScope scope = MemoryScope.open()) {
            GpuLayer layer = new GpuLayer(gpu, c, batch, k);
            double error = layer.validate();
            double lpmFwd = time(gpu, () -> layer.forward(false), repeat);
            double nrpmFwd = time(gpu, () -> layer.forward(true), repeat);
            double lpmFb = time(gpu, () -> layer.forwardBackward(false), repeat);
            // peak of the NRPM forward+backward, the layer's inputs and weights included (as torch_nrpm.py)
            DevicePeak peak = new DevicePeak(gpu);
            peak.reset();
            double nrpmFb = time(gpu, () -> layer.forwardBackward(true), repeat);
            return new Result(lpmFwd, nrpmFwd, lpmFb, nrpmFb, peak.read(), error);
        }
    }

    /**
     * Median milliseconds of repeat runs after three warm-up runs, each timed on the device's own
     * timeline (CUDA events around it on a GPU).
     */
    private static double time(Backend gpu, Runnable op, int repeat) {
        Device device = gpu instanceof CudaBackend ? ((CudaBackend) gpu).device() : null;
        for (int i = 0; i < 3; i++) {
            op.run();
        }
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            if (device != null) {
                ms.add((double) device.timeMillis(op));
            } else {
                long t0 = System.nanoTime();
                op.run();
                ms.add((System.nanoTime() - t0) / 1e6);
            }
        }
        ms.sort(Double::compare);
        return ms.get(ms.size() / 2);
    }
}
