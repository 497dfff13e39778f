package dev.nrpm.ops;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.tensor.Tensor;
import java.util.function.Consumer;

/** Adding an elementwise-computed gradient into a tensor, without a temporary when it is the first. */
final class Grads {
    private Grads() {
    }

    /**
     * Adds the values that {@code writer} produces (it overwrites the buffer it is given) into t's
     * gradient. The first contribution is written straight into the fresh zeroed gradient buffer.
     */
    static void add(Tensor t, Consumer<Buffer> writer) {
        if (!t.requiresGrad()) {
            return;
        }
        Backend be = t.backend();
        if (t.gradBufferOrNull() == null) {
            writer.accept(t.gradBuffer());
            return;
        }
        try (Buffer tmp = be.allocate(t.size())) {
            writer.accept(tmp);
            be.axpby(1f, tmp, 1f, t.gradBuffer(), t.size());
        }
    }
}
