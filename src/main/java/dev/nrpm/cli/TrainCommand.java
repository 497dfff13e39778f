package dev.nrpm.cli;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.io.checkpoint.ModelCheckpoint;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.optim.Sgd;
import dev.nrpm.matching.LambdaMode;
import dev.nrpm.train.EpochLoop;
import dev.nrpm.train.TrainConfig;
import dev.nrpm.train.TrainingCheckpoint;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** nrpm train: a zoo model from scratch, checkpointed after every epoch, resumable exactly. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model from scratch (LPM, or NRPM layers with --pm nrpm), clean or adversarially.",
            "A checkpoint is written atomically after every epoch; --resume continues a run exactly.",
            "",
            "Example:",
            "  nrpm train --model resnet18 --width 8 --data synth-cifar --epochs 2 --train-limit 2000 \\",
            "             --augment --lr 0.05 --schedule cosine --limit 500 --out runs/resnet-tiny.safetensors"})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model;

    @Mixin
    DataSelection data;

    @Mixin
    DeviceOption device;

    @Mixin
    TrainingOptions training;

    @Mixin
    PatternMatchingOptions pm;

    @Option(names = "--lambda-mode", defaultValue = "fixed", paramLabel = "fixed|learnable|sigmoid",
            description = "How NRPM layers hold lambda while training. Default: ${DEFAULT-VALUE}.")
    String lambdaMode;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Checkpoint, rewritten after every epoch.")
    Path out;

    @Option(names = "--resume", description = "Continue the run saved in --out (same options and --seed).")
    boolean resume;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the run (initial weights, data order, dropout).")
    long seed;

    @Option(names = "--overwrite", description = "Start afresh over an existing --out checkpoint (else that is an error; --resume continues it).")
    boolean overwrite;

    @Override
    public Integer call() {
        PrintWriter pw = spec.commandLine().getOut();
        data.checkBatch();
        TrainConfig cfg = training.config(seed);
        LambdaMode mode = LambdaMode.parse(lambdaMode);
        if (resume && !Files.isRegularFile(out)) {
            throw new InvalidSettingException("--resume: no checkpoint at " + out + " to continue");
        }
        if (resume && overwrite) {
            throw new InvalidSettingException("--resume continues the checkpoint that --overwrite would replace: give one of them");
        }
        new OutputGuard().input("--weights", model.weights)
                .checkpoint("--out", out, resume || overwrite,
                        "pass --resume to continue that run or --overwrite to start afresh over it").check();
        Backend be = device.backend();
        ImageDataset train = training.trainingSet(data);
        ImageDataset eval = data.evaluation();
        ModelSpec ms = model.spec(data.shape(), train.numClasses());
        Module net = ms.build(new ParamInit(be, seed));
        if (model.weights != null) {
            pw.println("starting from " + model.weights + ": " + Weights.load(model.weights, net, ms).summary());
        }
        PatternMatchingOptions.Applied applied = pm.apply(net, Map.of(), mode);
        Map<String, String> run = runDefinition(ms, train, cfg, applied, mode);
        try (Sgd sgd = new Sgd(net.namedParameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay(), false)) {
            int first = 0;
            if (resume) {
                ModelCheckpoint saved = ModelCheckpoint.read(out);
                List<String> differ = TrainingCheckpoint.differences(saved, run);
                if (!differ.isEmpty()) {
                    throw new InvalidSettingException("--resume: " + out + " was trained with other settings ("
                            + String.join("; ", differ) + "): an exact continuation needs the same run"
                            + " (--overwrite starts afresh)");
                }
                int done = TrainingCheckpoint.epochsDone(saved);
                if (done > cfg.epochs()) {
                    throw new InvalidSettingException("--resume: " + out + " has done " + done + " epochs, more than --epochs "
                            + cfg.epochs() + "; nothing was trained or written");
                }
                if (done == cfg.epochs()) {
                    pw.println("nothing left to train: " + out + " has done all " + done + " epochs (raise --epochs to"
                            + " train on); nothing was written");
                    return 0;
                }
                first = TrainingCheckpoint.resume(saved, net, sgd, seed);
                pw.println("resuming " + out + " after epoch " + first);
            }
            pw.println("model: " + ms.describe() + ", " + applied.label());
            pw.println("training on " + training.describe(train) + "; evaluating on " + eval.size() + " test samples");
            Console.device(pw, be);
            EpochLoop.run(pw, net, ms, be, sgd, cfg, train, eval, data.batch, first, out, run, Console::progress);
        }
        pw.println("wrote " + out);
        return 0;
    }

    /** What defines this run: a resumed run must match all of it to continue exactly. */
    private Map<String, String> runDefinition(ModelSpec ms, ImageDataset train, TrainConfig cfg,
                                              PatternMatchingOptions.Applied applied, LambdaMode mode) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("model", ms.describe());
        m.put("weights", String.valueOf(model.weights));
        m.put("data", data.data);
        m.put("train set", train.name() + ", " + train.size() + " samples");
        m.put("batch", String.valueOf(cfg.batchSize()));
        m.put("lr", String.valueOf(cfg.lr()));
        m.put("momentum", String.valueOf(cfg.momentum()));
        m.put("weight decay", String.valueOf(cfg.weightDecay()));
        m.put("schedule", training.schedule);
        if (!training.schedule.equals("constant")) {
            m.put("epochs", String.valueOf(cfg.epochs())); // the schedule depends on the total
        }
        m.put("augment", String.valueOf(cfg.augment()));
        m.put("adversarial", training.adversarial.equals("none") ? "none" : training.adversarial + " budget "
                + training.trainBudget + ", " + training.trainSteps + " steps of " + training.trainStepSize
                + (training.attackInTrainMode ? ", in train mode" : ""));
        m.put("pattern matching", applied.values().toString());
        m.put("lambda mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        return m;
    }
}
