package dev.nrpm.nn;

import dev.nrpm.backend.Backend;
import dev.nrpm.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Where and how new parameters are made: the backend, and a seeded generator drawn in the order
 * layers are built, so a model built twice with one seed has identical weights.
 */
public final class ParamInit {
    private final Backend backend;
    private final SplittableRandom random;

    public ParamInit(Backend backend, long seed) {
        this.backend = backend;
        this.random = new SplittableRandom(seed);
    }

    public Backend backend() {
        return backend;
    }

    /** Uniform in [-bound, bound): PyTorch's default for dense and conv layers uses bound = 1/sqrt(fan_in). */
    public Tensor uniform(float bound, int... shape) {
        float[] v = new float[Math.toIntExact(dev.nrpm.tensor.Shape.size(shape))];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        return Tensor.of(backend, v, shape);
    }

    public Tensor constant(float value, int... shape) {
        return Tensor.full(backend, value, shape);
    }

    /** A new seed for a module that draws its own random numbers (dropout). */
    public long nextSeed() {
        return random.nextLong();
    }
}
