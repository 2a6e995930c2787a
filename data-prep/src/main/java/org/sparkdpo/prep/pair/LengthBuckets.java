package org.sparkdpo.prep.pair;

/**
 * Length buckets for batching: a pair's bucket is the smallest of 8, 12, 16, 24, 32, 48, 64, 96, 128, ... (powers of
 * two and the midpoints 1.5x between them) that holds its {@link TokenizedPair#seqLen()}, capped at max-length. The
 * value is a padded width in tokens, so a trainer can pad a batch of one bucket to it; rounding up wastes at most a
 * third of a row, and shards are sorted by exact length within a bucket anyway.
 */
public final class LengthBuckets {
    public static final int SMALLEST = 8;

    private LengthBuckets() {}

    /** The bucket of a pair of {@code length} tokens; {@code maxLength} 0 means no cap. */
    public static int of(int length, int maxLength) {
        long b = SMALLEST;
        while (b < length) {
            long half = b + b / 2;
            b = half >= length ? half : 2 * b;
        }
        if (maxLength > 0 && b > maxLength && length <= maxLength) return maxLength;
        return (int) Math.min(b, Integer.MAX_VALUE);
    }
}
