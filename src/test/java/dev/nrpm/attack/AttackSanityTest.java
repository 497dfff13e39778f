package dev.nrpm.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.eval.BatchProgress;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import dev.nrpm.testing.TrainedModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Attacks on a model that works: monotone in the budget, PGD at least as strong as FGSM, budget 0 is clean. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttackSanityTest {
    private static final double[] LINF = {0, 0.02, 0.05, 0.1, 0.2};
    private Backend cpu;
    private Module model;
    private ImageDataset test;
    private final TestRandom rnd = new TestRandom();

    @BeforeAll
    void train() {
        cpu = TestBackends.require("cpu");
        model = TrainedModels.mlp(cpu, 7);
        test = TrainedModels.synthDigits(Split.TEST, 400);
    }

    private RobustnessCurve eval(Attack attack, double[] budgets) {
        return RobustnessEvaluator.evaluate(attack == null ? "clean" : attack.name(), null, model, cpu, test, 100,
                attack, budgets, rnd.nextLong(), BatchProgress.NONE);
    }

    private static void assertNonIncreasing(RobustnessCurve c, long slack) {
        for (int i = 1; i < c.correct().length; i++) {
            assertTrue(c.correct()[i] <= c.correct()[i - 1] + slack, c + " must not rise with the budget");
        }
    }

    @Test
    void accuracyFallsWithTheBudgetAndBudgetZeroIsClean() {
        RobustnessCurve clean = eval(null, new double[] {0});
        assertTrue(clean.accuracy(0) > 0.8, "the test model must work: " + clean);
        for (Attack a : List.of(new Fgsm(), new PgdLinf(10, 0, true), new PgdL2(10, 0, true))) {
            double[] budgets = a instanceof PgdL2 ? new double[] {0, 0.5, 1, 2, 4} : LINF;
            RobustnessCurve c = eval(a, budgets);
            assertEquals(clean.correct()[0], c.correct()[0], a.name() + ": budget 0 must equal clean accuracy");
            assertNonIncreasing(c, 0);
            assertTrue(c.accuracy(budgets.length - 1) < clean.accuracy(0) - 0.2, a.name() + " must hurt: " + c);
        }
        RobustnessCurve noise = eval(new GaussianNoise(), new double[] {0, 0.1, 0.3, 0.6, 1.0});
        assertEquals(clean.correct()[0], noise.correct()[0]);
        assertNonIncreasing(noise, test.size() / 50);
    }

    @Test
    void pgdIsAtLeastAsStrongAsFgsm() {
        RobustnessCurve fgsm = eval(new Fgsm(), LINF);
        RobustnessCurve pgd = eval(new PgdLinf(10, 0, false), LINF);
        for (int i = 0; i < LINF.length; i++) {
            assertTrue(pgd.correct()[i] <= fgsm.correct()[i],
                    "PGD robust " + Arrays.toString(pgd.correct()) + " vs FGSM " + Arrays.toString(fgsm.correct()));
        }
    }

    @Test
    void perturbationsStayInTheBallAndInTheImageRange() {
        Tensor x = Tensor.of(cpu, test.images(0, 20), 20, 1, 28, 28);
        Tensor y = Tensor.of(cpu, Arrays.copyOf(toFloats(test.labels()), 20), 20);
        float[] x0 = x.toFloatArray();
        for (Attack a : List.of(new Fgsm(), new PgdLinf(5, 0.03f, true))) {
            float[] adv = a.perturb(model, x, y, 0.1f, 3).toFloatArray();
            for (int i = 0; i < adv.length; i++) {
                assertTrue(adv[i] >= 0 && adv[i] <= 1 && Math.abs(adv[i] - x0[i]) <= 0.1f + 1e-6f, a.name());
            }
        }
        float[] adv = new PgdL2(5, 0, true).perturb(model, x, y, 1.5f, 3).toFloatArray();
        for (int s = 0; s < 20; s++) {
            double norm = 0;
            for (int i = s * 784; i < (s + 1) * 784; i++) {
                norm += (adv[i] - x0[i]) * (double) (adv[i] - x0[i]);
            }
            assertTrue(Math.sqrt(norm) <= 1.5 + 1e-4, "L2 perturbation " + Math.sqrt(norm) + " outside the ball");
        }
    }

    @Test
    void attacksRunThroughNrpmLayersAndBudgetsAreChecked() {
        PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.nrpm(3, 1e-3f, 0.5f));
        try {
            RobustnessCurve c = eval(new Fgsm(), new double[] {0, 0.1});
            assertTrue(c.correct()[1] < c.correct()[0], "FGSM through NRPM layers must still find adversarial inputs");
        } finally {
            PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.lpm());
        }
        assertThrows(InvalidSettingException.class, () -> eval(new Fgsm(), new double[] {0, 1.5}));
        assertThrows(InvalidSettingException.class, () -> eval(new PgdL2(3, 0, false), new double[] {-1}));
        assertThrows(InvalidSettingException.class, () -> Attacks.create("deepfool", 1, 0, false));
    }

    private static float[] toFloats(int[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }
}
