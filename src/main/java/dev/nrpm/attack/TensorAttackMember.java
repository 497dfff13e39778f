package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.tensor.Tensor;

/**
 * A tensor attack (FGSM, PGD, noise: the ones training also uses, which run wholly on the backend)
 * as a member of an evaluation, with its random draws keyed per sample. For gradient attacks the
 * cross-entropy gradient at the clean point is checked first for non-finite values (not for zeros:
 * a saturated softmax zeroes it honestly, which is why AutoAttack checks zeros on DLR only).
 */
final class TensorAttackMember implements BatchAttack {
    private final Attack attack;
    private final boolean gradient;

    TensorAttackMember(Attack attack, boolean gradient) {
        this.attack = attack;
        this.gradient = gradient;
    }

    @Override
    public String name() {
        return attack.name();
    }

    @Override
    public Result run(Classifier model, SampleBatch batch, double eps, long seed, GradientHealth health) {
        if (!(model instanceof ModelClassifier mc)) {
            throw new IllegalArgumentException(attack.name() + " runs on a model's backend, not on " + model);
        }
        int n = batch.size();
        int d = batch.inner();
        int[] s = batch.shape();
        if (gradient) {
            Classifier.Gradient g = model.gradient(batch.x(), n, LogitLoss.crossEntropy(batch.labels()));
            for (int i = 0; i < n; i++) {
                health.check(batch.ids()[i], g.grad(), i * d, d, false);
            }
        }
        Backend be = mc.backend();
        float[] adv;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor x = Tensor.of(be, batch.x(), n, s[0], s[1], s[2]);
            float[] labels = new float[n];
            for (int i = 0; i < n; i++) {
                labels[i] = batch.labels()[i];
            }
            Tensor y = Tensor.of(be, labels, n);
            adv = attack.perturb(mc.module(), x, y, (float) eps, RandomDraws.perSample(seed, batch.ids())).toFloatArray();
        }
        float[] z = model.logits(adv, n);
        boolean[] broken = new boolean[n];
        for (int i = 0; i < n; i++) {
            broken[i] = Classifier.predicted(z, i, model.classes()) != batch.labels()[i];
        }
        return new Result(adv, broken);
    }
}
