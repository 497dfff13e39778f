package dev.nrpm.train;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.CounterRng;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.data.Batch;
import dev.nrpm.data.BatchLoader;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.eval.Predictions;
import dev.nrpm.nn.Module;
import dev.nrpm.ops.Ops;
import dev.nrpm.optim.Sgd;
import dev.nrpm.tensor.Tensor;

/**
 * Mini-batch training with SGD: cross-entropy on the model's output (log-softmax is idempotent, so
 * models that end in one train the same), clean or adversarial batches. Each step runs in its own
 * memory scope; only the loss and the predictions leave the backend.
 */
public final class Trainer {
    private final Module model;
    private final Backend backend;
    private final Sgd optimizer;
    private final TrainConfig config;

    public Trainer(Module model, Backend backend, Sgd optimizer, TrainConfig config) {
        this.model = model;
        this.backend = backend;
        this.optimizer = optimizer;
        this.config = config;
    }

    /** Trains one epoch over the loader (from batch firstBatch on, for resumed runs). */
    public EpochStats trainEpoch(BatchLoader loader, int epoch, int firstBatch, BatchProgress progress) {
        float lr = config.schedule().lr(config.lr(), epoch, config.epochs());
        optimizer.setLr(lr);
        model.train();
        long start = System.nanoTime();
        double lossSum = 0;
        long correct = 0;
        int samples = 0;
        int done = firstBatch;
        int total = loader.batchesPerEpoch();
        for (Batch batch : loader.epoch(epoch, firstBatch)) {
            try (MemoryScope step = MemoryScope.open()) {
                Tensor x = Tensor.of(backend, batch.images(), batch.shape());
                Tensor y = Tensor.of(backend, batch.labelsAsFloats(), batch.size());
                if (config.adversarial() != null) {
                    x = attacked(x, y, epoch, batch.number(), total);
                }
                Tensor out = model.forward(x);
                Tensor loss = Ops.crossEntropy(out, y);
                float value = loss.item();
                if (!Float.isFinite(value)) {
                    throw new NonFiniteException("training diverged: loss " + value + " at epoch " + (epoch + 1)
                            + ", batch " + (batch.number() + 1) + " (lower the learning rate?)");
                }
                int[] pred = Predictions.argmax(out.toFloatArray(), out.dim(0), out.dim(1));
                optimizer.zeroGrad();
                loss.backward();
                optimizer.step();
                lossSum += (double) value * batch.size();
                int[] labels = batch.labels();
                for (int i = 0; i < labels.length; i++) {
                    correct += pred[i] == labels[i] ? 1 : 0;
                }
                samples += batch.size();
            }
            progress.batchDone(++done, total);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new EpochStats(epoch, samples == 0 ? 0 : lossSum / samples, samples == 0 ? 0 : (double) correct / samples,
                lr, seconds, samples);
    }

    /**
     * The attacked batch. Non-finite values met inside the attack (a later PGD step's forward
     * fails on the NaN pixels of the one before) or left in its result mean that the model's
     * input gradient overflowed: training has diverged (weights or activations grown out of
     * float range), which the first layer would otherwise report as bad input data.
     */
    private Tensor attacked(Tensor x, Tensor y, int epoch, int batch, int total) {
        String where = "training diverged at epoch " + (epoch + 1) + ", batch " + (batch + 1)
                + ": the training attack's input gradient overflowed (";
        String hint = "), so the weights or activations have grown out of range; lower the learning rate"
                + " (NRPM layers with a small lambda have very large gradients)";
        Tensor adv;
        long bad;
        try {
            adv = perturb(x, y, CounterRng.bits(config.seed() ^ 0xA77AC4L, (long) epoch * total + batch));
            // also where checks that a GPU backend deferred during the attack surface
            bad = adv.backend().countNonFinite(adv.buffer(), adv.size());
        } catch (NonFiniteException e) {
            throw new NonFiniteException(where + "inside the attack, " + e.getMessage() + hint, e);
        }
        if (bad > 0) {
            throw new NonFiniteException(where + bad + " of " + adv.size() + " attacked pixels are NaN or infinite"
                    + hint);
        }
        return adv;
    }

    private Tensor perturb(Tensor x, Tensor y, long seed) {
        AdversarialSetting adv = config.adversarial();
        if (!adv.attackInTrainMode()) {
            model.eval();
        }
        try {
            return adv.attack().perturb(model, x, y, adv.budget(), seed);
        } finally {
            model.train();
        }
    }
}
