package dev.nrpm.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.testing.TestRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AutoAttack's standard version as published (ATTACKS.md): members and their order, iterations,
 * restarts, targets, queries, the APGD checkpoint schedule and Square's window schedule, checked
 * both as settings and by counting what each attack asks of the model.
 */
class PublishedSettingsTest {
    private final TestRandom rnd = new TestRandom();

    @Test
    void theStandardVersionHasThePublishedMembersAndSettings() {
        for (Norm norm : Norm.values()) {
            AttackPlan plan = AttackKind.AUTOATTACK.plan(AttackSettings.defaults().withNorm(norm), 10);
            assertEquals(List.of("apgd-ce", "apgd-t", "fab-t", "square"), plan.memberNames());
            Apgd ce = assertInstanceOf(Apgd.class, plan.members().get(0).attack());
            Apgd t = assertInstanceOf(Apgd.class, plan.members().get(1).attack());
            FabTargeted fab = assertInstanceOf(FabTargeted.class, plan.members().get(2).attack());
            Square square = assertInstanceOf(Square.class, plan.members().get(3).attack());
            assertEquals(Apgd.Loss.CE, ce.loss());
            assertEquals(100, ce.iterations());
            assertEquals(1, ce.restarts());
            assertEquals(Apgd.Loss.TARGETED_DLR, t.loss());
            assertEquals(100, t.iterations());
            assertEquals(9, t.targets());
            assertEquals(1, t.restarts());
            assertEquals(100, fab.iterations());
            assertEquals(9, fab.targets());
            assertEquals(5000, square.queries());
            assertEquals(0.8, square.pInit());
            assertEquals(norm, ce.norm());
            assertEquals(BudgetKind.of(norm), plan.budget());
            assertEquals(AttackPlan.Role.GRADIENT_FREE, plan.members().get(3).role());
        }
        assertEquals(0.1, FabTargeted.ALPHA_MAX);
        assertEquals(1.05, FabTargeted.ETA);
        assertEquals(0.9, FabTargeted.BETA);
        assertEquals(0.75, Apgd.MOMENTUM);
        assertEquals(0.75, Apgd.RHO);
    }

    @Test
    void apgdChecksItsStepSizeOnThePublishedSchedule() {
        assertArrayEquals(new int[] {22, 41, 57, 70, 80, 87, 93, 99}, Apgd.checkpoints(100));
        assertArrayEquals(new int[] {2, 3, 4, 5, 6, 7, 8, 9, 10}, Apgd.checkpoints(10)); // gaps 2, then 1 (at least 1)
    }

    @Test
    void squareHalvesItsWindowOnThePublishedSchedule() {
        int[] marks = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
        double p = 0.8;
        assertEquals(p, Square.fraction(0.8, 0));
        for (int m : marks) {
            assertEquals(p, Square.fraction(0.8, m), "at " + m);
            p /= 2;
            assertEquals(p, Square.fraction(0.8, m + 1), "after " + m);
        }
    }

    /** Counts the model's work per sample on points it cannot break (budget 0 leaves every point correct). */
    @Test
    void eachAttackSpendsThePublishedEffort() {
        int classes = 10;
        Counting model = Counting.linear(rnd, classes, new int[] {1, 6, 6});
        SampleBatch b = model.batch(rnd, 3);
        model.reset();
        new Apgd(Norm.LINF, Apgd.Loss.CE, 100, 1, 1).run(model, b, 0, 1, new GradientHealth());
        assertEquals(3 * 101, model.gradientRows, "APGD-CE: the start point and 100 iterations per sample");
        model.reset();
        new Apgd(Norm.LINF, Apgd.Loss.TARGETED_DLR, 100, 1, 9).run(model, b, 0, 1, new GradientHealth());
        assertEquals(3 * 9 * 101, model.gradientRows, "APGD-T: 9 targets x (start + 100 iterations)");
        model.reset();
        new FabTargeted(Norm.LINF, 100, 9).run(model, b, 0, 1, new GradientHealth());
        assertEquals(3 * 9 * 100, model.gradientRows, "FAB-T: 9 targets x 100 iterations");
        model.reset();
        new Square(Norm.LINF, 5000, 0.8).run(model, b, 0, 1, new GradientHealth());
        assertEquals(3 * 5000, model.logitRows, "Square: 5000 queries per sample");
        assertEquals(0, model.gradientRows, "Square never asks for a gradient");
    }

