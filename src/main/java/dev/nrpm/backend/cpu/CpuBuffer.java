package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Buffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * CPU storage: a float32 array on the Java heap, where the JIT can vectorize loops over it, and,
 * once a oneDNN convolution has read or written the buffer, a native mirror of the same length
 * (plain NCHW order) that oneDNN reads and writes in place. Whichever side was written last holds
 * the values; the other is brought up to date only when it is next asked for, so a tensor that
 * goes from one convolution to the next, or is saved for a convolution's backward while Java code
 * only reads it, is not copied between the heap and native memory each time (bench/RESULTS.md
 * "CPU: native mirrors of activations").
 *
 * <p>The array is reached only through {@link #array()} (which may write it, so the mirror becomes
 * stale) or {@link #readArray()} (which must not), and the mirror only through
 * {@link #mirrorForRead()} and {@link #mirrorForWrite()}: no other path can see an out-of-date
 * side. The buffer is the only holder of both (the backend makes or copies every one), so release
 * hands the array to the {@link ArrayPool} and the mirror to the {@link NativePool}.
 */
final class CpuBuffer extends Buffer {
    private float[] array;
    private FloatPointer mirror;
    /** The mirror holds values newer than the array's. */
    private boolean heapStale;
    /** The array holds values newer than the mirror's (or there is no mirror). */
    private boolean mirrorStale = true;

    CpuBuffer(float[] array) {
        super(array.length);
        this.array = array;
    }

    /** The array, to read and perhaps write: the mirror is out of date afterwards. */
    float[] array() {
        float[] a = readArray();
        mirrorStale = true;
        return a;
    }

    /** The array, to read only: the mirror, if up to date, stays so. */
    float[] readArray() {
        checkLive();
        if (heapStale) {
            syncHeap();
        }
        return array;
    }

    /** The mirror, up to date, for oneDNN to read (copied from the array if it is not). */
    FloatPointer mirrorForRead() {
        checkLive();
        if (mirrorStale) {
            syncMirror();
        }
        return mirror;
    }

    /**
     * The mirror, for oneDNN to write over whole: from the call on the mirror holds the values, and
     * the array is brought up to date when next asked for.
     */
    FloatPointer mirrorForWrite() {
        checkLive();
        if (mirror == null) {
            mirror = NativePool.take(array.length);
        }
        heapStale = true;
        mirrorStale = false;
        return mirror;
    }

    /** Whether the mirror, not the array, holds the values (for the tests). */
    boolean heldNatively() {
        return heapStale;
    }

    /** Whether there is a mirror and it holds the values (for the tests). */
    boolean mirrorUpToDate() {
        return mirror != null && !mirrorStale;
    }

    // synchronized: threads that share a buffer only to read it (one input batch that several
    // threads attack or evaluate) may race to bring one side up to date
    private synchronized void syncHeap() {
        if (heapStale) {
            mirror.position(0).get(array, 0, array.length);
            heapStale = false;
        }
    }

    private synchronized void syncMirror() {
        if (mirrorStale) {
            if (mirror == null) {
                mirror = NativePool.take(array.length);
            }
            mirror.position(0).put(array, 0, array.length);
            mirrorStale = false;
        }
    }

    @Override
    protected void free() {
        ArrayPool.release(array);
        array = null;
        if (mirror != null) {
            NativePool.release(mirror);
            mirror = null;
        }
    }
}
