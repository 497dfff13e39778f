package dev.nrpm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.attack.Attack;
import dev.nrpm.attack.RandomDraws;
import dev.nrpm.attack.Fgsm;
import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.models.InputShape;
import dev.nrpm.models.ModelSpec;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.ParamInit;
import dev.nrpm.optim.LrSchedule;
import dev.nrpm.matching.NrpmSpec;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TrainedModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Training loops and the three reprogramming paradigms, on small synthetic problems. */
class TrainingTest {
    private final Backend cpu = TestBackends.require("cpu");
    private final ImageDataset train = TrainedModels.synthDigits(Split.TRAIN, 1200);

    private Module mlp(long seed) {
        return ModelSpec.of("mlp", InputShape.MNIST).withWidths(new int[] {784, 32, 10}).withRelu(true)
                .build(new ParamInit(cpu, seed));
    }

    @Test
    void lossFallsAndTheRunIsReproducibleFromItsSeed() {
        TrainConfig cfg = TrainConfig.of(3, 50, 0.05f).withSeed(11).withSchedule(LrSchedule.cosine());
        Module a = mlp(1);
        EpochStats[] stats = TrainedModels.train(a, cpu, train, cfg);
        assertTrue(stats[2].loss() < stats[0].loss(), "loss must fall: " + List.of(stats));
        assertTrue(stats[2].lr() < stats[0].lr(), "cosine schedule lowers the rate");
        Module b = mlp(1);
        TrainedModels.train(b, cpu, train, cfg);
        assertArrayEquals(a.namedParameters().get("fc1.weight").toFloatArray(),
                b.namedParameters().get("fc1.weight").toFloatArray(), "same seed, same run");
    }

    @Test
    void adversarialTrainingRunsAndKeepsBatchNormStatisticsOutOfTheAttack() {
        Module model = ModelSpec.of("lenet", InputShape.MNIST).build(new ParamInit(cpu, 3));
        TrainConfig cfg = TrainConfig.of(1, 50, 0.02f).withAdversarial(new AdversarialSetting(new Fgsm(), 0.1f, false));
        EpochStats[] stats = TrainedModels.train(model, cpu, train, cfg);
        assertTrue(Float.isFinite((float) stats[0].loss()));
        assertTrue(model.isTraining(), "the attack's evaluation mode is undone after each batch");
    }

    @Test
    void paradigmsTrainWhatTheyShould() {
        NrpmSpec spec = NrpmSpec.l1(2, 1e-3f);
        for (Paradigm p : Paradigm.values()) {
            Module model = mlp(5);
            List<String> layers = p.apply(model, List.of("*"), spec, new float[] {0.5f});
            assertEquals(List.of("fc1", "fc2"), layers);
            Map<String, Tensor> params = model.namedParameters();
            float[] weightBefore = params.get("fc1.weight").toFloatArray();
            boolean anyTrainable = params.values().stream().anyMatch(Tensor::requiresGrad);
            assertEquals(p.trains(), anyTrainable, p + ": trainable parameters");
            if (!p.trains()) {
                assertFalse(params.containsKey("fc1.lambda"), "paradigm 1 keeps lambda fixed");
                continue;
            }
            float lambdaBefore = params.get("fc1.lambda").item();
            TrainedModels.train(model, cpu, train, TrainConfig.of(1, 100, 0.5f));
            boolean weightsMoved = !java.util.Arrays.equals(weightBefore, params.get("fc1.weight").toFloatArray());
            assertEquals(p == Paradigm.TRAIN_ALL, weightsMoved, p + ": weights trained");
            assertNotEquals(lambdaBefore, params.get("fc1.lambda").item(), p + ": lambda trained");
        }
        assertThrows(InvalidSettingException.class, () -> Paradigm.of(4));
    }

    @Test
    void divergenceIsATypedErrorNamingWhere() {
        Module model = mlp(9);
        NonFiniteException e = assertThrows(NonFiniteException.class,
                () -> TrainedModels.train(model, cpu, train, TrainConfig.of(1, 50, 1e30f)));
        assertTrue(e.getMessage().contains("epoch 1"), e.getMessage());
    }

    /** The message of the divergence error when adversarial training uses this attack. */
    private String divergenceWith(java.util.function.UnaryOperator<Tensor> perturb) {
        Attack attack = new Attack() {
            @Override public String name() { return "stub"; }
            @Override public dev.nrpm.attack.BudgetKind budgetKind() { return dev.nrpm.attack.BudgetKind.LINF; }
            @Override public void checkBudget(double budget) { }
            @Override public Tensor perturb(Module model, Tensor x, Tensor labels, float budget, RandomDraws draws) {
                return perturb.apply(x);
            }
        };
        TrainConfig cfg = TrainConfig.of(1, 50, 0.01f).withAdversarial(new AdversarialSetting(attack, 0.1f, false));
        return assertThrows(NonFiniteException.class, () -> TrainedModels.train(mlp(9), cpu, train, cfg)).getMessage();
    }

    /**
     * An attack whose gradient overflowed (as a diverging model's does: NaN pixels out of the
     * attack) is reported as divergence, not as bad input data at the first layer.
     */
    @Test
    void anOverflowingAttackIsReportedAsDivergence() {
        String m = divergenceWith(x -> {
            float[] v = x.toFloatArray();
            v[v.length / 2] = Float.NaN;
            return Tensor.of(x.backend(), v, x.shape());
        });
        assertTrue(m.contains("training diverged at epoch 1, batch 1") && m.contains("1 of 39200 attacked pixels"), m);
    }

    /** The same when a later step of the attack meets the NaN pixels of an earlier one (PGD). */
    @Test
    void nonFiniteValuesInsideTheAttackAreReportedAsDivergence() {
        String m = divergenceWith(x -> {
            throw new NonFiniteException("conv1: input to NRPM holds 3 NaN or infinite values of 39200");
        });
        assertTrue(m.contains("training diverged at epoch 1, batch 1") && m.contains("inside the attack, conv1: input to NRPM"),
                m);
    }
}
