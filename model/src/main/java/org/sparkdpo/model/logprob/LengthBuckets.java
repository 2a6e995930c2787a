package org.sparkdpo.model.logprob;

/**
 * The one padding rule of the system: a length is padded to the smallest of 8, 12, 16, 24, 32, 48, 64, 96, 128, ...
 * (powers of two and the 1.5x midpoints between them) that holds it, capped at a limit. Prepare stores each pair's
 * bucket ({@code length_bucket}); precompute-ref, training and eval pad every forward pass to the bucket of its
 * longest sequence; the log-prob graph pads its scored rows the same way (from 64). Rounding up wastes at most a
 * third of a row, and because the buckets grow geometrically a handful of graph shapes serves every batch (each new
 * shape builds a SameDiff graph).
 */
public final class LengthBuckets {
    public static final int SMALLEST = 8;

    private LengthBuckets() {}

    /** The bucket of {@code length}; {@code cap} 0 means no cap, else a length within the cap pads to at most the cap. */
    public static int of(int length, int cap) {
        long b = SMALLEST;
        while (b < length) {
            long half = b + b / 2;
            b = half >= length ? half : 2 * b;
        }
        if (cap > 0 && b > cap && length <= cap) return cap;
        return (int) Math.min(b, Integer.MAX_VALUE);
    }
}
