package dev.nrpm.testing;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.BatchLoader;
import dev.nrpm.data.DataOptions;
import dev.nrpm.data.Datasets;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.optim.Sgd;
import dev.nrpm.train.EpochStats;
import dev.nrpm.train.TrainConfig;
import dev.nrpm.train.Trainer;
import dev.nrpm.eval.BatchProgress;

/** Small models trained on the built-in synthetic digits, for tests that need a model that works. */
public final class TrainedModels {
    private TrainedModels() {
    }

    public static ImageDataset synthDigits(Split split, int size) {
        return Datasets.open("synth-mnist", split, DataOptions.defaults().withSynthSize(size));
    }

    /** An MLP 784-64-10 with ReLU, trained two epochs on 3000 synthetic digits (about a second). */
    public static Module mlp(Backend be, long seed) {
        Module model = ModelSpec.of("mlp", InputShape.MNIST).withWidths(new int[] {784, 64, 10}).withRelu(true)
                .build(new ParamInit(be, seed));
        train(model, be, synthDigits(Split.TRAIN, 3000), TrainConfig.of(2, 64, 0.05f).withSeed(seed));
        return model;
    }

    public static EpochStats[] train(Module model, Backend be, ImageDataset data, TrainConfig cfg) {
        BatchLoader loader = BatchLoader.builder(data, cfg.batchSize()).shuffle(cfg.seed()).build();
        try (Sgd sgd = new Sgd(model.namedParameters(), cfg.lr(), cfg.momentum(), cfg.weightDecay(), false)) {
            Trainer trainer = new Trainer(model, be, sgd, cfg);
            EpochStats[] stats = new EpochStats[cfg.epochs()];
            for (int e = 0; e < cfg.epochs(); e++) {
                stats[e] = trainer.trainEpoch(loader, e, 0, BatchProgress.NONE);
            }
            return stats;
        }
    }
}
