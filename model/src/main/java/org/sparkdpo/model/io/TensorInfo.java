package org.sparkdpo.model.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * One header entry: where a tensor's bytes lie in the data buffer and how to interpret them. A plain value so callers
 * can inspect shapes and dtypes without touching data. {@code begin}/{@code end} are relative to the data buffer
 * (after the 8-byte length and the header), {@code end} exclusive.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
    }

    /** A copy of the shape; {@code []} for a 0-d tensor. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Rank (number of dimensions). */
    public int rank() {
        return shape.length;
    }

    /** Product of the shape, 1 for a 0-d tensor; validated not to overflow when the file was opened. */
    public long numElements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + "," + end + ")";
    }
}
