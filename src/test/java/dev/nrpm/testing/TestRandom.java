package dev.nrpm.testing;

import java.util.SplittableRandom;

/**
 * Fresh random shapes and values for every run; the seed goes into every failure message so a
 * failing case can be replayed with -Dnrpm.test.seed=SEED.
 */
public final class TestRandom {
    private final long seed;
    private final SplittableRandom random;

    public TestRandom() {
        this(Long.getLong("nrpm.test.seed", System.nanoTime()));
    }

    public TestRandom(long seed) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    public long seed() {
        return seed;
    }

    /** "seed=..." for assertion messages. */
    public String tag() {
        return "seed=" + seed;
    }

    public int between(int lo, int hiInclusive) {
        return lo + random.nextInt(hiInclusive - lo + 1);
    }

    public double uniform(double lo, double hi) {
        return lo + (hi - lo) * random.nextDouble();
    }

    public double gaussian() {
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public long nextLong() {
        return random.nextLong();
    }

    /** n values, normal with the given scale; never all zero. */
    public float[] normal(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian() * scale);
        }
        return v;
    }

    public float[] uniformArray(int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) uniform(lo, hi);
        }
        return v;
    }

    public <T> T pick(T[] options) {
        return options[random.nextInt(options.length)];
    }
}
