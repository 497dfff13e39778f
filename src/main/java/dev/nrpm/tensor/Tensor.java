package dev.nrpm.tensor;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.backend.MemoryScope;
import dev.nrpm.error.NrpmException;
import dev.nrpm.error.ShapeException;

/**
 * An n-dimensional array of numbers in one backend's memory (float32 on cpu and cuda, float64 on
 * the reference backend), row-major, with an optional gradient and the record of how it was made.
 *
 * <p>Leaves (inputs, parameters) may require a gradient; results of operations require one when
 * any of their inputs does. Views made by {@link #reshape} share the data buffer.
 */
public final class Tensor implements AutoCloseable {
    private final Backend backend;
    private final int[] shape;
    private final long size;
    private final Buffer data;
    private Buffer grad;
    private boolean requiresGrad;
    private boolean retainGrad;
    private GradNode node;
    private boolean graphFreed;
    private String name;

    private Tensor(Backend backend, Buffer data, int[] shape) {
        this.backend = backend;
        this.shape = shape.clone();
        this.size = Shape.size(shape);
        if (data.length() < size) {
            throw new ShapeException("buffer of " + data.length() + " elements cannot hold shape " + Shape.str(shape));
        }
        this.data = data;
    }

    // ------------------------------------------------------------------ construction

    /** Wraps an existing buffer (ops use this for their outputs). */
    public static Tensor wrap(Backend backend, Buffer data, int... shape) {
        return new Tensor(backend, data, shape);
    }

    public static Tensor of(Backend backend, float[] values, int... shape) {
        checkLength(values.length, shape);
        return new Tensor(backend, backend.upload(values), shape);
    }

    public static Tensor of(Backend backend, double[] values, int... shape) {
        checkLength(values.length, shape);
        return new Tensor(backend, backend.upload(values), shape);
    }

    public static Tensor zeros(Backend backend, int... shape) {
        return new Tensor(backend, backend.allocate(Shape.size(shape)), shape);
    }

    public static Tensor full(Backend backend, float value, int... shape) {
        Tensor t = zeros(backend, shape);
        backend.fill(t.data, value);
        return t;
    }

    public static Tensor scalar(Backend backend, float value) {
        return full(backend, value, 1);
    }

    private static void checkLength(int length, int[] shape) {
        if (length != Shape.size(shape)) {
            throw new ShapeException(length + " values do not fill shape " + Shape.str(shape));
        }
    }

    // ------------------------------------------------------------------ shape and data

