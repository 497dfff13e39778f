package dev.nrpm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.attack.AttackKind;
import dev.nrpm.attack.AttackPlan;
import dev.nrpm.attack.AttackSettings;
import dev.nrpm.attack.Classifier;
import dev.nrpm.attack.LogitLoss;
import dev.nrpm.attack.Norm;
import dev.nrpm.data.ImageDataset;
import dev.nrpm.data.Split;
import dev.nrpm.testing.TrainedModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checks that need no attack run: counts that rise with the budget, the mid-gray bound. */
class MaskingChecksTest {
    /** Says class 3 for every image, mid-gray included. */
    private static final Classifier ALWAYS_THREE = new Classifier() {
        @Override
        public int classes() {
            return 10;
        }

        @Override
        public int[] inputShape() {
            return new int[] {1, 28, 28};
        }

        @Override
        public float[] logits(float[] x, int n) {
            float[] z = new float[n * 10];
            for (int i = 0; i < n; i++) {
                z[i * 10 + 3] = 1;
            }
            return z;
        }

        @Override
        public Gradient gradient(float[] x, int n, LogitLoss loss) {
            throw new UnsupportedOperationException();
        }
    };

    private static List<Finding> check(double[] budgets, long[] correct, int[] clean, ImageDataset data, Norm norm) {
        AttackPlan plan = AttackKind.APGD_CE.plan(AttackSettings.defaults().withNorm(norm), 10);
        List<Finding> out = new ArrayList<>();
        MaskingChecks.afterEvaluation(plan, ALWAYS_THREE, data, clean, budgets, correct, List.of(), out);
        return out;
    }

    @Test
    void accuracyRisingWithTheBudgetIsFlagged() {
        ImageDataset data = TrainedModels.synthDigits(Split.TEST, 50);
        int[] clean = data.labels();
        List<Finding> f = check(new double[] {0, 0.1, 0.2}, new long[] {50, 20, 25}, clean, data, Norm.LINF);
        assertEquals(1, f.size(), f.toString());
        assertEquals("accuracy-rises-with-budget", f.get(0).code());
        assertEquals(5, f.get(0).count());
        assertTrue(check(new double[] {0, 0.1, 0.2}, new long[] {50, 25, 25}, clean, data, Norm.LINF).isEmpty());
    }

    @Test
    void robustAccuracyAboveTheMidGrayBoundIsFlagged() {
        ImageDataset data = TrainedModels.synthDigits(Split.TEST, 50);
        int[] clean = data.labels();
        long threes = java.util.Arrays.stream(clean).filter(c -> c == 3).count();
        List<Finding> f = check(new double[] {0.5}, new long[] {threes + 1}, clean, data, Norm.LINF);
        assertEquals(List.of("large-budget"), f.stream().map(Finding::code).toList());
        assertTrue(check(new double[] {0.5}, new long[] {threes}, clean, data, Norm.LINF).isEmpty());
        assertTrue(check(new double[] {0.49}, new long[] {threes + 1}, clean, data, Norm.LINF).isEmpty(),
                "below 0.5 mid-gray is out of reach");
        double l2 = 0.5 * Math.sqrt(784);
        assertEquals(1, check(new double[] {l2}, new long[] {threes + 1}, clean, data, Norm.L2).size());
    }
}
