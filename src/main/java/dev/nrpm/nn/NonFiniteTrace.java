package dev.nrpm.nn;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.error.NonFiniteException;
import dev.nrpm.tensor.Tensor;

/**
 * Names the layer that first produced NaN or infinite values when a model's output holds them.
 * Weights are finite (checked at load) and inputs are images, so such values are born inside the
 * model: a conv or dense layer whose sums overflow, a batch norm with a negative running variance,
 * an NRPM step. Callers check the output only (a scan of the logits); when that fails, the forward
 * pass runs again on the same input with every conv, dense and batch-norm layer checking its own
 * output, and the first one to fail is the one named. The common, finite case costs nothing more.
 */
public final class NonFiniteTrace {
    private static final ThreadLocal<Boolean> TRACING = ThreadLocal.withInitial(() -> false);

    private NonFiniteTrace() {
    }

    /** A layer's output: checked while a trace runs on this thread, returned as it is. */
    static Tensor layerOutput(Module layer, Tensor y) {
        if (TRACING.get()) {
            y.backend().requireFinite(y.buffer(), y.size(),
                    layer.site() + " (" + layer + ") output, from finite inputs,");
        }
        return y;
    }

    /** A forward pass's output and its host copy. */
    public record Output(Tensor tensor, float[] values) {
    }

    /**
     * model.forward(input) and its values; fails, naming where they were born, when they hold NaN or
     * infinite values or a layer refused some on its way (NRPM checks its inputs). Context says what
     * was being computed ("clean predictions"). The model must be in evaluation mode: the diagnosis
     * runs the forward pass again.
     */
    public static Output forward(Module model, Tensor input, String context) {
        Tensor out;
        float[] values;
        try {
            out = model.forward(input);
            values = out.toFloatArray();
        } catch (NonFiniteException e) {
            throw diagnose(model, input, context + ": " + e.getMessage());
        }
        long bad = 0;
        for (float v : values) {
            if (!Float.isFinite(v)) {
                bad++;
            }
        }
        if (bad > 0) {
            throw diagnose(model, input, context + ": the model's output holds " + bad + " NaN or infinite value"
                    + (bad == 1 ? "" : "s") + " of " + values.length);
        }
        return new Output(out, values);
    }

    /**
     * model.forward(input) for a hot loop (an attack's gradient step): the output is checked on the
     * device without copying it to the host, so a backend that defers its checks (CUDA) reports NaN
     * or infinite values at its next download instead of here; on the CPU they are diagnosed here as
     * in {@link #forward}.
     */
    public static Tensor forwardOnDevice(Module model, Tensor input, String context) {
        try {
            Tensor out = model.forward(input);
            out.backend().requireFinite(out.buffer(), out.size(), context + ": the model's output");
            return out;
        } catch (NonFiniteException e) {
            throw diagnose(model, input, e.getMessage().startsWith(context) ? e.getMessage()
                    : context + ": " + e.getMessage());
        }
    }

    private static NonFiniteException diagnose(Module model, Tensor input, String what) {
        long badInputs = input.backend().countNonFinite(input.buffer(), input.size());
        if (badInputs > 0) {
            return new NonFiniteException(what + "; its input holds " + badInputs + " NaN or infinite values of "
                    + input.size() + " (check the data)");
        }
        return new NonFiniteException(what + "; " + firstFailure(model, input));
    }

    /** Runs model on input with every checked layer's output verified; says which failed first. */
    private static String firstFailure(Module model, Tensor input) {
        boolean was = TRACING.get();
        TRACING.set(true);
        try (MemoryScope scope = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            Tensor out = model.forward(input);
            out.toFloatArray();                 // a backend that defers its checks reports them here
        } catch (NonFiniteException first) {
            return "the first layer to produce them is " + first.getMessage();
        } finally {
            TRACING.set(was);
        }
        return "every conv, dense and batch-norm layer's output was finite, so an addition, pooling or"
                + " the final softmax overflowed";
    }
}
