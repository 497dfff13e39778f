package dev.nrpm.train;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.BatchLoader;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.RandomCropFlip;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.optim.Sgd;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * The epoch loop of train, reprogram and demo: train an epoch, report it, checkpoint it. The
 * command line supplies the progress display (one per epoch, named by progress's argument).
 */
public final class EpochLoop {
    private EpochLoop() {
    }

    /**
     * Trains epochs [firstEpoch, cfg.epochs()), printing each epoch and (when eval is not null) the clean
     * accuracy on it, and writing a checkpoint after each epoch when out is not null.
     */
    public static void run(PrintWriter pw, Module model, ModelSpec spec, Backend be, Sgd sgd, TrainConfig cfg,
                           ImageDataset train, ImageDataset eval, int evalBatch, int firstEpoch, Path out,
                           Function<String, BatchProgress> progress) {
        run(pw, model, spec, be, sgd, cfg, train, eval, evalBatch, firstEpoch, out, Map.of(), progress);
    }

    /** As above; runMeta goes into every checkpoint (the settings a --resume must match). */
    public static void run(PrintWriter pw, Module model, ModelSpec spec, Backend be, Sgd sgd, TrainConfig cfg,
                           ImageDataset train, ImageDataset eval, int evalBatch, int firstEpoch, Path out,
                           Map<String, String> runMeta, Function<String, BatchProgress> progress) {
        BatchLoader.Builder b = BatchLoader.builder(train, cfg.batchSize()).shuffle(cfg.seed());
        if (cfg.augment()) {
            b.augment(RandomCropFlip.CIFAR);
        }
        BatchLoader loader = b.build();
        Trainer trainer = new Trainer(model, be, sgd, cfg);
        for (int epoch = firstEpoch; epoch < cfg.epochs(); epoch++) {
            EpochStats stats = trainer.trainEpoch(loader, epoch, 0,
                    progress.apply("epoch " + (epoch + 1) + "/" + cfg.epochs()));
            String line = stats.toString();
            String accuracy = "";
            if (eval != null) {
                RobustnessCurve c = RobustnessEvaluator.evaluate("clean", null, model, be, eval, evalBatch, null,
                        new double[] {0}, cfg.seed(), BatchProgress.NONE);
                accuracy = String.format("%.4f", c.accuracy(0));
                line += String.format(", test accuracy %.2f%%", 100 * c.accuracy(0));
            }
            pw.println(line);
            pw.flush();
            if (out != null) {
                Map<String, String> meta = new java.util.LinkedHashMap<>();
                runMeta.forEach((k, v) -> meta.put(TrainingCheckpoint.RUN + k, v));
                if (eval != null) {
                    meta.put("test_accuracy", accuracy);
                }
                TrainingCheckpoint.save(out, model, spec, sgd, epoch + 1, cfg.seed(), meta);
            }
        }
    }
}
