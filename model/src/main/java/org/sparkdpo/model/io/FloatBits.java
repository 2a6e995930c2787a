package org.sparkdpo.model.io;

/**
 * IEEE half and bfloat16 conversions (Java 17 has no Float.float16ToFloat). Narrowing rounds to nearest-even and
 * treats NaN the way torch does (BF16: canonical 0x7FC0; F16: sign | 0x7E00), so our files match torch's bit for bit.
 */
final class FloatBits {
    private FloatBits() {}

    /** Exact widening of an F16 bit pattern. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0) {
            float v = mant * 0x1p-24f; // zero or subnormal: exact in float
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** Rounds a float to F16, nearest-even; overflow gives infinity, tiny values subnormals or zero. */
    static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) return (short) (sign | 0x7e00); // NaN, as torch (c10::Half / fp16 library)
        if (abs >= 0x477ff000) return (short) (sign | 0x7c00); // >= 65520 (the tie above 65504 goes to even = inf)
        if (abs < 0x38800000) { // below 2^-14: subnormal half
            double scaled = (double) Float.intBitsToFloat(abs) * 0x1p24; // exact
            return (short) (sign | (int) Math.rint(scaled)); // rint rounds half to even; 1024 carries into min normal
        }
        int exp = (abs >>> 23) - 127 + 15;
        int mant = abs & 0x7fffff;
        int half = (exp << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) half++; // carry into exponent is correct
        return (short) (sign | half);
    }

    /** Exact widening of a BF16 bit pattern (the upper half of a float). */
    static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** Rounds a float to BF16, nearest-even, exactly as torch's {@code c10::round_to_nearest_even}. */
    static short floatToBf16(float f) {
        if (Float.isNaN(f)) return (short) 0x7fc0;
        int bits = Float.floatToRawIntBits(f);
        int bias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + bias) >>> 16);
    }
}
