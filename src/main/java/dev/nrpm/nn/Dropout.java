package dev.nrpm.nn;

import dev.nrpm.backend.CounterRng;
import dev.nrpm.ops.DropoutOp;
import dev.nrpm.tensor.Tensor;

/**
 * Dropout in training mode, identity in evaluation. Each training forward draws a new mask from
 * (seed, number of calls so far), so a run is reproducible from its seed; {@code channels} drops
 * whole channels of (N, C, H, W) (Dropout2d).
 */
public final class Dropout extends Module {
    private final float p;
    private final boolean channels;
    private final long seed;
    private long calls;

    public Dropout(ParamInit init, float p) {
        this(init, p, false);
    }

    public Dropout(ParamInit init, float p, boolean channels) {
        this.p = p;
        this.channels = channels;
        this.seed = init.nextSeed();
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        int inner = channels ? x.dim(2) * x.dim(3) : 1;
        return DropoutOp.apply(site(), x, p, CounterRng.bits(seed, calls++), inner);
    }

    /** Training forwards done so far: part of a run's random state. */
    public long calls() {
        return calls;
    }

    public void setCalls(long value) {
        calls = value;
    }
}
