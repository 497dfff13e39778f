package dev.nrpm.backend.cpu;

/**
 * Sums of float ranges in double, with four independent accumulators: one accumulator makes every
 * add wait for the previous one (4 cycles), and C2 does not reorder floating-point sums itself.
 * Three times faster than the plain loop on a million floats (0.33 vs 0.97 ms here); the result
 * differs from it only by rounding in double.
 */
final class Sums {
    private Sums() {
    }

    /** The sum of x[from, to). */
    static double sum(float[] x, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < to; i++) {
            s0 += x[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The sum of (x[i] - mean)^2 over [from, to). */
    static double squaredDeviations(float[] x, int from, int to, double mean) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            double d0 = x[i] - mean;
            double d1 = x[i + 1] - mean;
            double d2 = x[i + 2] - mean;
            double d3 = x[i + 3] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < to; i++) {
            double d = x[i] - mean;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * Adds to out[0] the sum of gy[i] and to out[1] the sum of gy[i] * (x[i] - mu) * inv over
     * [from, to) (batch norm's backward: the gradients of beta and gamma).
     */
    static void gradientSums(float[] gy, float[] x, int from, int to, float mu, float inv, double[] out) {
        double g0 = 0;
        double g1 = 0;
        double p0 = 0;
        double p1 = 0;
        int i = from;
        for (; i + 1 < to; i += 2) {
            g0 += gy[i];
            g1 += gy[i + 1];
            p0 += gy[i] * ((x[i] - mu) * inv);
            p1 += gy[i + 1] * ((x[i + 1] - mu) * inv);
        }
        for (; i < to; i++) {
            g0 += gy[i];
            p0 += gy[i] * ((x[i] - mu) * inv);
        }
        out[0] += g0 + g1;
        out[1] += p0 + p1;
    }
}
