package dev.nrpm.cli;

import dev.nrpm.attack.AttackPlan;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.EvalOptions;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.optim.Sgd;
import dev.nrpm.report.TableReport;
import dev.nrpm.train.EpochLoop;
import dev.nrpm.train.Paradigm;
import dev.nrpm.train.TrainConfig;
import dev.nrpm.train.TrainingCheckpoint;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** nrpm reprogram: switch a trained model to NRPM, fine-tune per paradigm, evaluate before and after. */
@Command(name = "reprogram", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reprogram a trained model with NRPM layers (paradigm 1, 2 or 3) and evaluate it.",
            "NRPM replaces LPM in the chosen layers, then",
            "  paradigm 1: fixed lambda, no training; 2: weights frozen, lambdas trained; 3: everything trained.",
            "Evaluates the original and the reprogrammed model under the attack, and writes a checkpoint.",
            "",
            "Example (real MNIST here has no training images: fine-tune on the first half of the test set):",
            "  nrpm reprogram --paradigm 2 --model mlp --weights ../shared/models/mlp3_mnist_model.pth \\",
            "      --data mnist --data-dir ../shared/data/mnist --train-from test --train-limit 5000 \\",
            "      --offset 5000 --limit 1000 --epochs 1 --attack fgsm --budgets 0,0.1,0.2 --out runs/mlp-p2.safetensors"})
final class ReprogramCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--paradigm", required = true, paramLabel = "1|2|3", description = "Reprogramming paradigm.")
    int paradigm;

    @Mixin
    ModelOptions model;

    @Mixin
    DataSelection data;

    @Mixin
    DeviceOption device;

    @Mixin
    PatternMatchingOptions pm;

    @Mixin
    TrainingOptions training;

    @Mixin
    AttackOptions attack;

    @Mixin
    OutputOptions output;

    @Option(names = "--out", paramLabel = "FILE", description = "Checkpoint of the reprogrammed model (default: runs/<model>-paradigm<N>.safetensors).")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (data order, attacks).")
    long seed;

    @Option(names = "--overwrite", description = "Replace the --out checkpoint if it exists (else that is an error).")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        long start = System.nanoTime();
        Paradigm p = Paradigm.of(paradigm);
        data.checkBatch();
        output.check();
        if (model.weights == null) {
            throw new InvalidSettingException("--weights FILE (the trained model to reprogram) is required");
        }
        if (pm.mode().equals("lpm")) {
            throw new InvalidSettingException("--pm lpm leaves nothing to reprogram; use --pm nrpm (the default here)");
        }
        pm.pm = "nrpm";
        Path target = out != null ? out
                : Path.of("runs", model.model.toLowerCase(java.util.Locale.ROOT) + "-paradigm" + p.number() + ".safetensors");
        output.reports(new OutputGuard().input("--weights", model.weights)
                .checkpoint("--out", target, overwrite, "pass --overwrite to replace it")).check();
        attack.kind();
        attack.checkRelevant(spec.commandLine().getParseResult());
        TrainConfig cfg = p.trains() ? training.config(seed) : null;
        Backend be = device.backend();
        ImageDataset eval = data.evaluation();
        AttackPlan a = attack.plan(eval.numClasses());
        EvalOptions opt = EvalOptions.of(data.batch, seed).withProbes(!attack.noProbes);
        ImageDataset train = p.trains() ? training.trainingSet(data) : null;
        ModelSpec ms = model.spec(data.shape(), eval.numClasses());
        Module net = ms.build(new ParamInit(be, seed));
        Weights.Loaded loaded = Weights.load(model.weights, net, ms);
        pw.println("model: " + ms.describe() + ", " + loaded.summary());
        Console.device(pw, be);

        List<RobustnessCurve> curves = new ArrayList<>();
        PatternMatchingOptions.Applied before = PatternMatchingOptions.describe(net);
        curves.add(RobustnessEvaluator.evaluate(before.label() + " (original)", before.values(), net, be, eval,
                a, attack.budgets, opt, Console.stages()));

        List<String> layers = p.apply(net, pm.layers, pm.spec(), lambdas(net, loaded, p));
        pw.println("paradigm " + p.number() + ": NRPM in " + String.join(", ", layers));
        if (p.trains()) {
            if (training.trainFrom.equals("test") && overlaps(training.trainOffset, train.size(), data.offset, eval.size())) {
                pw.println("warning: the fine-tuning samples test[" + training.trainOffset + ", "
                        + (training.trainOffset + train.size()) + ") overlap the evaluation samples test[" + data.offset + ", "
                        + (data.offset + eval.size()) + "): the numbers after reprogramming are not on unseen data"
                        + " (use --offset past --train-offset + --train-limit)");
            }
            pw.println("fine-tuning on " + training.describe(train) + (training.trainFrom.equals("test")
                    ? " (the test split: evaluation uses samples [" + data.offset + ", " + (data.offset + eval.size()) + "))"
                    : ""));
            try (Sgd sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay(), false)) {
                EpochLoop.run(pw, net, ms, be, sgd, cfg, train, null, data.batch, 0, null, Console::progress);
            }
        }
        PatternMatchingOptions.Applied after = PatternMatchingOptions.describe(net);
        curves.add(RobustnessEvaluator.evaluate(after.label() + " (paradigm " + p.number() + ")", after.values(), net,
                be, eval, a, attack.budgets, opt, Console.stages()));
        TrainingCheckpoint.save(target, net, ms, null, p.trains() ? cfg.epochs() : 0, seed,
                Map.of("paradigm", String.valueOf(p.number()), "reprogrammed_from", model.weights.toString()));
        EvalReport report = new EvalReport(ms.describe(), model.weights.toString(),
                data.data + " test [" + data.offset + ", " + (data.offset + eval.size()) + ")", attack.describe(a),
                be.name(), Console.since(start), curves, attack.budgetTitle(),
                a == null ? Map.of("attack", "none") : a.settings(), seed);
        pw.println();
        pw.print(TableReport.render(report));
        output.write(report, pw);
        pw.println("wrote " + target);
        return 0;
    }

    private static boolean overlaps(int a, int aLength, int b, int bLength) {
        return a < b + bLength && b < a + aLength;
    }

    /** --lambda if given, else the weights file's per-layer values, else the default, for the selected layers. */
    private float[] lambdas(Module net, Weights.Loaded loaded, Paradigm p) {
        if (pm.lambda != null) {
            return pm.lambda;
        }
        List<String> chosen = dev.nrpm.nn.PatternMatchingSwitch.select(dev.nrpm.nn.PatternMatchingSwitch.layers(net), pm.layers);
        float[] v = new float[chosen.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = loaded.lambdas().getOrDefault(chosen.get(i), PatternMatchingOptions.DEFAULT_LAMBDA);
            if (p == Paradigm.TRAIN_LAMBDA) {
                v[i] = Math.min(0.99f, Math.max(0.01f, v[i]));  // a sigmoid lambda starts strictly inside (0, 1)
            }
        }
        return v;
    }
}
