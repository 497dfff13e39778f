package dev.nrpm.eval;

import dev.nrpm.attack.Attack;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.CounterRng;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.data.Batch;
import dev.nrpm.data.BatchLoader;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;
import java.util.Map;

/**
 * Robust accuracy of a model over a dataset at several attack budgets. The model runs in evaluation
 * mode (running BN statistics, no dropout); a sample counts only if it is classified correctly both
 * clean and perturbed. Each batch runs in its own memory scope.
 */
public final class RobustnessEvaluator {
    private RobustnessEvaluator() {
    }

    /**
     * @param attack  null for clean accuracy (every budget then counts the clean result)
     * @param budgets each checked by the attack before any work starts
     */
    public static RobustnessCurve evaluate(String label, Map<String, Object> pm, Module model, Backend be,
                                           ImageDataset data, int batchSize, Attack attack, double[] budgets,
                                           long seed, BatchProgress progress) {
        if (attack != null) {
            for (double b : budgets) {
                attack.checkBudget(b);
            }
        }
        boolean wasTraining = model.isTraining();
        model.eval();
        long[] correct = new long[budgets.length];
        try {
            BatchLoader loader = BatchLoader.evaluation(data, batchSize);
            int total = loader.batchesPerEpoch();
            int done = 0;
            for (Batch batch : loader.epoch(0)) {
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor x = Tensor.of(be, batch.images(), batch.shape());
                    Tensor y = Tensor.of(be, batch.labelsAsFloats(), batch.size());
                    int[] labels = batch.labels();
                    int[] clean = Predictions.of(model, x);
                    for (int i = 0; i < budgets.length; i++) {
                        int[] pred = clean;
                        if (attack != null && budgets[i] != 0) {
                            long s = CounterRng.bits(seed, (long) batch.number() * budgets.length + i);
                            pred = Predictions.of(model, attack.perturb(model, x, y, (float) budgets[i], s));
                        }
                        for (int j = 0; j < labels.length; j++) {
                            if (clean[j] == labels[j] && pred[j] == labels[j]) {
                                correct[i]++;
                            }
                        }
                    }
                }
                progress.batchDone(++done, total);
            }
        } finally {
            if (wasTraining) {
                model.train();
            }
        }
        return new RobustnessCurve(label, budgets, correct, data.size(), pm);
    }
}
