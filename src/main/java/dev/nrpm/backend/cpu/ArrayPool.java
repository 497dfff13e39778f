package dev.nrpm.backend.cpu;

import java.lang.ref.Cleaner;
import java.lang.ref.SoftReference;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The arrays of released CPU buffers, kept per thread for the next buffer of the same length. A
 * training step or evaluation batch makes the same activations and gradients in the same sizes as
 * the one before; taking them from here spares the JVM zeroing each one (a quarter of a
 * millisecond per 4 MiB, about what oneDNN needs to reorder it) and the collector a stream of
 * large short-lived arrays. Entries are soft references under one cap for all threads together
 * (an eighth of the heap), so the pool never holds memory the program needs.
 *
 * <p>With {@code -Dnrpm.cpu.poisonUninitialized=true} every uninitialized array is filled with NaN
 * first (the tests run so), so an op that reads an output it was meant to write over fails as it
 * would on a GPU, where such memory holds whatever was there.
 */
final class ArrayPool {
    /** Shorter arrays come from the allocation buffer of their thread more cheaply than from here. */
    static final int MIN_LENGTH = 1 << 14;
    private static final long CAP_FLOATS = Runtime.getRuntime().maxMemory() / 8 / Float.BYTES;
    private static final boolean POISON = Boolean.getBoolean("nrpm.cpu.poisonUninitialized");
    private static final ThreadLocal<ArrayPool> LOCAL = ThreadLocal.withInitial(ArrayPool::new);
    /** Floats in every thread's entries, counting those the collector may have cleared since. */
    private static final AtomicLong HELD = new AtomicLong();
    /** Gives an ended thread's share of HELD back once its pool is unreachable. */
    private static final Cleaner CLEANER = Cleaner.create();

    private final Map<Integer, ArrayDeque<SoftReference<float[]>>> free = new HashMap<>();
    /** This thread's part of HELD. */
    private final AtomicLong share = new AtomicLong();

    private ArrayPool() {
        AtomicLong mine = share;   // the action must not refer to the pool itself
        CLEANER.register(this, () -> HELD.addAndGet(-mine.get()));
    }

    /** Floats held by all threads' pools together (for the tests). */
    static long heldFloats() {
        return HELD.get();
    }

    private void count(long floats) {
        share.addAndGet(floats);
        HELD.addAndGet(floats);
    }

    /** A zero-filled array. */
    static float[] zeroed(int length) {
        float[] a = LOCAL.get().take(length);
        if (a == null) {
            return new float[length];
        }
        java.util.Arrays.fill(a, 0f);
        return a;
    }

    /** An array whose contents are undefined (NaN under nrpm.cpu.poisonUninitialized). */
    static float[] uninitialized(int length) {
        float[] a = LOCAL.get().take(length);
        if (a == null) {
            a = new float[length];
        }
        if (POISON) {
            java.util.Arrays.fill(a, Float.NaN);
        }
        return a;
    }

    /** Hands back an array nobody else refers to any more. */
    static void release(float[] a) {
        if (a.length >= MIN_LENGTH) {
            LOCAL.get().give(a);
        }
    }

    private float[] take(int length) {
        if (length < MIN_LENGTH) {
            return null;
        }
        ArrayDeque<SoftReference<float[]>> q = free.get(length);
        while (q != null && !q.isEmpty()) {
            float[] a = q.pop().get();
            count(-length);
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    private void give(float[] a) {
        if (HELD.get() + a.length > CAP_FLOATS) {
            dropCleared();
            if (HELD.get() + a.length > CAP_FLOATS) {
                return;   // full: the collector takes it
            }
        }
        free.computeIfAbsent(a.length, n -> new ArrayDeque<>()).push(new SoftReference<>(a));
        count(a.length);
    }

    /** Forgets the entries the collector has cleared, so that they stop counting against the cap. */
    private void dropCleared() {
        for (Map.Entry<Integer, ArrayDeque<SoftReference<float[]>>> e : free.entrySet()) {
            for (Iterator<SoftReference<float[]>> it = e.getValue().iterator(); it.hasNext(); ) {
                if (it.next().get() == null) {
                    it.remove();
                    count(-e.getKey());
                }
            }
        }
    }
}
