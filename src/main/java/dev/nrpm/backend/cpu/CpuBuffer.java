package dev.nrpm.backend.cpu;

import dev.nrpm.backend.Buffer;

/** CPU storage: a float32 array on the Java heap, where the JIT can vectorize loops over it. */
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
        array = null;
    }
}
