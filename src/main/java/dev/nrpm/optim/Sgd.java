package dev.nrpm.optim;

import dev.nrpm.tensor.GradMode;
import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum and weight decay, PyTorch's update rule
 * (see {@link dev.nrpm.backend.Backend#sgdStep}). Parameters that are frozen or received no
 * gradient are skipped. Momentum buffers belong to the optimizer and live outside memory scopes.
 */
public final class Sgd implements AutoCloseable {
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> velocity = new LinkedHashMap<>();
    private final float momentum;
    private final float weightDecay;
    private final boolean nesterov;
    private float lr;

    public Sgd(Map<String, Tensor> namedParams, float lr, float momentum, float weightDecay, boolean nesterov) {
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new InvalidSettingException("learning rate must be a finite number > 0, got " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new InvalidSettingException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new InvalidSettingException("weight decay must be a finite number >= 0, got " + weightDecay);
        }
        this.params = new LinkedHashMap<>(namedParams);
        this.lr = lr;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    public float lr() {
        return lr;
    }

    public void setLr(float value) {
        lr = value;
    }

    /** One update of every trainable parameter that has a gradient (one backend call per backend). */
    public void step() {
        try (GradMode.Guard g = GradMode.noGrad()) {
            Map<Backend, List<Tensor[]>> byBackend = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : params.entrySet()) {
                Tensor p = e.getValue();
                if (!p.requiresGrad() || p.gradBufferOrNull() == null) {
                    continue;
                }
                Tensor v = velocity.computeIfAbsent(e.getKey(), k -> owned(Tensor.zeros(p.backend(), p.shape())));
                byBackend.computeIfAbsent(p.backend(), b -> new ArrayList<>()).add(new Tensor[] {p, v});
            }
            for (Map.Entry<Backend, List<Tensor[]>> e : byBackend.entrySet()) {
                List<Tensor[]> pv = e.getValue();
                int n = pv.size();
                Buffer[] ps = new Buffer[n];
                Buffer[] gs = new Buffer[n];
                Buffer[] vs = new Buffer[n];
                long[] lengths = new long[n];
                for (int i = 0; i < n; i++) {
                    ps[i] = pv.get(i)[0].buffer();
                    gs[i] = pv.get(i)[0].gradBufferOrNull();
                    vs[i] = pv.get(i)[1].buffer();
                    lengths[i] = pv.get(i)[0].size();
                }
                e.getKey().sgdSteps(ps, gs, vs, lengths, lr, momentum, weightDecay, nesterov);
            }
        }
    }

    /** Zeroes every gradient there is (one backend call per backend). */
    public void zeroGrad() {
        Map<Backend, List<Buffer>> byBackend = new LinkedHashMap<>();
        for (Tensor p : params.values()) {
            Buffer g = p.gradBufferOrNull();
            if (g != null) {
                byBackend.computeIfAbsent(p.backend(), b -> new ArrayList<>()).add(g);
            }
        }
        byBackend.forEach((be, grads) -> be.zeroBuffers(grads.toArray(new Buffer[0])));
    }

    /** Momentum buffers by parameter name (for checkpoints); only those created so far. */
    public Map<String, Tensor> state() {
        return new LinkedHashMap<>(velocity);
    }

    /** Restores a momentum buffer saved by {@link #state()}. */
    public void loadState(String name, float[] values) {
        Tensor p = params.get(name);
        if (p == null) {
            throw new InvalidSettingException("optimizer state for unknown parameter '" + name + "'");
        }
        if (values.length != p.size()) {
            throw new InvalidSettingException("optimizer state for '" + name + "' has " + values.length
                    + " values, the parameter " + p.size());
        }
        Tensor v = velocity.computeIfAbsent(name, k -> owned(Tensor.zeros(p.backend(), p.shape())));
        v.assign(Tensor.of(p.backend(), values, p.shape()));
    }

    private static Tensor owned(Tensor t) {
        t.buffer().moveTo(null);
        return t;
    }

    @Override
    public void close() {
        for (Tensor v : velocity.values()) {
            v.close();
        }
        velocity.clear();
    }
}
