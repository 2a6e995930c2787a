package org.sparkdpo.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Copies a block of elements between two byte buffers, converting the dtype. Each buffer carries its own byte order
 * (file data is little-endian, ND4J memory is native). Conversions: float to float (widening exact, narrowing
 * round-to-nearest-even, F64 to F16/BF16 via F32 as torch does), integer to integer (range-checked), BOOL to BOOL
 * (non-zero becomes 1). Anything else is refused.
 */
final class ElementCopy {
    private ElementCopy() {}

    private interface DoubleSource { double get(int i); }
    private interface LongSource { long get(int i); }

    /** Whether {@link #copy} supports converting {@code from} to {@code to}. */
    static boolean canConvert(DType from, DType to) {
        if (from == to) return true;
        if (from.isFloatingPoint()) return to.isFloatingPoint();
        if (from.isInteger()) return to.isInteger();
        return false;
    }

    /**
     * Converts {@code n} elements from {@code in} (starting at its index 0) into {@code out} (index 0).
     *
     * @param firstIndex index of the block's first element within the tensor, for error messages
     * @param where      names file and tensor, for error messages
     */
    static void copy(DType from, ByteBuffer in, DType to, ByteBuffer out, int n, long firstIndex, String where) {
        if (from == to && from != DType.BOOL && in.order() == out.order()) {
            ByteBuffer src = in.duplicate().order(in.order());
            src.position(0).limit(n * from.byteSize());
            ByteBuffer dst = out.duplicate();
            dst.position(0);
            dst.put(src);
            return;
        }
        if (from == DType.BOOL && to == DType.BOOL) {
            for (int i = 0; i < n; i++) out.put(i, in.get(i) != 0 ? (byte) 1 : (byte) 0);
        } else if (from.isFloatingPoint() && to.isFloatingPoint()) {
            floats(doubles(from, in), to, out, n);
        } else if (from.isInteger() && to.isInteger()) {
            ints(longs(from, in), to, out, n, firstIndex, where);
        } else {
            throw new IllegalArgumentException(where + ": cannot convert " + from + " to " + to
                    + " (only float<->float, integer<->integer and BOOL->BOOL)");
        }
    }

    private static DoubleSource doubles(DType from, ByteBuffer in) {
        switch (from) {
            case F64: { DoubleBuffer b = in.asDoubleBuffer(); return b::get; }
            case F32: { FloatBuffer b = in.asFloatBuffer(); return b::get; }
            case F16: { ShortBuffer b = in.asShortBuffer(); return i -> FloatBits.halfToFloat(b.get(i)); }
            case BF16: { ShortBuffer b = in.asShortBuffer(); return i -> FloatBits.bf16ToFloat(b.get(i)); }
            default: throw new IllegalArgumentException("not a float dtype: " + from);
        }
    }

    private static void floats(DoubleSource src, DType to, ByteBuffer out, int n) {
        switch (to) {
            case F64: { DoubleBuffer b = out.asDoubleBuffer(); for (int i = 0; i < n; i++) b.put(i, src.get(i)); break; }
            case F32: { FloatBuffer b = out.asFloatBuffer(); for (int i = 0; i < n; i++) b.put(i, (float) src.get(i)); break; }
            case F16: {
                ShortBuffer b = out.asShortBuffer();
                for (int i = 0; i < n; i++) b.put(i, FloatBits.floatToHalf((float) src.get(i)));
                break;
            }
            case BF16: {
                ShortBuffer b = out.asShortBuffer();
                for (int i = 0; i < n; i++) b.put(i, FloatBits.floatToBf16((float) src.get(i)));
                break;
            }
            default: throw new IllegalArgumentException("not a float dtype: " + to);
        }
    }

    private static LongSource longs(DType from, ByteBuffer in) {
        switch (from) {
            case I64: { LongBuffer b = in.asLongBuffer(); return b::get; }
            case I32: { IntBuffer b = in.asIntBuffer(); return b::get; }
            case I16: { ShortBuffer b = in.asShortBuffer(); return b::get; }
            case I8: return in::get;
            case U8: return i -> in.get(i) & 0xff;
            default: throw new IllegalArgumentException("not an integer dtype: " + from);
        }
    }

    private static void ints(LongSource src, DType to, ByteBuffer out, int n, long firstIndex, String where) {
        long min, max;
        switch (to) {
            case I64: min = Long.MIN_VALUE; max = Long.MAX_VALUE; break;
            case I32: min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; break;
            case I16: min = Short.MIN_VALUE; max = Short.MAX_VALUE; break;
            case I8: min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; break;
            case U8: min = 0; max = 255; break;
            default: throw new IllegalArgumentException("not an integer dtype: " + to);
        }
        LongBuffer lb = to == DType.I64 ? out.asLongBuffer() : null;
        IntBuffer ib = to == DType.I32 ? out.asIntBuffer() : null;
        ShortBuffer sb = to == DType.I16 ? out.asShortBuffer() : null;
        for (int i = 0; i < n; i++) {
            long v = src.get(i);
            if (v < min || v > max) {
                throw new IllegalArgumentException(where + ": element " + (firstIndex + i) + " = " + v
                        + " does not fit " + to);
            }
            switch (to) {
                case I64: lb.put(i, v); break;
                case I32: ib.put(i, (int) v); break;
                case I16: sb.put(i, (short) v); break;
                default: out.put(i, (byte) v); break;
            }
        }
    }

    static boolean nativeIsLittleEndian() {
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    }
}
