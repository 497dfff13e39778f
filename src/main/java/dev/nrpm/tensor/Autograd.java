package dev.nrpm.tensor;

import dev.nrpm.backend.Backend;
import dev.nrpm.backend.Buffer;
import dev.nrpm.error.NrpmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reverse-mode automatic differentiation, micrograd style: each operation attaches a
 * {@link GradNode} to its output; {@link #backward} orders the graph topologically and runs the
 * rules in reverse, each adding into its inputs' gradients. The engine knows no particular op.
 *
 * <p>After a backward pass the graph is freed (a second backward through it is an error) and the
 * gradients of intermediate tensors are released as soon as they have been passed on, so the
 * memory peak is that of the forward pass plus one layer's gradients.
 */
public final class Autograd {
    private Autograd() {
    }

    /**
     * Records how {@code output} was computed when grad mode is on and some input needs a gradient.
     * Returns output for chaining.
     */
    public static Tensor record(Tensor output, String op, BackwardFn fn, Tensor... inputs) {
        if (needsGrad(inputs)) {
            output.attachNode(new GradNode(op, inputs, fn));
        }
        return output;
    }

    /** Whether an operation on these inputs will be recorded: ops use it to decide what to save. */
    public static boolean needsGrad(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t != null && t.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Back-propagates from a scalar root (seed 1) or from root with the given seed gradient. */
    public static void backward(Tensor root, Tensor seed) {
        if (root.graphFreed()) {
            throw new NrpmException("backward() through a graph that an earlier backward() already consumed;"
                    + " run the forward pass again");
        }
        if (!root.requiresGrad()) {
            throw new NrpmException("backward() on a tensor that does not require a gradient"
                    + " (no input of its computation requires one, or grad mode was off)");
        }
        Backend be = root.backend();
        if (seed == null) {
            if (root.size() != 1) {
                throw new NrpmException("backward() without a seed needs a scalar, got shape " + root.shapeString());
            }
            be.fill(root.gradBuffer(), 1.0f);
        } else {
            if (seed.size() != root.size()) {
                throw new NrpmException("backward seed of shape " + seed.shapeString()
                        + " does not match " + root.shapeString());
            }
            be.axpby(1.0f, seed.buffer(), 1.0f, root.gradBuffer(), root.size());
        }
        List<Tensor> order = topologicalOrder(root);
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            GradNode node = t.node();
            boolean keepGrad = t.retainsGrad();
            Buffer g = t.gradBufferOrNull();
            t.detachNode();
            if (g == null) {
                continue;            // no gradient reached this tensor
            }
            node.fn().backward(g);
            if (!keepGrad) {
                t.releaseGrad();
            }
        }
    }

    /** Tensors with a node, inputs before outputs (iterative DFS: deep graphs must not overflow the stack). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();   // {tensor, next input index}
        if (root.node() == null) {
            return order;
        }
        seen.add(root);
        stack.push(new Object[] {root, 0});
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            Tensor[] inputs = t.node().inputs();
            int next = (Integer) frame[1];
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.graphFreed()) {
                    throw new NrpmException("a " + t.node().op() + " input's graph was consumed by an earlier"
                            + " backward(); run its forward pass again");
                }
                if (in != null && in.node() != null && seen.add(in)) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }
}
