package dev.nrpm.attack;

import dev.nrpm.backend.CounterRng;

/**
 * The random draws of one attack stream for one sample, keyed by (seed, stream, sample index in
 * the dataset): a sample gets the same random start, square windows and signs whatever batch it
 * lands in, whatever the batch size or sharding, and whatever else is evaluated beside it.
 */
final class SampleRng {
    private final long key;
    private long counter;

    private SampleRng(long key) {
        this.key = key;
    }

    /**
     * @param stream tells apart the uses within one evaluation (attack, restart, target), see
     *               {@link #stream(String, int)}
     */
    static SampleRng of(long seed, long stream, long sample) {
        return new SampleRng(CounterRng.bits(CounterRng.bits(seed, stream), sample));
    }

    /** A stream number for a named use and its index (restart, target rank). */
    static long stream(String name, int index) {
        return ((long) name.hashCode() << 20) ^ index; // String.hashCode is fixed by the JLS
    }

    long nextLong() {
        return CounterRng.bits(key, counter++);
    }

    /** Uniform in [0, 1), 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [lo, hi], both included. */
    int between(int lo, int hi) {
        return lo + (int) (((nextLong() >>> 33) * (long) (hi - lo + 1)) >>> 31);
    }

    /** -1 or +1 with equal probability. */
    float sign() {
        return nextLong() < 0 ? -1f : 1f;
    }

    /** Standard normal (Box-Muller with StrictMath, so every JVM draws the same values). */
    double gaussian() {
        double u1 = 1.0 - nextDouble();
        double u2 = nextDouble();
        return Math.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
    }
}
