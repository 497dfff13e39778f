package dev.nrpm.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nrpm.backend.BinaryOp;
import org.junit.jupiter.api.Test;

/**
 * The branch-free ReLU gradient equals a > 0 ? b : 0 bit for bit at every awkward point: signed
 * zeros, the smallest subnormals, the largest finite floats, infinities, NaNs of both signs, for
 * gradients that are themselves zero, negative, infinite or NaN.
 */
class ReluGradTest {
    @Test
    void equalsTheSelectEverywhere() {
        float[] as = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f, 1f, -1f, Float.MAX_VALUE,
            -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0x7f7fffff)};
        float[] bs = {2.5f, -3f, 0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE};
        int n = as.length * bs.length;
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < as.length; i++) {
            for (int j = 0; j < bs.length; j++) {
                a[i * bs.length + j] = as[i];
                b[i * bs.length + j] = bs[j];
            }
        }
        float[] y = new float[n];
        CpuElementwise.zip(BinaryOp.RELU_GRAD, a, b, y, n);
        for (int i = 0; i < n; i++) {
            float want = a[i] > 0 ? b[i] : 0f;
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(y[i]),
                    "relu grad at a=" + a[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(a[i])) + "), b=" + b[i]);
        }
    }
}
