package dev.nrpm.ops;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.tensor.GradSink;
import dev.nrpm.tensor.Tensor;
import java.util.function.Consumer;

/** Adding an elementwise-computed gradient into a tensor, without a temporary when it is the first. */
final class Grads {
    private Grads() {
    }

    /**
     * Adds the values that {@code writer} produces (it overwrites the buffer it is given) into t's
     * gradient. The first contribution is written straight into the fresh gradient buffer.
     */
    static void add(Tensor t, Consumer<Buffer> writer) {
        GradSink sink = t.gradSink();
        if (!sink.needed()) {
            return;
        }
        if (!sink.accumulate()) {
            writer.accept(sink.buffer());
            return;
        }
        Backend be = t.backend();
        try (Buffer tmp = be.allocateUninitialized(t.size())) {
            writer.accept(tmp);
            be.axpby(1f, tmp, 1f, sink.buffer(), t.size());
        }
    }
}
