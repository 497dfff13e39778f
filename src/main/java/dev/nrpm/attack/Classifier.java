package dev.nrpm.attack;

/**
 * What attacks see of a model: logits for a batch of flat images, and the gradient of a per-sample
 * loss of the logits with respect to the images. Arrays are host-side, row-major, one sample per
 * row of {@link #inputSize()} pixels; the model's own work stays on its backend.
 */
public interface Classifier {
    int classes();

    /** (C, H, W) of one sample. */
    int[] inputShape();

    default int inputSize() {
        int[] s = inputShape();
        return s[0] * s[1] * s[2];
    }

    /** Logits (n x classes) of the n images in x. */
    float[] logits(float[] x, int n);

    /** Logits, each sample's loss and d(sum of losses)/dx for the n images in x. */
    Gradient gradient(float[] x, int n, LogitLoss loss);

    /**
     * Whether gradients come from this model itself, or from a surrogate (then only the losses and
     * logits are the real model's).
     */
    default String gradientSource() {
        return "model";
    }

    /** The class row {@code row} of logits z predicts: argmax, ties to the lowest index; -1 for a NaN row (never correct). */
    static int predicted(float[] z, int row, int k) {
        int best = 0;
        for (int j = 0; j < k; j++) {
            float v = z[row * k + j];
            if (Float.isNaN(v)) {
                return -1;
            }
            if (v > z[row * k + best]) {
                best = j;
            }
        }
        return best;
    }

    /** The result of {@link #gradient}: logits (n x classes), losses (n), input gradient (n x inputSize). */
    record Gradient(float[] logits, double[] loss, float[] grad) {
    }
}
