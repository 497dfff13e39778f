package dev.nrpm.attack;

import java.util.HashSet;
import java.util.Set;

/**
 * Gradient anomalies an attack met, by sample: an input gradient that is exactly zero at the
 * attack's start point for a loss that does not saturate (DLR, FAB's logit difference: the attack
 * cannot move there; AutoAttack's own check), and one with NaN or
 * infinite values at any step. Non-finite values are zeroed where found, so that they cannot turn
 * an image into NaNs that a model then "misclassifies".
 */
public final class GradientHealth {
    private final Set<Long> zero = new HashSet<>();
    private final Set<Long> nonFinite = new HashSet<>();

    /** Checks sample id's gradient at [off, off + len); zeroes non-finite values. */
    public synchronized void check(long id, float[] g, int off, int len, boolean startPoint) {
        boolean allZero = true;
        boolean bad = false;
        for (int i = off; i < off + len; i++) {
            float v = g[i];
            if (!Float.isFinite(v)) {
                bad = true;
                g[i] = 0f;
            } else if (v != 0f) {
                allZero = false;
            }
        }
        if (bad) {
            nonFinite.add(id);
        } else if (allZero && startPoint) {
            zero.add(id);
        }
    }

    public synchronized Set<Long> zeroAtStart() {
        return Set.copyOf(zero);
    }

    public synchronized Set<Long> nonFinite() {
        return Set.copyOf(nonFinite);
    }
}
