package dev.nrpm.tensor;

import dev.nrpm.backend.Buffer;

/**
 * The backward rule of one recorded operation: given the gradient of its output, add the gradients
 * of its inputs into their gradient buffers ({@code input.gradTarget()}, null when not needed).
 */
@FunctionalInterface
public interface BackwardFn {
    void backward(Buffer gradOutput);
}
