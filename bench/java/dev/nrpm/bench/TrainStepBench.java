package dev.nrpm.bench;

import dev.nrpm.attack.PgdLinf;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Backends;
import dev.nrpm.backend.cpu.CpuBackend;
import dev.nrpm.data.BatchLoader;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.optim.Sgd;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.train.AdversarialSetting;
import dev.nrpm.train.TrainConfig;
import dev.nrpm.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Time per training step of ResNet-18 (CIFAR shapes) on one backend: LPM and NRPM (every conv and
 * the classifier) for each K, clean and PGD-7 adversarial (attack in eval mode, step 2/255, budget
 * 8/255), paradigm 3 (all weights and lambdas trained). Warm-up steps on one network (for the
 * JIT), then, on a fresh one from the same initial weights, one untimed step (as PyTorch's script
 * takes: a network's first step makes its gradients and momentum, 2x a later step's time here) and
 * the median of the measured steps; the epoch time is that times 50,000 / batch (CIFAR-10's
 * training set). A configuration whose training diverges (NaN or
 * infinite values) is reported as such, and the run goes on to the next one.
 *
 * <pre>
 * java -cp 'target/nrpm.jar:target/lib/*' dev.nrpm.bench.TrainStepBench --device cpu --width 8 --batch 128
 *      [--k 1,3] [--steps 3] [--warmup-s 0] [--modes clean,pgd7] [--pm lpm,nrpm]
 * (--device cpu-own: the CPU backend with its own LPM convolutions instead of oneDNN's)
 * </pre>
 */
public final class TrainStepBench {
    private TrainStepBench() {
    }

    public static void main(String[] args) {
        String device = "auto";
        int width = 8;
        int batch = 128;
        int steps = 3;
        double warmupSeconds = 0;
        String ks = "1,3";
        String modes = "clean,pgd7";
        String pms = "lpm,nrpm";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device": device = args[++i]; break;
                case "--width": width = Integer.parseInt(args[++i]); break;
                case "--batch": batch = Integer.parseInt(args[++i]); break;
                case "--steps": steps = Integer.parseInt(args[++i]); break;
                case "--warmup-s": warmupSeconds = Double.parseDouble(args[++i]); break;
                case "--k": ks = args[++i]; break;
                case "--modes": modes = args[++i]; break;
                case "--pm": pms = args[++i]; break;
                default:
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
            }
        }
        Backend be;
        try {
            // cpu-own: the CPU backend with its own convolutions, not oneDNN's (side-by-side runs)
            be = device.equals("cpu-own") ? CpuBackend.withOwnConvolutions("cpu-own") : Backends.get(device);
        } catch (dev.nrpm.error.BackendException e) {
            System.err.println("TrainStepBench: " + e.getMessage());
            System.exit(2);
            return;
        }
        ImageDataset data = Datasets.open("synth-cifar", Split.TRAIN, DataOptions.defaults().withSynthSize(batch));
        System.out.printf(Locale.ROOT, "ResNet-18 width %d, batch %d, backend %s, %d measured steps after warm-up"
                + " (one step, or as many as fill %.0f s)%n", width, batch, be.name(), steps, warmupSeconds);
        System.out.println("| layers | training | ms/step | epoch (50k samples) s | peak MiB allocated / held |");
        System.out.println("|---|---|---|---|---|");
        DevicePeak peak = new DevicePeak(be);
        List<String> configs = new ArrayList<>();
        for (String pm : pms.split(",")) {
            if (pm.equals("lpm")) {
                configs.add("lpm");
            } else {
                for (String k : ks.split(",")) {
                    configs.add("nrpm:" + k);
                }
            }
        }
        for (String c : configs) {
            for (String mode : modes.split(",")) {
                String label = c.startsWith("nrpm") ? "NRPM K=" + c.substring(5) : "LPM";
                String training = mode.equals("pgd7") ? "PGD-7" : "clean";
                // warm-up: one step, then more until warmupSeconds have passed (the JIT compiles the
                // cheap steps' loops only after many calls; an expensive step needs none)
                long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
                int warm = 0;
                try (Case w = new Case(be, width, c, mode, batch, data)) {
                    do {
                        w.step(warm);
                        warm++;
                    } while (System.nanoTime() < warmEnd && warm < 1000);
                } catch (NonFiniteException e) {
                    // the warm-up trains on one batch over and over; enough steps of that can
                    // overflow NRPM's gradients (paradigm 3, lr 0.01), which says nothing of the
                    // step's cost: the measured steps below start afresh
                    System.err.printf(Locale.ROOT, "%s %s: warm-up stopped after %d steps: %s%n", label, training,
                            warm, e.getMessage());
                }
                // the measured steps start from the initial weights again, so what they train on does
                // not depend on how long the warm-up ran (PyTorch's follow its one warm-up step)
                double[] ms = new double[steps];
                int done = 0;
                String diverged = null;
                DevicePeak.Peaks peaks;
                try (Case m = new Case(be, width, c, mode, batch, data)) {
                    try {
                        m.step(0);   // untimed: this network's gradients and momentum are made here
                        peak.reset();   // over the measured steps: parameters, momentum, activations, scratch
                        for (; done < steps; done++) {
                            ms[done] = 1e3 * m.step(done + 1);
                        }
                    } catch (NonFiniteException e) {
                        diverged = e.getMessage();
                    }
                    peaks = peak.read();   // before the network's buffers go
                }
                if (done == 0) {
                    System.out.printf(Locale.ROOT, "| %s | %s | diverged | | |%n", label, training);
                    System.err.printf(Locale.ROOT, "%s %s: %s%n", label, training, diverged);
                    continue;
                }
                if (diverged != null) {
                    System.err.printf(Locale.ROOT, "%s %s: measured step %d diverged, the row is the median of the %d"
                            + " before it: %s%n", label, training, done + 1, done, diverged);
                }
                double[] timed = java.util.Arrays.copyOf(ms, done);
                java.util.Arrays.sort(timed);
                double median = timed[timed.length / 2];
                System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f | %s |%n", label, training, median,
                        median * 50000.0 / batch / 1e3, peaks.describe(0));
            }
        }
    }

    /**
     * One configuration's network (seed 1, so every Case of a configuration starts from the same
     * weights), optimizer and trainer, stepping on one synthetic batch.
     */
    private static final class Case implements AutoCloseable {
        private final Module net;
        private final Sgd sgd;
        private final Trainer trainer;
        private final BatchLoader one;

        Case(Backend be, int width, String config, String mode, int batch, ImageDataset data) {
            net = ModelSpec.of("resnet18", InputShape.CIFAR).withWidth(width).build(new ParamInit(be, 1));
            if (config.startsWith("nrpm")) {
                int k = Integer.parseInt(config.substring(5));
                // paradigm 3: the lambdas are trained with the weights (bench/gpu/torch_train_step.py does the same)
                PatternMatchingSwitch.apply(net, List.of("*"),
                        new PatternMatching(NrpmSpec.l1(k, 1e-3f), LambdaMode.LEARNABLE, 0.5f));
            }
            TrainConfig cfg = TrainConfig.of(1, batch, 0.01f);
            if (mode.equals("pgd7")) {
                cfg = cfg.withAdversarial(new AdversarialSetting(new PgdLinf(7, 2f / 255, false), 8f / 255, false));
            }
            sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), 0f, false);
            trainer = new Trainer(net, be, sgd, cfg);
            one = BatchLoader.builder(data, batch).build();     // one batch per "epoch"
        }

        /** One training step; its wall time in seconds. */
        double step(int index) {
            return trainer.trainEpoch(one, index, 0, BatchProgress.NONE).seconds();
        }

        @Override
        public void close() {
            try (net) {
                sgd.close();
            }
        }
    }
}
