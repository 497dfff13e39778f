package dev.nrpm.data;

/**
 * A small, fully specified random generator (SplitMix64) for everything seeded in this package:
 * synthetic samples, shuffles, augmentations. Its output depends only on the code below, never
 * on the JDK version, so a seed reproduces a dataset or an epoch order anywhere (the synthetic
 * generators use StrictMath for the same reason: Math.sin and friends may differ by an ulp
 * between JVMs and CPUs). Streams are derived per (seed, key) with {@link #derive}, so sample i
 * of a synthetic set, or the augmentation of sample i in epoch e, is drawn without generating
 * anything before it.
 */
final class SplitMix {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;

    SplitMix(long seed) {
        this.state = seed;
    }

    /** A generator for key under seed; distinct (seed, key) pairs give unrelated streams. */
    static SplitMix derive(long seed, long key) {
        return new SplitMix(mix(seed * GOLDEN + mix(key + 0x632BE59BD9B4E019L)));
    }

    /** SplitMix64's finalizer: a bijective mix of all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [lo, hi). */
    double uniform(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    /** Uniform in [0, bound), bound > 0; the bias (bound / 2^32) is far below anything measurable here. */
    int nextInt(int bound) {
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** True with probability p. */
    boolean chance(double p) {
        return nextDouble() < p;
    }

    /**
     * Mean 0, variance 1, bell-shaped within +-3.46: the sum of four 16-bit uniforms from one
     * draw (Irwin-Hall). Several times cheaper than {@link #gaussian()}, for per-pixel noise.
     */
    double roughGaussian() {
        long bits = nextLong();
        long sum = (bits & 0xFFFF) + (bits >>> 16 & 0xFFFF) + (bits >>> 32 & 0xFFFF) + (bits >>> 48);
        return (sum * 0x1.0p-16 - 2.0) * Math.sqrt(3.0);
    }

    /** Standard normal (Box-Muller; the second value is dropped to keep the stream simple). */
    double gaussian() {
        double u1 = 1.0 - nextDouble();   // (0, 1]: the log stays finite
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
    }
}
