package dev.nrpm.backend;

/**
 * A stateless counter-based generator: the value at (seed, index) is a hash of the pair
 * (SplitMix64's finalizer applied twice), so any backend, thread or GPU lane draws the same number
 * for the same position without shared state. kernels/common.cuh carries the same function.
 */
public final class CounterRng {
    private CounterRng() {
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** 64 random bits for (seed, index). */
    public static long bits(long seed, long index) {
        return mix(seed * 0x9E3779B97F4A7C15L + mix(index + 0x632BE59BD9B4E019L));
    }

    /** Uniform in [0, 1) with 24 random bits (every value exactly representable in float32). */
    public static float uniform(long seed, long index) {
        return (bits(seed, index) >>> 40) * 0x1.0p-24f;
    }

    /** Standard normal from the uniforms at 2*index and 2*index+1 (Box-Muller). */
    public static float normal(long seed, long index) {
        float u1 = 1.0f - uniform(seed, 2 * index);      // (0, 1]: log stays finite
        float u2 = uniform(seed, 2 * index + 1);
        return (float) (Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2));
    }

    /** The dropout keep-scale at index j: 0 with probability p, else 1/(1-p). */
    public static float dropoutScale(long seed, long j, float p) {
        return uniform(seed, j) < p ? 0.0f : 1.0f / (1.0f - p);
    }
}
