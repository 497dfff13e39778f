package dev.nrpm.attack;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.nn.FrozenParameters;
import dev.nrpm.nn.Module;
import dev.nrpm.nn.NonFiniteTrace;
import dev.nrpm.nn.Surrogate;
import dev.nrpm.tensor.Tensor;

/**
 * A {@link Module} on its backend as a {@link Classifier}. Every call runs in its own memory
 * scope with the parameters frozen, so it allocates nothing that outlives it and never touches
 * parameter gradients. The model must be in evaluation mode: then each sample's logits depend on
 * that sample alone, which is what makes attacks independent of how samples are batched.
 */
public final class ModelClassifier implements Classifier {
    private final Module model;
    private final Backend backend;
    private final int[] shape;
    private final int classes;

    public ModelClassifier(Module model, Backend backend, int[] inputShape, int classes) {
        this.model = model;
        this.backend = backend;
        this.shape = inputShape.clone();
        this.classes = classes;
    }

    public Module module() {
        return model;
    }

    public Backend backend() {
        return backend;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public int[] inputShape() {
        return shape.clone();
    }

    @Override
    public float[] logits(float[] x, int n) {
        try (MemoryScope scope = MemoryScope.open(); GradMode.Guard g = GradMode.noGrad()) {
            return NonFiniteTrace.forward(model, input(x, n), "the attack's logits").values();
        }
    }

    @Override
    public Gradient gradient(float[] x, int n, LogitLoss loss) {
        try (MemoryScope scope = MemoryScope.open(); FrozenParameters frozen = FrozenParameters.of(model)) {
            Tensor in = input(x, n).requiresGrad(true);
            NonFiniteTrace.Output forward = NonFiniteTrace.forward(model, in, "the attack's gradient");
            Tensor out = forward.tensor();
            float[] z = forward.values();
            double[] gz = new double[z.length];
            double[] values = new double[n];
            for (int r = 0; r < n; r++) {
                values[r] = loss.apply(z, r, classes, gz);
            }
            out.backward(Tensor.of(backend, gz, n, classes));
            return new Gradient(z, values, in.grad().toFloatArray());
        }
    }

    /**
     * A classifier whose gradients come from the surrogate (the same weights, other pattern
     * matching) while its logits and losses are this model's: an attack guided by the surrogate is
     * still scored on the real model.
     */
    public Classifier guidedBy(Surrogate surrogate) {
        ModelClassifier real = this;
        return new Classifier() {
            @Override
            public int classes() {
                return classes;
            }

            @Override
            public int[] inputShape() {
                return real.inputShape();
            }

            @Override
            public float[] logits(float[] x, int n) {
                return real.logits(x, n);
            }

            @Override
            public Gradient gradient(float[] x, int n, LogitLoss loss) {
                float[] z = real.logits(x, n);
                double[] values = new double[n];
                double[] unused = new double[z.length];
                for (int r = 0; r < n; r++) {
                    values[r] = loss.apply(z, r, classes, unused);
                }
                Gradient guide;
                try (Surrogate.Active on = surrogate.activate()) {
                    guide = real.gradient(x, n, loss);
                }
                return new Gradient(z, values, guide.grad());
            }

            @Override
            public String gradientSource() {
                return surrogate.name() + " surrogate";
            }
        };
    }

    private Tensor input(float[] x, int n) {
        int len = n * inputSize();
        float[] exact = x.length == len ? x : java.util.Arrays.copyOf(x, len);
        return Tensor.of(backend, exact, n, shape[0], shape[1], shape[2]);
    }
}
