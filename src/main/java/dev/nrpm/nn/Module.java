package dev.nrpm.nn;

import dev.nrpm.backend.Backend;
import dev.nrpm.error.ShapeException;
import dev.nrpm.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer or a model: named parameters (trainable tensors), named buffers (state such as running
 * statistics), child modules, and a training/evaluation mode. Names compose with dots, as in
 * PyTorch state dicts ("layer1.0.conv1.weight"), so checkpoints map one to one.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private Module parent;
    private String localName = "";
    private boolean training = true;

    public abstract Tensor forward(Tensor x);

    // ------------------------------------------------------------------ structure

    protected <M extends Module> M addChild(String name, M child) {
        Module m = child;
        children.put(name, m);
        m.parent = this;
        m.localName = name;
        return child;
    }

    protected Tensor addParameter(String name, Tensor t) {
        owned(t);
        t.requiresGrad(true);
        parameters.put(name, t);
        t.named(name);
        return t;
    }

    protected void removeParameter(String name) {
        Tensor t = parameters.remove(name);
        if (t != null) {
            t.close();
        }
    }

    protected Tensor addBuffer(String name, Tensor t) {
        owned(t);
        buffers.put(name, t);
        t.named(name);
        return t;
    }

    /** Takes a tensor out of any memory scope: the module owns it and releases it on close. */
    protected static Tensor owned(Tensor t) {
        t.buffer().moveTo(null);
        return t;
    }

    /** This module's own parameter (not a child's), or null. */
    protected Tensor param(String name) {
        return parameters.get(name);
    }

    protected Tensor buf(String name) {
        return buffers.get(name);
    }

    /** Dotted path from the root, "" for the root itself. */
    public String path() {
        if (parent == null) {
            return "";
        }
        String up = parent.path();
        return up.isEmpty() ? localName : up + "." + localName;
    }

    /** The path, or the class name for the root: used in error messages. */
    public String site() {
        String p = path();
        return p.isEmpty() ? getClass().getSimpleName() : p;
    }

    public Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** This module and all below it, depth first, keyed by path. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        out.put(prefix, this);
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectModules(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), out);
        }
    }

    /** All trainable tensors below this module, keyed by dotted name. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            for (Map.Entry<String, Tensor> p : m.getValue().parameters.entrySet()) {
                out.put(qualify(m.getKey(), p.getKey()), p.getValue());
            }
        }
        return out;
    }

    public List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters and buffers: everything a checkpoint holds. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            for (Map.Entry<String, Tensor> p : m.getValue().parameters.entrySet()) {
                out.put(qualify(m.getKey(), p.getKey()), p.getValue());
            }
            for (Map.Entry<String, Tensor> b : m.getValue().buffers.entrySet()) {
                out.put(qualify(m.getKey(), b.getKey()), b.getValue());
            }
        }
        return out;
    }

    /**
     * Overwrites one state entry with host values; the shape must match exactly.
     *
     * @throws ShapeException naming the key and both shapes
     */
    public void loadState(String key, float[] values, int[] shape) {
        Tensor target = stateDict().get(key);
        if (target == null) {
            throw new ShapeException("no state entry '" + key + "' in " + getClass().getSimpleName());
        }
        if (!java.util.Arrays.equals(target.shape(), shape)) {
            throw new ShapeException("'" + key + "' has shape " + java.util.Arrays.toString(shape)
                    + " in the checkpoint but " + target.shapeString() + " in the model");
        }
        try (Tensor src = Tensor.of(target.backend(), values, shape)) {
            target.assign(src);
        }
    }

    private static String qualify(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    // ------------------------------------------------------------------ mode and gradients

    public boolean isTraining() {
        return training;
    }

    /** Training mode (batch statistics, dropout on) for this module and all below it. */
    public Module train() {
        return setTraining(true);
    }

    /** Evaluation mode (running statistics, no dropout): what evaluation and attacks use. */
    public Module eval() {
        return setTraining(false);
    }

    private Module setTraining(boolean value) {
        for (Module m : namedModules().values()) {
            m.training = value;
        }
        return this;
    }

    public void zeroGrad() {
        for (Tensor p : parameters()) {
            p.zeroGrad();
        }
    }

    /** Freezes (false) or unfreezes every parameter below this module. */
    public void setRequiresGrad(boolean value) {
        for (Tensor p : parameters()) {
            p.requiresGrad(value);
        }
    }

    // ------------------------------------------------------------------ memory and placement

    /** Moves every parameter and buffer to another backend (copying through the host). */
    public Module to(Backend target) {
        for (Module m : namedModules().values()) {
            moveAll(m.parameters, target, true);
            moveAll(m.buffers, target, false);
            m.onMoved(target);
        }
        return this;
    }

    private static void moveAll(Map<String, Tensor> map, Backend target, boolean trainable) {
        for (Map.Entry<String, Tensor> e : map.entrySet()) {
            Tensor old = e.getValue();
            if (old.backend() == target) {
                continue;
            }
            Tensor moved = owned(Tensor.of(target, old.toFloatArray(), old.shape()).named(old.name()));
            if (trainable) {
                moved.requiresGrad(old.requiresGrad());
            }
            e.setValue(moved);
            old.close();
        }
    }

    /** Hook for modules that cache backend objects. */
    protected void onMoved(Backend target) {
    }

    /** Releases all parameters and buffers. */
    @Override
    public void close() {
        for (Module m : namedModules().values()) {
            for (Tensor t : m.parameters.values()) {
                t.close();
            }
            for (Tensor t : m.buffers.values()) {
                t.close();
            }
            m.onClose();
        }
    }

    protected void onClose() {
    }

    @Override
    public String toString() {
        return getClass().getSimpleName();
    }
}
