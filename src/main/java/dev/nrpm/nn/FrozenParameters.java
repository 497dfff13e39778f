package dev.nrpm.nn;

import dev.nrpm.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Freezes every parameter of a model until closed, then restores each one's previous flag. Attacks
 * run inside one: their backward passes need only the input gradient, and must neither spend time
 * on parameter gradients nor add into the ones a training step is accumulating.
 */
public final class FrozenParameters implements AutoCloseable {
    private final List<Tensor> unfrozen = new ArrayList<>();

    private FrozenParameters(Module model) {
        for (Tensor p : model.parameters()) {
            if (p.requiresGrad()) {
                unfrozen.add(p);
                p.requiresGrad(false);
            }
        }
    }

    public static FrozenParameters of(Module model) {
        return new FrozenParameters(model);
    }

    @Override
    public void close() {
        for (Tensor p : unfrozen) {
            p.requiresGrad(true);
        }
    }
}
