package dev.nrpm.bench;

import dev.nrpm.attack.PgdLinf;
import dev.nrpm.backend.cuda.AllocationOnlyDevice;
import dev.nrpm.backend.cuda.CachingDevice;
import dev.nrpm.backend.cuda.CudaBackend;
import dev.nrpm.data.BatchLoader;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.optim.Sgd;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.train.AdversarialSetting;
import dev.nrpm.train.TrainConfig;
import dev.nrpm.train.Trainer;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one training step of ResNet-18 asks of a GPU on the CUDA backend, measured without one:
 * the backend's own code runs unchanged (every allocation, every scope release, the same saved
 * state and gradients) on a device that records allocations and launches and skips the kernels.
 * Reports peak device memory (what CudaBackend asks the driver for; the driver's own context, a
 * few hundred MiB, comes on top on a real GPU), kernel launches per step, and the host's time per
 * step with the kernels skipped: the step can be no faster than that on any GPU, before JCuda's
 * per-launch cost (measured on a GPU). Also prints what the materialized formulation's terms
 * tensor alone would take for the largest layer.
 *
 * <pre>
 * java -cp 'target/nrpm.jar:target/lib/*' dev.nrpm.bench.GpuMemoryPlan [--width 64] [--batch 128] [--k 1] [--by-kernel]
 * </pre>
 *
 * <p>{@code --by-kernel} adds, for each configuration, one step's launches by kernel name: what to
 * fuse next when tiny models are launch-bound.
 */
public final class GpuMemoryPlan {
    private GpuMemoryPlan() {
    }

