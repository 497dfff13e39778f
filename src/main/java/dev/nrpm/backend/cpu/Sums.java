package dev.nrpm.backend.cpu;

/**
 * Reductions over a float range (batch norm's, channel sums), summed in double with independent
 * accumulators: one accumulator makes every add wait for the previous one (4 cycles), and C2 does
 * not reorder floating-point sums itself (a plain sum of a million floats: 0.97 ms here, with four
 * accumulators 0.33 ms); results differ from the plain loop's only by rounding.
 */
final class Sums {
    private Sums() {
    }

    /** The sum of a[from..to). */
    static double sum(float[] a, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += a[i];
            s1 += a[i + 1];
            s2 += a[i + 2];
            s3 += a[i + 3];
        }
        for (; i < to; i++) {
            s0 += a[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Adds to out[0] the sum of u = a[i] - aShift and to out[1] the sum of u (b[i] - bShift) bScale
     * over [from, to). With a = b = x and both shifts one value of x, these are the shifted sums
     * whose mean and variance batch norm's forward takes in one pass; with a = gy, aShift = 0,
     * b = x, bShift = mean and bScale = 1/std, the gradients of beta and gamma.
     */
    static void sumAndDot(float[] a, float aShift, float[] b, float bShift, float bScale, int from, int to,
                          double[] out) {
        double s0 = 0;
        double s1 = 0;
        double d0 = 0;
        double d1 = 0;
        int i = from;
        for (; i + 1 < to; i += 2) {
            float u0 = a[i] - aShift;
            float u1 = a[i + 1] - aShift;
            s0 += u0;
            s1 += u1;
            d0 += u0 * ((b[i] - bShift) * bScale);
            d1 += u1 * ((b[i + 1] - bShift) * bScale);
        }
        for (; i < to; i++) {
            float u = a[i] - aShift;
            s0 += u;
            d0 += u * ((b[i] - bShift) * bScale);
        }
        out[0] += s0 + s1;
        out[1] += d0 + d1;
    }
}
