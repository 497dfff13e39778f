package dev.nrpm.cli;

import dev.nrpm.attack.Attack;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.pm.LambdaMode;
import dev.nrpm.report.TableReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** nrpm eval: robust accuracy of a model (LPM or NRPM) under an attack at several budgets. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a model's accuracy under attack, with LPM or NRPM layers (paradigm 1: no training).",
            "",
            "Example (from a fresh clone, on the built-in data):",
            "  nrpm eval --model mlp --weights models/demo-mlp.safetensors --data synth-mnist --limit 500 \\",
            "            --attack fgsm --budgets 0,0.05,0.1,0.2 --pm nrpm --K 3 --lambda 0.5"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    DataSelection data;

    @Mixin
    DeviceOption device;

    @Mixin
    AttackOptions attack;

    @Mixin
    PatternMatchingOptions pm;

    @Mixin
    OutputOptions output;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for random starts and noise. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        data.checkBatch();
        output.check();
        if (model.weights == null) {
            throw new dev.nrpm.error.InvalidSettingException("--weights FILE is required for eval");
        }
        Attack a = attack.create();
        pm.mode();
        Backend be = device.backend();
        ImageDataset test = data.evaluation();
        ModelSpec ms = model.spec(data.shape(), test.numClasses());
        Module net = ms.build(new ParamInit(be, seed));
        Weights.Loaded loaded = Weights.load(model.weights, net, ms);
        PatternMatchingOptions.Applied applied = pm.apply(net, loaded.lambdas(), LambdaMode.FIXED);
        out.println("model: " + ms.describe() + ", " + loaded.summary());
        out.println("pattern matching: " + applied.label());
        Runs.device(out, be);
        RobustnessCurve curve = RobustnessEvaluator.evaluate(applied.label(), applied.values(), net, be, test,
                data.batch, a, attack.budgets, seed, Runs.progress("eval " + attack.attack));
        EvalReport report = new EvalReport(ms.describe(), model.weights.toString(), describeData(test),
                attack.describe(), be.name(), Runs.since(start), List.of(curve));
        out.println();
        out.print(TableReport.render(report));
        output.write(report, out);
        return 0;
    }

    private String describeData(ImageDataset test) {
        return data.data + " test [" + data.offset + ", " + (data.offset + test.size()) + ")";
    }

    static Map<String, Object> noPm() {
        return Map.of("mode", "lpm");
    }
}
