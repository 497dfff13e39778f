package dev.nrpm.backend;

import dev.nrpm.error.NrpmException;

/**
 * A block of backend memory holding {@code length} numbers (float32 on the CPU and CUDA backends,
 * float64 on the reference backend). Each backend subclasses it with its own storage.
 *
 * <p>Every buffer belongs to the {@link MemoryScope} open on its thread when it was made (or to
 * none), and is released when that scope closes. Release is idempotent; using a released buffer is
 * an error on every backend, so scope mistakes show up on the CPU as they would on a GPU.
 */
public abstract class Buffer implements AutoCloseable {
    private final long length;
    private MemoryScope scope;
    private boolean released;

    protected Buffer(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("buffer length " + length + " < 0");
        }
        this.length = length;
        this.scope = MemoryScope.current();
        if (scope != null) {
            scope.register(this);
        }
    }

    public final long length() {
        return length;
    }

    public final boolean isReleased() {
        return released;
    }

    /** The scope that will release this buffer, or null when its owner releases it explicitly. */
    public final MemoryScope scope() {
        return scope;
    }

    /** Hands this buffer to another scope (or to none, when target is null). */
    public final void moveTo(MemoryScope target) {
        if (scope != null) {
            scope.unregister(this);
        }
        scope = target;
        if (target != null) {
            target.register(this);
        }
    }

    /** Throws when the buffer was released; backends call this before touching storage. */
    protected final void checkLive() {
        if (released) {
            throw new NrpmException("buffer of " + length + " elements used after it was released"
                    + " (its memory scope closed)");
        }
    }

    @Override
    public final void close() {
        if (released) {
            return;
        }
        released = true;
        if (scope != null) {
            scope.unregister(this);
            scope = null;
        }
        free();
    }

    /** Returns the storage to the backend; called once. */
    protected abstract void free();
}
