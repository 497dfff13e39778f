package dev.nrpm.backend;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Owns the buffers made on its thread while it is the innermost open scope, and releases them when
 * it closes: a training step or an evaluation batch runs inside one, so device memory never
 * outlives the work that needed it. Buffers made outside any scope (parameters, optimizer state)
 * belong to whoever made them.
 *
 * <pre>{@code
 * try (MemoryScope step = MemoryScope.open()) {
 *     Tensor loss = model.forward(x)...;   // activations, saved state, gradients of activations
 *     loss.backward();
 * }                                         // all released here
 * }</pre>
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<MemoryScope>> STACK =
            ThreadLocal.withInitial(ArrayDeque::new);

    private final Set<Buffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final MemoryScope parent;
    private final Thread thread;
    private boolean closed;

    private MemoryScope(MemoryScope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
    }

    /** Opens a scope nested in the current one (if any) and makes it current. */
    public static MemoryScope open() {
        ArrayDeque<MemoryScope> stack = STACK.get();
        MemoryScope scope = new MemoryScope(stack.peek());
        stack.push(scope);
        return scope;
    }

    /** The innermost open scope of this thread, or null. */
    public static MemoryScope current() {
        return STACK.get().peek();
    }

    /** Moves a buffer to the scope around this one (or to no scope), so it survives this close. */
    public void keep(Buffer buffer) {
        if (buffer.scope() == this) {
            buffer.moveTo(parent);
        }
    }

    public int liveBuffers() {
        return owned.size();
    }

    void register(Buffer buffer) {
        if (closed) {
            throw new IllegalStateException("memory scope already closed");
        }
        owned.add(buffer);
    }

    void unregister(Buffer buffer) {
        owned.remove(buffer);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("memory scope closed on another thread than it was opened on");
        }
        ArrayDeque<MemoryScope> stack = STACK.get();
        if (stack.peek() != this) {
            throw new IllegalStateException("memory scopes must close innermost first");
        }
        stack.pop();
        closed = true;
        for (Buffer b : owned.toArray(new Buffer[0])) {
            b.close();
        }
        owned.clear();
    }
}
