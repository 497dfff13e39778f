package dev.nrpm.backend.reference;

import dev.nrpm.backend.Buffer;

/** Reference-backend storage: a float64 array on the Java heap. */
final class DoubleBuffer extends Buffer {
    private double[] array;

    DoubleBuffer(double[] array) {
        super(array.length);
        this.array = array;
    }

    double[] array() {
        checkLive();
        return array;
    }

    @Override
    protected void free() {
        array = null;
    }
}
