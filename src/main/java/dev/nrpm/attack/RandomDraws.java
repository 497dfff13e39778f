package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.CounterRng;

/**
 * Where a tensor attack's random numbers come from (PGD's random start, noise). Training draws
 * them per batch on the backend; evaluation draws them per sample, keyed by the sample's index in
 * the dataset, so that a sample's result does not depend on its batch.
 */
public interface RandomDraws {
    /**
     * Fills out[0, n) with uniform values in [lo, hi); {@code use} tells apart the draws of one
     * attack (start, radius...). n is a multiple of the batch size: n / batch values per sample.
     */
    void uniform(Backend be, Buffer out, long n, float lo, float hi, int use);

    /** As {@link #uniform}, normal with the given mean and standard deviation. */
    void normal(Backend be, Buffer out, long n, float mean, float std, int use);

    /** One stream for the whole batch, on the backend (training). */
    static RandomDraws batch(long seed) {
        return new RandomDraws() {
            @Override
            public void uniform(Backend be, Buffer out, long n, float lo, float hi, int use) {
                be.randomUniform(out, n, lo, hi, use == 0 ? seed : seed ^ 0x5DEECE66DL * use);
            }

            @Override
            public void normal(Backend be, Buffer out, long n, float mean, float std, int use) {
                be.randomNormal(out, n, mean, std, use == 0 ? seed : seed ^ 0x5DEECE66DL * use);
            }
        };
    }

    /** One stream per sample, keyed by (seed, use, the sample's dataset index), drawn on the host. */
    static RandomDraws perSample(long seed, long[] ids) {
        return new RandomDraws() {
            @Override
            public void uniform(Backend be, Buffer out, long n, float lo, float hi, int use) {
                fill(be, out, n, use, (key, j) -> lo + (hi - lo) * CounterRng.uniform(key, j));
            }

            @Override
            public void normal(Backend be, Buffer out, long n, float mean, float std, int use) {
                fill(be, out, n, use, (key, j) -> mean + std * CounterRng.normal(key, j));
            }

            private void fill(Backend be, Buffer out, long n, int use, Draw draw) {
                int per = Math.toIntExact(n / ids.length);
                float[] host = new float[Math.toIntExact(n)];
                for (int i = 0; i < ids.length; i++) {
                    long key = CounterRng.bits(CounterRng.bits(seed, use), ids[i]);
                    for (int j = 0; j < per; j++) {
                        host[i * per + j] = draw.at(key, j);
                    }
                }
                try (Buffer up = be.upload(host)) {
                    be.copy(up, out, n);
                }
            }
        };
    }

    /** One value of a per-sample stream. */
    @FunctionalInterface
    interface Draw {
        float at(long key, long index);
    }
}