    public Backend backend() {
        return backend;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public long size() {
        return size;
    }

    public String shapeString() {
        return Shape.str(shape);
    }

    /** The storage; ops read it and backends compute on it. */
    public Buffer buffer() {
        return data;
    }

    public float[] toFloatArray() {
        float[] all = backend.download(data);
        return all.length == size ? all : java.util.Arrays.copyOf(all, Math.toIntExact(size));
    }

    public double[] toDoubleArray() {
        double[] all = backend.downloadDouble(data);
        return all.length == size ? all : java.util.Arrays.copyOf(all, Math.toIntExact(size));
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (size != 1) {
            throw new ShapeException("item() needs one element, shape is " + shapeString());
        }
        return toFloatArray()[0];
    }

    /** A view with another shape over the same data; one dimension may be -1. Differentiable. */
    public Tensor reshape(int... newShape) {
        int[] resolved = Shape.resolve(newShape, size);
        Tensor out = new Tensor(backend, data, resolved);
        return Autograd.record(out, "reshape", g -> {
            GradSink gx = gradSink();
            if (gx.needed()) {
                backend.axpby(1.0f, g, gx.beta(), gx.buffer(), size);
            }
        }, this);
    }

    /** Same data, cut from the graph, no gradient. */
    public Tensor detach() {
        return new Tensor(backend, data, shape);
    }

    /** Overwrites the values in place (no graph): attacks and optimizers update tensors this way. */
    public void assign(Tensor source) {
        if (source.size != size) {
            throw new ShapeException("cannot assign " + source.shapeString() + " to " + shapeString());
        }
        backend.copy(source.data, data, size);
    }

    // ------------------------------------------------------------------ gradients

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf as needing a gradient (or not: frozen parameters). */
    public Tensor requiresGrad(boolean value) {
        if (node != null) {
            throw new NrpmException("requiresGrad can only be set on leaf tensors");
        }
        requiresGrad = value;
        return this;
    }

    public boolean isLeaf() {
        return node == null && !graphFreed;
    }

    /** Keeps this intermediate tensor's gradient after backward (leaves always keep theirs). */
    public Tensor retainGrad() {
        retainGrad = true;
        return this;
    }

    boolean retainsGrad() {
        return retainGrad || isLeaf() && requiresGrad;
    }

    /** The accumulated gradient, or null when none has been computed. */
    public Tensor grad() {
        return grad == null ? null : new Tensor(backend, grad, shape);
    }

    /** The gradient buffer, allocated zero-filled on first use in the same scope as the data. */
    public Buffer gradBuffer() {
        if (grad == null) {
            grad = backend.allocate(size);
            grad.moveTo(data.scope());
        }
        return grad;
    }

    /**
     * Where a backward rule writes its contribution to this gradient (see {@link GradSink});
     * {@link GradSink#NONE} when this tensor needs none. A new gradient buffer is left
     * uninitialized: the caller must then write all of it before anything else reads or adds to it.
     */
    public GradSink gradSink() {
        if (!requiresGrad) {
            return GradSink.NONE;
        }
        if (grad != null) {
            return new GradSink(grad, true);
        }
        grad = backend.allocateUninitialized(size);
        grad.moveTo(data.scope());
        return new GradSink(grad, false);
    }

    /** gradBuffer() when this tensor needs a gradient, else null: what backward rules pass to primitives. */
    public Buffer gradTarget() {
        return requiresGrad ? gradBuffer() : null;
    }

    public Buffer gradBufferOrNull() {
        return grad;
    }

    /** Zeroes the gradient (keeps its memory for the next step). */
    public void zeroGrad() {
        if (grad != null) {
            backend.fill(grad, 0.0f);
        }
    }

    /** Releases the gradient's memory. */
    public void releaseGrad() {
        if (grad != null) {
            if (grad != data) {
                grad.close();
            }
            grad = null;
        }
    }

    public void backward() {
        Autograd.backward(this, null);
    }

    public void backward(Tensor seed) {
        Autograd.backward(this, seed);
    }

    GradNode node() {
        return node;
    }

    /** Called by {@link Autograd#record}: this tensor is the output of a recorded operation. */
    void attachNode(GradNode creator) {
        this.node = creator;
        this.requiresGrad = true;
    }

    /** Called by {@link Autograd#backward} once the node's rule has run. */
    void detachNode() {
        this.node = null;
        this.graphFreed = true;
    }

    /** True for a result whose graph a backward pass has consumed: it cannot be differentiated again. */
    boolean graphFreed() {
        return graphFreed;
    }

    // ------------------------------------------------------------------ naming and memory

    public String name() {
        return name;
    }

    public Tensor named(String newName) {
        this.name = newName;
        return this;
    }

    /** Moves data and gradient to the scope around the current one, so they outlive it. */
    public Tensor keep() {
        MemoryScope scope = data.scope();
        if (scope != null) {
            scope.keep(data);
            if (grad != null) {
                scope.keep(grad);
            }
        }
        return this;
    }

    /** Releases data and gradient now (for tensors made outside any scope). */
    @Override
    public void close() {
        releaseGrad();
        data.close();
    }

    @Override
    public String toString() {
        return "Tensor" + shapeString() + (name != null ? " '" + name + "'" : "") + " on " + backend.name();
    }
}
