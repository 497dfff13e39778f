package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** Edge shapes of the CPU batch norm that the conformance suite's random shapes do not reach. */
class CpuBatchNormTest {
    @Test
    void emptyPlanesAreNoWork() {
        float[] none = new float[0];
        float[] ones = {1f, 1f};
        float[] zeros = {0f, 0f};
        CpuBatchNorm.eval(3, 2, 0, none, ones, zeros, zeros, ones, 1e-5f, none, null, true);
        CpuBatchNorm.backward(3, 2, 0, none, ones, zeros, ones, false, none, none, none, false, null, null);
        float[] gGamma = {0.5f, -0.5f};
        CpuBatchNorm.backward(3, 2, 0, none, ones, zeros, ones, false, none, null, none, true, gGamma, null);
        assertArrayEquals(new float[] {0.5f, -0.5f}, gGamma, "no values, nothing added");
    }
}