    @Test
    void badSettingsNameTheirOption() {
        AttackSettings d = AttackSettings.defaults();
        assertMessage("--queries", () -> AttackKind.SQUARE.plan(d.withQueries(0), 10));
        assertMessage("--targets", () -> AttackKind.APGD_T.plan(d.withTargets(10), 10));
        assertMessage("--targets", () -> AttackKind.FAB_T.plan(d.withTargets(0), 10));
        assertMessage("--steps", () -> AttackKind.AUTOATTACK.plan(d.withSteps(0), 10));
        assertMessage("--norm", () -> AttackKind.PGD.plan(d.withNorm(Norm.L2), 10));
        assertMessage("--norm", () -> Norm.parse("l3"));
        assertMessage("--attack", () -> AttackKind.parse("deepfool"));
        assertMessage("--budgets", () -> AttackKind.AUTOATTACK.plan(d, 10).checkBudget(1.5));
        assertMessage("--budgets", () -> AttackKind.AUTOATTACK.plan(d.withNorm(Norm.L2), 10).checkBudget(-0.5));
        assertMessage("classes", () -> AttackKind.APGD_T.plan(d, 3));
        assertEquals(2, ((Apgd) AttackKind.APGD_T.plan(d, 3 + 1).members().get(0).attack()).targets() - 1,
                "with 4 classes the default targets are the 3 wrong ones");
    }

    private static void assertMessage(String needle, org.junit.jupiter.api.function.Executable e) {
        InvalidSettingException ex = assertThrows(InvalidSettingException.class, e);
        org.junit.jupiter.api.Assertions.assertTrue(ex.getMessage().contains(needle), ex.getMessage());
    }

    /** A fixed linear classifier on the host that counts the rows it is asked about. */
    static final class Counting implements Classifier {
        final float[] w;
        final int classes;
        final int[] shape;
        long gradientRows;
        long logitRows;

        private Counting(float[] w, int classes, int[] shape) {
            this.w = w;
            this.classes = classes;
            this.shape = shape;
        }

        static Counting linear(TestRandom rnd, int classes, int[] shape) {
            int d = shape[0] * shape[1] * shape[2];
            float[] w = new float[classes * d];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.gaussian();
            }
            return new Counting(w, classes, shape);
        }

        /** n random images, labelled with the class the model gives them (so they start correct). */
        SampleBatch batch(TestRandom rnd, int n) {
            int d = inputSize();
            float[] x = new float[n * d];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rnd.uniform(0, 1);
            }
            float[] z = logits(x, n);
            int[] labels = new int[n];
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                labels[i] = Classifier.predicted(z, i, classes);
                ids[i] = i;
            }
            return new SampleBatch(x, labels, ids, shape);
        }

        void reset() {
            gradientRows = 0;
            logitRows = 0;
        }

        @Override
        public int classes() {
            return classes;
        }

        @Override
        public int[] inputShape() {
            return shape.clone();
        }

        @Override
        public float[] logits(float[] x, int n) {
            logitRows += n;
            int d = inputSize();
            float[] z = new float[n * classes];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < classes; j++) {
                    double s = 0;
                    for (int p = 0; p < d; p++) {
                        s += (double) w[j * d + p] * x[i * d + p];
                    }
                    z[i * classes + j] = (float) s;
                }
            }
            return z;
        }

        @Override
        public Gradient gradient(float[] x, int n, LogitLoss loss) {
            gradientRows += n;
            logitRows -= n; // the forward inside a gradient is not a separate query
            float[] z = logits(x, n);
            int d = inputSize();
            double[] gz = new double[n * classes];
            double[] values = new double[n];
            float[] gx = new float[n * d];
            for (int i = 0; i < n; i++) {
                values[i] = loss.apply(z, i, classes, gz);
                for (int p = 0; p < d; p++) {
                    double s = 0;
                    for (int j = 0; j < classes; j++) {
                        s += gz[i * classes + j] * w[j * d + p];
                    }
                    gx[i * d + p] = (float) s;
                }
            }
            return new Gradient(z, values, gx);
        }
    }
}
