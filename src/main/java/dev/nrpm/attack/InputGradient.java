package dev.nrpm.attack;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.nn.FrozenParameters;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.NonFiniteTrace;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;

/** The gradient of the summed cross-entropy loss with respect to the input images. */
final class InputGradient {
    private InputGradient() {
    }

    /**
     * Writes d(sum of cross-entropy)/dx into out. Parameters are frozen meanwhile, and everything the
     * forward and backward passes allocate is released before returning.
     */
    static void compute(Module model, Tensor x, Tensor labels, Buffer out) {
        Backend be = x.backend();
        try (MemoryScope step = MemoryScope.open(); FrozenParameters frozen = FrozenParameters.of(model)) {
            Tensor input = Tensor.wrap(be, x.buffer(), x.shape()).requiresGrad(true);
            // log-softmax is idempotent, so models that already end in one (LeNet) get the same loss
            Tensor logits = NonFiniteTrace.forwardOnDevice(model, input, "the attack's gradient");
            Tensor loss = Ops.sum(Ops.nll(Ops.logSoftmax(logits), labels));
            loss.backward();
            be.copy(input.gradBuffer(), out, x.size());
            input.releaseGrad();
        }
    }
}
