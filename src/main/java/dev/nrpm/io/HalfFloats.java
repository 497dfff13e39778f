package dev.nrpm.io;

/**
 * Conversions between float32 and the two 16-bit float formats checkpoints use. Java 17 has no
 * Float.float16ToFloat, so they are written out here; encoding rounds to nearest, ties to even,
 * as numpy and torch do, so a value read from a file and written back keeps its exact bits.
 */
final class HalfFloats {
    private HalfFloats() {
    }

    /** IEEE binary16 bits to float (exact: every half is a float). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Float to IEEE binary16 bits, round to nearest even; overflow gives infinity. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) {
            // infinity stays infinity; NaN keeps its top payload bits and stays a (quiet) NaN
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;            // below half the smallest subnormal
            }
            int full = mant | 0x800000;         // hidden bit made explicit
            int shift = 14 - e;
            int half = full >>> shift;
            int rem = full & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rem > halfway || (rem == halfway && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;                             // a carry into the exponent is the correct result
        }
        return (short) (sign | half);
    }

    /** bfloat16 bits to float: the top half of a float32. */
    static float bfloat16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Float to bfloat16 bits, round to nearest even. */
    static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
