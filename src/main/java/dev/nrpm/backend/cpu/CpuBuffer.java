package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Buffer;

/**
 * CPU storage: a float32 array on the Java heap, where the JIT can vectorize loops over it. The
 * buffer is the array's only holder (the backend makes or copies every one), so release hands it
 * to the {@link ArrayPool} for the next buffer of its length.
 */
final class CpuBuffer extends Buffer {
    private float[] array;

    CpuBuffer(float[] array) {
        super(array.length);
        this.array = array;
    }

    float[] array() {
        checkLive();
        return array;
    }

    @Override
    protected void free() {
        ArrayPool.release(array);
        array = null;
    }
}
