package dev.nrpm.tensor;

import dev.nrpm.backend.Buffer;

/**
 * Where a backward rule puts its contribution to a tensor's gradient, and how. The first
 * contribution is written over a fresh buffer whose contents are undefined ({@code accumulate}
 * false: the rule must write every element), later ones add to what is there. Passing the flag
 * to a primitive instead of zero-filling every new gradient spares the GPU a memset per
 * intermediate tensor per backward pass (about a quarter of a ResNet-18 PGD step's launches).
 */
public record GradSink(Buffer buffer, boolean accumulate) {

    /** The sink of a tensor that needs no gradient: no buffer, nothing to write. */
    public static final GradSink NONE = new GradSink(null, false);

    /** Whether the tensor needs this gradient at all. */
    public boolean needed() {
        return buffer != null;
    }

    /** The beta of an {@code y = alpha x + beta y} primitive that writes this contribution. */
    public float beta() {
        return accumulate ? 1f : 0f;
    }
}
