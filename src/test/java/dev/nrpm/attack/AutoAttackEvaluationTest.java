package dev.nrpm.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.eval.AttackBreakdown;
import dev.nrpm.eval.EvalOptions;
import dev.nrpm.eval.ProgressSink;
import dev.nrpm.eval.RobustnessCurve;
import dev.nrpm.eval.RobustnessEvaluator;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.PatternMatchingSwitch;
import dev.nrpm.matching.PatternMatching;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import dev.nrpm.testing.TrainedModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** AutoAttack through the evaluator, on a small trained model. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AutoAttackEvaluationTest {
    private static final double[] BUDGETS = {0, 0.05, 0.1, 0.2};
    private final TestRandom rnd = new TestRandom();
    private Backend cpu;
    private Module model;
    private ImageDataset test;

    @BeforeAll
    void train() {
        cpu = TestBackends.require("cpu");
        model = TrainedModels.mlp(cpu, 5);
        test = TrainedModels.synthDigits(Split.TEST, 200);
    }

    private RobustnessCurve eval(ImageDataset data, AttackPlan plan, double[] budgets, EvalOptions opt) {
        return RobustnessEvaluator.evaluate("m", null, model, cpu, data, plan, budgets, opt, ProgressSink.NONE);
    }

    private static AttackPlan plan(AttackKind kind, AttackSettings s) {
        return kind.plan(s, 10);
    }

    /** AutoAttack with 30 iterations and 300 queries (the full one takes too long for the suite) against PGD-10. */
    @Test
    void autoAttackIsAtLeastAsStrongAsPgdWhichIsAtLeastAsStrongAsFgsm() {
        ImageDataset data = test.slice(0, 60);
        long seed = rnd.between(0, 1 << 30);
        EvalOptions opt = EvalOptions.of(50, seed);
        AttackSettings d = AttackSettings.defaults();
        RobustnessCurve aa = eval(data, plan(AttackKind.AUTOATTACK, d.withSteps(30).withQueries(300)), BUDGETS, opt);
        RobustnessCurve pgd = eval(data, plan(AttackKind.PGD, d.withRandomStart(true)), BUDGETS, opt);
        RobustnessCurve fgsm = eval(data, plan(AttackKind.FGSM, d), BUDGETS, opt);
        RobustnessCurve clean = eval(data, null, new double[] {0}, opt);
        assertTrue(clean.accuracy(0) > 0.8, "the model must work: " + clean + " " + rnd.tag());
        for (int i = 0; i < BUDGETS.length; i++) {
            String at = "budget " + BUDGETS[i] + ": aa " + aa + ", pgd " + pgd + ", fgsm " + fgsm + " " + rnd.tag();
            assertTrue(aa.correct()[i] <= pgd.correct()[i], at);
            assertTrue(pgd.correct()[i] <= fgsm.correct()[i], at);
        }
        assertEquals(clean.correct()[0], aa.correct()[0], "budget 0 is clean accuracy");
        assertTrue(aa.correct()[BUDGETS.length - 1] < clean.correct()[0] / 4, "AutoAttack must hurt at 0.2: " + aa);
        AttackBreakdown bd = aa.breakdown(0.1);
        assertNotNull(bd);
        assertEquals(List.of("apgd-ce", "apgd-t", "fab-t", "square"), bd.members());
        for (int m = 1; m < bd.members().size(); m++) {
            assertTrue(bd.robustAfter()[m] <= bd.robustAfter()[m - 1], "each member runs on what is left");
            assertEquals(bd.robustAfter()[m - 1] - bd.broken()[m], bd.robustAfter()[m]);
        }
        assertEquals(clean.correct()[0] - bd.broken()[0], bd.robustAfter()[0]);
    }

    /**
     * The numbers, which member broke each sample and the adversarial images themselves do not
     * depend on the batch size, nor on which other samples are evaluated, also through NRPM layers.
     */
    @Test
    void resultsDoNotDependOnBatchSizeOrOnTheOtherSamples() {
        PatternMatchingSwitch.apply(model, List.of("fc1"), PatternMatching.nrpm(1, 1e-3f, 0.5f));
        try {
            ImageDataset data = test.slice(13, 40);
            long seed = rnd.between(0, 1 << 30);
            AttackPlan plan = plan(AttackKind.AUTOATTACK, AttackSettings.defaults().withSteps(10).withQueries(100));
            double[] budgets = {0.05, 0.1};
            RobustnessCurve whole = eval(data, plan, budgets, EvalOptions.of(40, seed).keepingAdversarial(true));
            RobustnessCurve small = eval(data, plan, budgets, EvalOptions.of(7, seed).keepingAdversarial(true));
            assertArrayEquals(whole.correct(), small.correct(), rnd.tag());
            int d = data.imageSize();
            ImageDataset part = test.slice(30, 12); // samples 17..28 of data
            RobustnessCurve partial = eval(part, plan, budgets, EvalOptions.of(5, seed).keepingAdversarial(true));
            for (int b = 0; b < budgets.length; b++) {
                AttackBreakdown x = whole.breakdown(budgets[b]);
                AttackBreakdown y = small.breakdown(budgets[b]);
                AttackBreakdown z = partial.breakdown(budgets[b]);
                assertArrayEquals(x.outcome(), y.outcome(), "batch 40 vs 7 " + rnd.tag());
                assertArrayEquals(x.adversarial(), y.adversarial(), "batch 40 vs 7 " + rnd.tag());
                assertArrayEquals(Arrays.copyOfRange(x.outcome(), 17, 29), z.outcome(), "a subset " + rnd.tag());
                assertArrayEquals(Arrays.copyOfRange(x.adversarial(), 17 * d, 29 * d), z.adversarial(), rnd.tag());
            }
        } finally {
            PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.lpm());
        }
    }

    /** An evaluation in 3 or 7 shards, merged, is the one-part evaluation: counts, outcomes, images, findings. */
    @Test
    void shardedEqualsWholeExactly() {
        PatternMatchingSwitch.apply(model, List.of("fc1"), PatternMatching.nrpm(1, 1e-3f, 0.5f));
        try {
            ImageDataset data = test.slice(5, 31);
            long seed = rnd.between(0, 1 << 30);
            AttackPlan plan = plan(AttackKind.AUTOATTACK, AttackSettings.defaults().withSteps(8).withQueries(60));
            double[] budgets = {0, 0.08, 0.2};
            EvalOptions opt = EvalOptions.of(6, seed).keepingAdversarial(true).withProbes(true);
            RobustnessCurve whole = eval(data, plan, budgets, opt);
            for (int shards : new int[] {3, 7}) {
                RobustnessCurve parts = RobustnessEvaluator.evaluateSharded("m", null, model, cpu, data, plan, budgets,
                        opt, ProgressSink.NONE, shards);
                assertArrayEquals(whole.correct(), parts.correct(), shards + " shards " + rnd.tag());
                assertArrayEquals(whole.sampleIds(), parts.sampleIds());
                for (int b = 0; b < whole.breakdowns().size(); b++) {
                    AttackBreakdown x = whole.breakdowns().get(b);
                    AttackBreakdown y = parts.breakdowns().get(b);
                    assertArrayEquals(x.outcome(), y.outcome(), shards + " shards " + rnd.tag());
                    assertArrayEquals(x.adversarial(), y.adversarial());
                    assertArrayEquals(x.robustAfter(), y.robustAfter());
                    assertArrayEquals(x.broken(), y.broken());
                    assertArrayEquals(x.health().attacked(), y.health().attacked());
                    assertArrayEquals(x.health().zeroGradient(), y.health().zeroGradient());
                }
                assertEquals(whole.findings().stream().map(f -> f.code() + f.count() + "/" + f.of() + f.message()).toList(),
                        parts.findings().stream().map(f -> f.code() + f.count() + "/" + f.of() + f.message()).toList());
            }
        } finally {
            PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.lpm());
        }
    }

    @Test
    void adaptiveSurrogatesScoreOnTheRealModelAndLeaveItUnchanged() {
        PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.nrpm(2, 1e-3f, 0.3f));
        try {
            ImageDataset data = test.slice(0, 30);
            float[] before = new ModelClassifier(model, cpu, new int[] {1, 28, 28}, 10).logits(data.images(0, 30), 30);
            AttackPlan plan = plan(AttackKind.ADAPTIVE, AttackSettings.defaults().withSteps(20));
            assertEquals(List.of(AttackPlan.Role.WHITE_BOX, AttackPlan.Role.SURROGATE, AttackPlan.Role.SURROGATE),
                    plan.members().stream().map(AttackPlan.Member::role).toList());
            RobustnessCurve c = eval(data, plan, new double[] {0, 0.1}, EvalOptions.of(30, 1).keepingAdversarial(true));
            float[] after = new ModelClassifier(model, cpu, new int[] {1, 28, 28}, 10).logits(data.images(0, 30), 30);
            assertArrayEquals(before, after, "surrogates must switch the layers back");
            AttackBreakdown bd = c.breakdown(0.1);
            // every sample counted as broken is misclassified by the real model at its saved point
            float[] z = new ModelClassifier(model, cpu, new int[] {1, 28, 28}, 10).logits(bd.adversarial(), 30);
            for (int i = 0; i < 30; i++) {
                if (bd.outcome()[i] >= 0) {
                    assertTrue(Classifier.predicted(z, i, 10) != data.label(i), "sample " + i + " counted as broken");
                }
            }
        } finally {
            PatternMatchingSwitch.apply(model, List.of("*"), PatternMatching.lpm());
        }
    }
}
