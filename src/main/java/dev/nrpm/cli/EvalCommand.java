package dev.nrpm.cli;

import dev.nrpm.attack.AttackKind;
import dev.nrpm.attack.AttackPlan;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.eval.EvalOptions;
import dev.nrpm.eval.EvalReport;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.report.AdversarialFile;
import dev.nrpm.report.TableReport;
import java.io.PrintWriter;
import java.nio.file.Path;
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

    @Option(names = "--save-adversarial", paramLabel = "FILE.safetensors",
            description = "Write the adversarial images (per budget, the clean image where none was found), labels,"
                    + " dataset indices and which attack broke each sample, as safetensors.")
    Path saveAdversarial;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run the evaluation as Spark tasks on this master (local[2], spark://host:7077, or what"
                    + " spark-submit gives); the numbers equal a local run's exactly. Needs Spark: use spark-submit.")
    String spark;

    @Option(names = "--shards", paramLabel = "N",
            description = "With --spark: parts the samples are split into, one Spark task each. Default: 4 x the"
                    + " master's cores for local[N], else 64.")
    Integer shards;

    @Option(names = "--shard-dir", paramLabel = "DIR",
            description = "With --spark: keep each finished shard here (a folder every executor sees), so that the"
                    + " same command run again after a failure computes only what is missing.")
    Path shardDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long start = System.nanoTime();
        data.checkBatch();
        output.check();
        if (model.weights == null) {
            throw new dev.nrpm.error.InvalidSettingException("--weights FILE is required for eval");
        }
        Distributed.check(spark, shards, shardDir);
        AttackKind kind = attack.kind();
        attack.settings();
        for (double b : attack.budgets) {
            kind.budgetKind(attack.settings().norm()).check(kind.cliName(), b);
        }
        pm.mode();
        attack.checkRelevant(spec.commandLine().getParseResult());
        pm.checkRelevant(spec.commandLine().getParseResult());
        output.reports(new OutputGuard().input("--weights", model.weights))
                .report("--save-adversarial", saveAdversarial).check();
        Backend be = device.backend();
        ImageDataset test = data.evaluation();
        AttackPlan plan = attack.plan(test.numClasses());
        ModelSpec ms = model.spec(data.shape(), test.numClasses());
        Module net = ms.build(new ParamInit(be, seed));
        Weights.Loaded loaded = Weights.load(model.weights, net, ms);
        PatternMatchingOptions.Applied applied = pm.apply(net, loaded.lambdas(), LambdaMode.FIXED);
        out.println("model: " + ms.describe() + ", " + loaded.summary());
        out.println("pattern matching: " + applied.label());
        Console.device(out, be);
        out.println("attack: " + attack.describe(plan));
        EvalOptions opt = EvalOptions.of(data.batch, seed).withProbes(!attack.noProbes)
                .keepingAdversarial(saveAdversarial != null);
        RobustnessCurve curve = spark == null
                ? RobustnessEvaluator.evaluate(applied.label(), applied.values(), net, be, test, plan, attack.budgets, opt,
                        Console.stages())
                : Distributed.evaluate(spark, shards, shardDir, new EvalSetup(ms, model.weights, pm, attack, test, opt, seed, device.device),
                        out);
        EvalReport report = new EvalReport(ms.describe(), model.weights.toString(), describeData(test),
                attack.describe(plan), be.name(), Console.since(start), List.of(curve), attack.budgetTitle(),
                plan == null ? Map.of("attack", "none") : plan.settings(), seed);
        out.println();
        out.print(TableReport.render(report));
        output.write(report, out);
        if (saveAdversarial != null) {
            AdversarialFile.write(saveAdversarial, report, curve, new int[] {test.channels(), test.height(), test.width()},
                    test.labels());
            out.println("wrote " + saveAdversarial);
        }
        return 0;
    }

    private String describeData(ImageDataset test) {
        return data.data + " test [" + data.offset + ", " + (data.offset + test.size()) + ")";
    }

    static Map<String, Object> noPm() {
        return Map.of("mode", "lpm");
    }
}