    public static void main(String[] args) {
        int width = 64;
        int batch = 128;
        int k = 1;
        boolean byKernel = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--width": width = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--k": k = Integer.parseInt(args[++i]); break;
                case "--by-kernel": byKernel = true; break;
                default:
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
            }
        }
        ImageDataset data = Datasets.open("synth-cifar", Split.TRAIN, DataOptions.defaults().withSynthSize(batch));
        System.out.printf(Locale.ROOT, "ResNet-18 width %d, batch %d, one training step (SGD momentum), peak device memory:%n",
                width, batch);
        System.out.println("| layers | training | peak MiB needed | peak MiB held with the caching allocator"
                + " | parameters, gradients, momentum MiB | launches and memsets per step | host syncs per step"
                + " | host ms per step, kernels skipped |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        java.util.Map<String, Map<String, Long>> breakdowns = new java.util.LinkedHashMap<>();
        for (boolean nrpm : new boolean[] {false, true}) {
            for (boolean adversarial : new boolean[] {false, true}) {
                Plan exact = step(data, width, batch, k, nrpm, adversarial, false);
                Plan held = step(data, width, batch, k, nrpm, adversarial, true);
                System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f | %.0f | %d | %d | %.1f |%n",
                        nrpm ? "NRPM K=" + k : "LPM", adversarial ? "PGD-7 adversarial" : "clean",
                        exact.peak / 1048576.0, held.peak / 1048576.0, exact.resident / 1048576.0,
                        held.launchesPerStep, held.syncsPerStep, held.hostMsPerStep);
                breakdowns.put((nrpm ? "NRPM K=" + k : "LPM") + (adversarial ? " PGD-7" : " clean"), held.byKernel);
            }
        }
        if (byKernel) {
            printBreakdown(breakdowns);
        }
        // the largest terms tensor of the materialized formulation: layer1 convs, B x C x (C*9) x 32*32
        double terms = (double) batch * width * width * 9 * 32 * 32;
        System.out.printf(Locale.ROOT, "materialized formulation: the terms tensor of one layer1 conv alone is %.1f GiB"
                + " (B x %d x %d x 1024 floats), before its temporaries and saved copies%n", 4 * terms / (1 << 30),
                width, width * 9);
    }

    /**
     * Peak bytes of training steps; bytes resident after them (weights, gradients, momentum);
     * launches, host syncs (downloads) and host milliseconds of one step (the median of the last
     * steps, after warm-up).
     */
    private record Plan(long peak, long resident, long launchesPerStep, long syncsPerStep, double hostMsPerStep,
                        Map<String, Long> byKernel) {
    }

    /** One table: a row per kernel (most launched first in the last column), a column per configuration. */
    private static void printBreakdown(Map<String, Map<String, Long>> byConfig) {
        java.util.Set<String> kernels = new java.util.TreeSet<>();
        byConfig.values().forEach(m -> kernels.addAll(m.keySet()));
        List<String> configs = List.copyOf(byConfig.keySet());
        Map<String, Long> last = byConfig.get(configs.get(configs.size() - 1));
        List<String> rows = new java.util.ArrayList<>(kernels);
        rows.sort(java.util.Comparator.comparingLong((String n) -> -last.getOrDefault(n, 0L))
                .thenComparing(java.util.Comparator.naturalOrder()));
        System.out.println();
        System.out.println("Launches per step by kernel ((memset): cuMemsetD32; (copy): device-to-device copy,"
                + " not in the launch totals above):");
        System.out.println("| kernel | " + String.join(" | ", configs) + " |");
        System.out.println("|---" + "|---:".repeat(configs.size()) + "|");
        for (String name : rows) {
            StringBuilder line = new StringBuilder("| " + name);
            for (String c : configs) {
                line.append(" | ").append(byConfig.get(c).getOrDefault(name, 0L));
            }
            System.out.println(line.append(" |"));
        }
    }

    /** One step without the cache (the exact need); with it, warm-up steps and then timed ones. */
    private static Plan step(ImageDataset data, int width, int batch, int k, boolean nrpm, boolean adversarial,
                             boolean caching) {
        AllocationOnlyDevice device = new AllocationOnlyDevice();
        CudaBackend be = new CudaBackend(caching ? new CachingDevice(device) : device, "cuda-plan");
        Module net = ModelSpec.of("resnet18", InputShape.CIFAR).withWidth(width).build(new ParamInit(be, 1));
        if (nrpm) {
            PatternMatchingSwitch.apply(net, List.of("*"), PatternMatching.nrpm(k, 1e-3f, 0.5f));
        }
        TrainConfig cfg = TrainConfig.of(1, batch, 0.01f);
        if (adversarial) {
            cfg = cfg.withAdversarial(new AdversarialSetting(new PgdLinf(7, 2f / 255, false), 8f / 255, false));
        }
        try (Sgd sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), 0f, false)) {
            Trainer trainer = new Trainer(net, be, sgd, cfg);
            int steps = caching ? 5 : 1;
            double[] ms = new double[steps];
            long launches = 0;
            long syncs = 0;
            Map<String, Long> byKernel = Map.of();
            for (int s = 0; s < steps; s++) {
                long before = device.launches();
                long downloadsBefore = device.downloads();
                Map<String, Long> tallyBefore = device.launchesByKernel();
                long t0 = System.nanoTime();
                trainer.trainEpoch(BatchLoader.builder(data, batch).build(), s, 0, BatchProgress.NONE);
                ms[s] = (System.nanoTime() - t0) / 1e6;
                launches = device.launches() - before;
                syncs = device.downloads() - downloadsBefore;
                Map<String, Long> step = device.launchesByKernel();
                step.replaceAll((name, n) -> n - tallyBefore.getOrDefault(name, 0L));
                step.values().removeIf(n -> n == 0);
                byKernel = step;
            }
            // the median of the steps after the first two (JIT warm-up, the cache filling)
            double[] timed = java.util.Arrays.copyOfRange(ms, Math.min(2, steps - 1), steps);
            java.util.Arrays.sort(timed);
            return new Plan(device.peakBytes(), device.bytesInUse(), launches, syncs, timed[timed.length / 2],
                    byKernel);
        }
    }
}
