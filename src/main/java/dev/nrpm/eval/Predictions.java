package dev.nrpm.eval;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.nn.NonFiniteTrace;
import dev.nrpm.nn.Module;
import dev.nrpm.tensor.Tensor;

/** Class predictions: the argmax of each row of a model's output, computed on the host. */
public final class Predictions {
    private Predictions() {
    }

    /** argmax per row of scores (rows, cols); ties go to the lowest index. */
    public static int[] argmax(float[] scores, int rows, int cols) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) {
                if (scores[r * cols + c] > scores[r * cols + best]) {
                    best = c;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /** The model's predicted classes for x, without recording a graph. */
    public static int[] of(Module model, Tensor x) {
        try (GradMode.Guard g = GradMode.noGrad()) {
            NonFiniteTrace.Output out = NonFiniteTrace.forward(model, x, "predictions");
            return argmax(out.values(), out.tensor().dim(0), out.tensor().dim(1));
        }
    }
}
