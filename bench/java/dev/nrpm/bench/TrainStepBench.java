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
 * 8/255), paradigm 3 (all weights and lambdas trained). One warm-up step, then the median of the
 * measured steps; the epoch time is that times 50,000 / batch (CIFAR-10's training set).
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
                Module net = ModelSpec.of("resnet18", InputShape.CIFAR).withWidth(width).build(new ParamInit(be, 1));
                String label = "LPM";
                if (c.startsWith("nrpm")) {
                    int k = Integer.parseInt(c.substring(5));
                    // paradigm 3: the lambdas are trained with the weights (bench/gpu/torch_train_step.py does the same)
                    PatternMatchingSwitch.apply(net, List.of("*"),
                            new PatternMatching(NrpmSpec.l1(k, 1e-3f), LambdaMode.LEARNABLE, 0.5f));
                    label = "NRPM K=" + k;
                }
                TrainConfig cfg = TrainConfig.of(1, batch, 0.01f);
                if (mode.equals("pgd7")) {
                    cfg = cfg.withAdversarial(new AdversarialSetting(new PgdLinf(7, 2f / 255, false), 8f / 255, false));
                }
                double[] ms = new double[steps];
                DevicePeak.Peaks peaks;
                try (net; Sgd sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), 0f, false)) {
                    Trainer trainer = new Trainer(net, be, sgd, cfg);
                    BatchLoader one = BatchLoader.builder(data, batch).build();     // one batch per "epoch"
                    // warm-up: one step, then more until warmupSeconds have passed (the JIT compiles
                    // the cheap steps' loops only after many calls; an expensive step needs none)
                    long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
                    int warm = 0;
                    do {
                        trainer.trainEpoch(one, 0, 0, BatchProgress.NONE);
                        warm++;
                    } while (System.nanoTime() < warmEnd && warm < 1000);
                    // over the measured steps: parameters, momentum, activations and scratch
                    peak.reset();
                    for (int s = 0; s < steps; s++) {
                        ms[s] = 1e3 * trainer.trainEpoch(one, s + 1, 0, BatchProgress.NONE).seconds();
                    }
                    peaks = peak.read();
                }
                java.util.Arrays.sort(ms);
                double median = ms[ms.length / 2];
                System.out.printf(Locale.ROOT, "| %s | %s | %.0f | %.0f | %s |%n", label,
                        mode.equals("pgd7") ? "PGD-7" : "clean", median, median * 50000.0 / batch / 1e3,
                        peaks.describe(0));
            }
        }
    }
}
