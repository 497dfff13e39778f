package dev.nrpm.backend.cpu;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The native mirrors of released CPU buffers ({@link CpuBuffer}), kept for the next mirror of the
 * same length, as {@link ArrayPool} keeps their arrays: a training step makes the same activations
 * as the one before, and fresh native memory costs a page fault per 4 KiB on first touch (about as
 * long as the convolution that would write it). One pool for all threads, since a buffer may be
 * released on another thread than the one that made its mirror, capped at an eighth of the heap's
 * maximum; past the cap a mirror is freed at once. A mirror whose buffer is never released is
 * freed by JavaCPP when the collector finds its pointer unreachable.
 */
final class NativePool {
    private static final long CAP_FLOATS = Runtime.getRuntime().maxMemory() / 8 / Float.BYTES;
    private static final Map<Long, ArrayDeque<FloatPointer>> FREE = new HashMap<>();
    private static long held;

    private NativePool() {
    }

    /** A mirror of exactly floats values, contents undefined. */
    static FloatPointer take(long floats) {
        synchronized (FREE) {
            ArrayDeque<FloatPointer> q = FREE.get(floats);
            if (q != null && !q.isEmpty()) {
                held -= floats;
                return q.pop();
            }
        }
        return new FloatPointer(Math.max(floats, 1));
    }

    /** Hands back a mirror nobody refers to any more. */
    static void release(FloatPointer p) {
        long floats = p.capacity();
        synchronized (FREE) {
            if (held + floats <= CAP_FLOATS) {
                FREE.computeIfAbsent(floats, n -> new ArrayDeque<>()).push(p);
                held += floats;
                return;
            }
        }
        p.close();
    }

    /** Floats held for reuse (for the tests). */
    static long heldFloats() {
        synchronized (FREE) {
            return held;
        }
    }
}
