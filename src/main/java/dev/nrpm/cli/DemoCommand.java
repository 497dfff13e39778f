package dev.nrpm.cli;

import dev.nrpm.attack.Fgsm;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.optim.Sgd;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.report.CsvReport;
import dev.nrpm.report.CurvePlot;
import dev.nrpm.report.PlotSupport;
import dev.nrpm.report.JsonReport;
import dev.nrpm.report.TableReport;
import dev.nrpm.train.EpochLoop;
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

/**
 * nrpm demo: the whole idea in well under a minute with no files: train the paper's MLP on the
 * built-in synthetic digits, then compare LPM with NRPM (paradigm 1, no retraining) under FGSM.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small MLP on built-in synthetic digits and compare LPM with NRPM under FGSM.",
            "The same weights are evaluated with the dense layers as LPM and as NRPM (no retraining).",
            "Prints a table and writes robustness.png, results.json, results.csv and the trained",
            "checkpoint into --out."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DeviceOption device;

    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "Output folder. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "Training epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--train-size", defaultValue = "10000", paramLabel = "N", description = "Training images. Default: ${DEFAULT-VALUE}.")
    int trainSize;

    @Option(names = "--limit", defaultValue = "1000", paramLabel = "N", description = "Evaluation images. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--budgets", split = ",", defaultValue = "0,0.05,0.1,0.15,0.2,0.25,0.3", paramLabel = "B,...",
            description = "FGSM budgets (L-inf). Default: ${DEFAULT-VALUE}.")
    double[] budgets;

    @Option(names = {"--K", "-K"}, defaultValue = "3", paramLabel = "N", description = "NRPM steps. Default: ${DEFAULT-VALUE}.")
    int k;

    @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        long start = System.nanoTime();
        Fgsm fgsm = new Fgsm();
        for (double b : budgets) {
            fgsm.checkBudget(b);
        }
        Backend be = device.backend();
        DataOptions opts = DataOptions.defaults().withSynthSize(trainSize);
        ImageDataset train = Datasets.open("synth-mnist", Split.TRAIN, opts);
        ImageDataset test = DataSelection.slice(Datasets.open("synth-mnist", Split.TEST,
                DataOptions.defaults().withSynthSize(Math.max(limit, 1))), 0, limit, "--offset", "--limit");
        ModelSpec ms = ModelSpec.of("mlp", InputShape.MNIST);
        Module net = ms.build(new ParamInit(be, seed));
        pw.println("nrpm demo: " + ms.describe() + " (the paper's MNIST model, no activations) on built-in"
                + " synthetic digits");
        Console.device(pw, be);
        pw.println("training " + epochs + " epochs on " + train.size() + " images");
        TrainConfig cfg = new TrainConfig(epochs, 64, 0.01f, 0.9f, 0f, null, seed, false, null);
        try (Sgd sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), 0f, false)) {
            EpochLoop.run(pw, net, ms, be, sgd, cfg, train, test, 250, 0, null, Console::progress);
        }
        Path checkpoint = out.resolve("demo-mlp.safetensors");
        TrainingCheckpoint.save(checkpoint, net, ms, null, epochs, seed, Map.of("data", "synth-mnist"));

        pw.println("evaluating on " + test.size() + " test images under FGSM");
        List<RobustnessCurve> curves = new ArrayList<>();
        NrpmSpec nrpm = NrpmSpec.l1(k, 1e-3f);
        for (float lambda : new float[] {1f, 0.5f, 0f}) {
            PatternMatching setting = lambda == 1f ? PatternMatching.lpm() : new PatternMatching(nrpm, LambdaMode.FIXED, lambda);
            PatternMatchingSwitch.apply(net, List.of("*"), setting);
            PatternMatchingOptions.Applied applied = PatternMatchingOptions.describe(net);
            curves.add(RobustnessEvaluator.evaluate(applied.label(), applied.values(), net, be, test, 250, fgsm,
                    budgets, seed, Console.progress("eval " + applied.label())));
        }
        EvalReport report = new EvalReport(ms.describe(), checkpoint.toString(), "synth-mnist test [0, " + test.size() + ")",
                "fgsm", be.name(), Console.since(start), curves, fgsm.budgetName(), Map.of("attack", "fgsm"), seed);
        pw.println();
        pw.print(TableReport.render(report));
        JsonReport.write(report, out.resolve("results.json"));
        CsvReport.write(report, out.resolve("results.csv"));
        String noPlot = PlotSupport.unavailableReason();
        if (noPlot == null) {
            CurvePlot.write(report, out.resolve("robustness.png"));
            pw.println("wrote " + out.resolve("robustness.png") + ", results.json, results.csv and " + checkpoint.getFileName());
        } else {
            pw.println("wrote " + out.resolve("results.json") + ", results.csv and " + checkpoint.getFileName()
                    + " (no robustness.png: " + noPlot + ")");
        }
        return 0;
    }
}
