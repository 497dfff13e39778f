package dev.nrpm.attack;

/**
 * A per-sample loss on a model's logits that an attack maximizes, with its gradient with respect
 * to the logits (computed on the host in float64; the model then back-propagates it to the input).
 * Every loss here is invariant to adding a constant to a sample's logits, so models ending in
 * log-softmax (LeNet) are attacked exactly like models ending in logits.
 */
@FunctionalInterface
public interface LogitLoss {
    /**
     * @param z    logits, row-major with {@code k} classes per row
     * @param row  the sample's row (its position in the batch being evaluated)
     * @param grad where d(loss)/d(z of this row) goes, at [row * k, row * k + k)
     * @return the loss of this row
     */
    double apply(float[] z, int row, int k, double[] grad);

    /** Cross-entropy of the true class: log sum exp z - z_y. */
    static LogitLoss crossEntropy(int[] labels) {
        return (z, row, k, grad) -> {
            int o = row * k;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, z[o + j]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(z[o + j] - max);
            }
            for (int j = 0; j < k; j++) {
                grad[o + j] = Math.exp(z[o + j] - max) / sum;
            }
            grad[o + labels[row]] -= 1;
            return max + Math.log(sum) - z[o + labels[row]];
        };
    }

    /**
     * AutoAttack's targeted DLR loss: -(z_y - z_t) / (z_(1) - (z_(3) + z_(4)) / 2 + 1e-12), z_(i)
     * the i-th largest logit. Needs at least 4 classes.
     */
    static LogitLoss targetedDlr(int[] labels, int[] targets) {
        return (z, row, k, grad) -> {
            int o = row * k;
            int[] top = topFour(z, o, k);
            double den = (double) z[o + top[0]] - 0.5 * ((double) z[o + top[2]] + z[o + top[3]]) + 1e-12;
            double num = (double) z[o + targets[row]] - z[o + labels[row]];
            for (int j = 0; j < k; j++) {
                grad[o + j] = 0;
            }
            grad[o + targets[row]] += 1 / den;
            grad[o + labels[row]] -= 1 / den;
            double q = num / (den * den);
            grad[o + top[0]] -= q;
            grad[o + top[2]] += 0.5 * q;
            grad[o + top[3]] += 0.5 * q;
            return num / den;
        };
    }

    /** z_t - z_y: positive once the target beats the true class (FAB's linearized boundary). */
    static LogitLoss difference(int[] labels, int[] targets) {
        return (z, row, k, grad) -> {
            int o = row * k;
            for (int j = 0; j < k; j++) {
                grad[o + j] = 0;
            }
            grad[o + targets[row]] += 1;
            grad[o + labels[row]] -= 1;
            return (double) z[o + targets[row]] - z[o + labels[row]];
        };
    }

    /** z_y - max_{j != y} z_j: positive while the sample is classified correctly (Square's loss). */
    static double margin(float[] z, int row, int k, int label) {
        int o = row * k;
        double other = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
            if (j != label) {
                other = Math.max(other, z[o + j]);
            }
        }
        return z[o + label] - other;
    }

    /** Indices of the four largest logits of a row, largest first (ties to the lower index). */
    static int[] topFour(float[] z, int o, int k) {
        int[] top = {-1, -1, -1, -1};
        for (int j = 0; j < k; j++) {
            float v = z[o + j];
            for (int s = 0; s < 4; s++) {
                if (top[s] < 0 || v > z[o + top[s]]) {
                    System.arraycopy(top, s, top, s + 1, 3 - s);
                    top[s] = j;
                    break;
                }
            }
        }
        return top;
    }

    /** Class indices of one row sorted by score, highest first (ties to the lower index). */
    static int[] ranking(float[] z, int row, int k) {
        Integer[] idx = new Integer[k];
        for (int j = 0; j < k; j++) {
            idx[j] = j;
        }
        int o = row * k;
        java.util.Arrays.sort(idx, (a, b) -> z[o + a] != z[o + b] ? Float.compare(z[o + b], z[o + a]) : Integer.compare(a, b));
        int[] out = new int[k];
        for (int j = 0; j < k; j++) {
            out[j] = idx[j];
        }
        return out;
    }
}
