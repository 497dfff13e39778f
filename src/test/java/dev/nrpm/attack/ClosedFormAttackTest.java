package dev.nrpm.attack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.backend.Backend;
import dev.nrpm.testing.TestBackends;
import dev.nrpm.testing.TestRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On linear classifiers the worst case under an L-inf budget in the [0, 1] box is known exactly:
 * APGD-CE, APGD-T and Square must break exactly the samples that can be broken, and FAB's minimal
 * perturbation must match the exact distance to the decision boundary. Samples whose exact worst
 * margin is within a hair of 0 are left out (which side of 0 they land on is float rounding).
 */
class ClosedFormAttackTest {
    private final TestRandom rnd = new TestRandom();

    private void assertExact(BatchAttack attack, LinearWorstCase lin, double eps, Backend be) {
        assertExact(attack, lin, eps, be, Norm.LINF);
    }

    private void assertExact(BatchAttack attack, LinearWorstCase lin, double eps, Backend be, Norm norm) {
        ModelClassifier model = new ModelClassifier(lin.model, be, lin.shape, lin.classes);
        SampleBatch batch = lin.batch();
        BatchAttack.Result res = attack.run(model, batch, eps, rnd.between(0, 1 << 30), new GradientHealth());
        double tau = 1e-3 * lin.scale();
        int checked = 0;
        int breakable = 0;
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            double m = norm == Norm.LINF ? lin.worstMargin(i, eps) : lin.worstMarginL2(i, 1 - lin.labels[i], eps);
            if (Math.abs(m) < tau) {
                continue;
            }
            checked++;
            breakable += m < 0 ? 1 : 0;
            if (res.broken()[i] != (m < 0)) {
                wrong.add("sample " + i + " exact worst margin " + m + ", attack says broken=" + res.broken()[i]);
            }
            if (res.broken()[i]) {
                assertTrue(norm.contains(res.adv(), batch.x(), i * lin.d, lin.d, eps), "outside the ball");
                double[] z = lin.logits(res.adv(), i * lin.d, null);
                assertTrue(LinearWorstCase.argmax(z) != lin.labels[i], "claimed point is classified correctly");
            }
        }
        assertTrue(checked > batch.size() / 2 && breakable > 0 && breakable < checked,
                "the instance must mix breakable and robust samples: " + breakable + "/" + checked + " " + rnd.tag());
        assertTrue(wrong.isEmpty(), attack.name() + " missed the exact worst case (" + rnd.tag() + "):\n"
                + String.join("\n", wrong));
    }

    /** A budget that makes about half of the samples breakable. */
    private static double medianBudget(LinearWorstCase lin, int n) {
        double[] dist = new double[n];
        for (int i = 0; i < n; i++) {
            dist[i] = Math.min(lin.distance(i), 1.0);
        }
        java.util.Arrays.sort(dist);
        return dist[n / 2];
    }

    /**
     * With two classes the cross-entropy is a monotone function of the one margin, and Square's
     * margin is linear in the image: both attacks then face the exact problem. (With more classes
     * the cross-entropy maximum can sit where no single class beats the true one, and the margin
     * min_j (z_y - z_j) is concave, so a local search can stall: that is what APGD-T's one run per
     * target class is for.)
     */
    @Test
    void apgdCeAndSquareReachTheExactWorstCaseOfTwoClasses() {
        Backend be = TestBackends.require("cpu");
        int n = 40;
        LinearWorstCase lin = new LinearWorstCase(be, rnd, n, 2);
        double eps = medianBudget(lin, n);
        assertExact(new Apgd(Norm.LINF, Apgd.Loss.CE, 100, 1, 1), lin, eps, be);
        assertExact(new Square(Norm.LINF, 5000, 0.8), lin, eps, be);
    }

    /** The same in the L2 ball (with two classes: the L2 worst case is exact per class pair). */
    @Test
    void apgdCeReachesTheExactL2WorstCaseOfTwoClasses() {
        Backend be = TestBackends.require("cpu");
        int n = 40;
        LinearWorstCase lin = new LinearWorstCase(be, rnd, n, 2);
        double[] dist = l2DistancesToTheOtherClass(lin, n);
        java.util.Arrays.sort(dist);
        assertExact(new Apgd(Norm.L2, Apgd.Loss.CE, 100, 1, 1), lin, dist[n / 2], be, Norm.L2);
    }

    /**
     * Square's L2 search moves smooth square blobs, which the dense white-noise weights of a random
     * linear model do not favour: it does not reach the exact L2 worst case there (about half of
     * the breakable samples at the median budget), so it is checked for sound claims and for
     * breaking the samples that are far past the boundary.
     */
    @Test
    void squareL2ClaimsOnlyRealBreaksAndFindsTheEasyOnes() {
        Backend be = TestBackends.require("cpu");
        int n = 40;
        LinearWorstCase lin = new LinearWorstCase(be, rnd, n, 2);
        double[] dist = l2DistancesToTheOtherClass(lin, n);
        double[] sorted = dist.clone();
        java.util.Arrays.sort(sorted);
        double eps = sorted[n / 2];
        ModelClassifier model = new ModelClassifier(lin.model, be, lin.shape, lin.classes);
        SampleBatch batch = lin.batch();
        BatchAttack.Result res = new Square(Norm.L2, 5000, 0.8).run(model, batch, eps, rnd.between(0, 1 << 20),
                new GradientHealth());
        for (int i = 0; i < n; i++) {
            if (res.broken()[i]) {
                assertTrue(dist[i] <= eps * (1 + 1e-6), "sample " + i + " cannot be broken at " + eps + " " + rnd.tag());
                assertTrue(Norm.L2.contains(res.adv(), batch.x(), i * lin.d, lin.d, eps), "outside the ball");
                assertTrue(LinearWorstCase.argmax(lin.logits(res.adv(), i * lin.d, null)) != lin.labels[i]);
            } else {
                assertTrue(dist[i] > eps / 4, "sample " + i + " is 4x past the boundary at " + eps + " " + rnd.tag());
            }
        }
    }

    @Test
    void fabFindsTheExactL2DistanceToTheBoundary() {
        Backend be = TestBackends.require("cpu");
        int n = 30;
        LinearWorstCase lin = new LinearWorstCase(be, rnd, n, 2);
        ModelClassifier model = new ModelClassifier(lin.model, be, lin.shape, lin.classes);
        double[] found = new FabTargeted(Norm.L2, 100, 1).minimalPerturbation(model, lin.batch(), new GradientHealth());
        for (int i = 0; i < n; i++) {
            double exact = lin.distanceToL2(i, 1 - lin.labels[i]);
            if (!Double.isFinite(exact)) {
                assertTrue(!Double.isFinite(found[i]), "FAB found a boundary that does not exist");
                continue;
            }
            assertTrue(found[i] >= exact * (1 - 1e-4) - 1e-6 && found[i] <= exact * 1.01 + 1e-6,
                    "FAB L2 " + found[i] + " vs exact " + exact + " (sample " + i + ", " + rnd.tag() + ")");
        }
    }

    /** One targeted run per wrong class reaches the exact worst case of every class pair. */
    @Test
    void apgdTReachesTheExactWorstCase() {
        Backend be = TestBackends.require("cpu");
        for (int trial = 0; trial < 2; trial++) {
            int n = 40;
            LinearWorstCase lin = new LinearWorstCase(be, rnd, n, rnd.between(4, 6));
            assertExact(new Apgd(Norm.LINF, Apgd.Loss.TARGETED_DLR, 100, 1, lin.classes - 1), lin, medianBudget(lin, n), be);
        }
    }

    @Test
    void fabFindsTheExactDistanceToTheBoundary() {
        Backend be = TestBackends.require("cpu");
        int n = 30;
        LinearWorstCase lin = new LinearWorstCase(be, rnd, n, rnd.between(4, 6));
        ModelClassifier model = new ModelClassifier(lin.model, be, lin.shape, lin.classes);
        double[] found = new FabTargeted(Norm.LINF, 100, lin.classes - 1)
                .minimalPerturbation(model, lin.batch(), new GradientHealth());
        for (int i = 0; i < n; i++) {
            double exact = lin.distance(i);
            if (exact >= 1) {
                continue;
            }
            assertTrue(found[i] >= exact * (1 - 1e-4) - 1e-6, "FAB below the exact distance: " + found[i] + " < " + exact
                    + " " + rnd.tag());
            assertTrue(found[i] <= exact * 1.01 + 1e-6, "FAB's minimal perturbation " + found[i]
                    + " vs exact distance " + exact + " (sample " + i + ", " + rnd.tag() + ")");
        }
    }

    /** Each sample's exact L2 distance to the other class's region (two classes). */
    private static double[] l2DistancesToTheOtherClass(LinearWorstCase lin, int n) {
        double[] dist = new double[n];
        for (int i = 0; i < n; i++) {
            dist[i] = lin.distanceToL2(i, 1 - lin.labels[i]);
        }
        return dist;
    }
}
