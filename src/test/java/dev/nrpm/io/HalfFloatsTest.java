package dev.nrpm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** 16-bit float conversions against numpy's float32 -> float16 casts (round to nearest, ties to even). */
class HalfFloatsTest {

    @Test
    void floatToHalfMatchesNumpy() {
        // values and bits from numpy: np.array([v], np.float32).astype(np.float16).view(np.uint16)
        float[] v = {1.0f, 65504f, 65519f, 65520f, 1e-8f, 0x1p-24f, 0x1p-25f, 3 * 0x1p-26f, 0.1f, -2.5f, 2049f, 2051f,
            6.1e-5f, 1e5f, -0.0f};
        int[] bits = {0x3c00, 0x7bff, 0x7bff, 0x7c00, 0x0, 0x1, 0x0, 0x1, 0x2e66, 0xc100, 0x6800, 0x6802, 0x3ff, 0x7c00,
            0x8000};
        for (int i = 0; i < v.length; i++) {
            assertEquals(bits[i], HalfFloats.floatToHalf(v[i]) & 0xffff, "half of " + v[i]);
        }
    }

    @Test
    void everyHalfSurvivesARoundTrip() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.halfToFloat((short) h);
            int back = HalfFloats.floatToHalf(f) & 0xffff;
            if (Float.isNaN(f)) {
                assertTrue((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0, "NaN stays NaN: " + Integer.toHexString(h));
            } else {
                assertEquals(h, back, "bits " + Integer.toHexString(h));
            }
        }
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.halfToFloat((short) 0x7c00));
        assertEquals(0x1p-24f, HalfFloats.halfToFloat((short) 1));
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals(0x3f80, HalfFloats.floatToBfloat16(1.0f) & 0xffff);
        // exactly half way between 0x3f80 and 0x3f81: to the even one
        assertEquals(0x3f80, HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3f808000)) & 0xffff);
        assertEquals(0x3f82, HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3f818000)) & 0xffff);
        assertEquals(0x3f81, HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3f808001)) & 0xffff);
        assertTrue(Float.isNaN(HalfFloats.bfloat16ToFloat(HalfFloats.floatToBfloat16(Float.NaN))));
        assertEquals(-0x1.8p127f, HalfFloats.bfloat16ToFloat((short) 0xff40));
    }
}
