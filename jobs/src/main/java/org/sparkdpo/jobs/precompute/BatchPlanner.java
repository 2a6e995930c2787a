package org.sparkdpo.jobs.precompute;

import org.sparkdpo.model.logprob.LengthBuckets;

/**
 * Groups consecutive pairs (each two sequences: prompt+chosen, prompt+rejected) into forward passes under a token
 * budget. The padded length T is the {@link LengthBuckets} bucket of the batch's longest sequence (capped at the
 * model's positions), and a batch is closed when one more pair would exceed {@code batchTokens}
 * (S x T) or {@code maxBatch} sequences. Shards arrive sorted by length, so consecutive pairs pad little; the
 * rounding keeps the set of batch shapes small, which matters because every new shape builds a graph.
 */
final class BatchPlanner {
    private final int batchTokens;
    private final int maxBatch;
    private final int maxPositions;

    BatchPlanner(int batchTokens, int maxBatch, int maxPositions) {
        if (maxBatch < 2) throw new IllegalArgumentException("maxBatch must be >= 2");
        this.batchTokens = batchTokens;
        this.maxBatch = maxBatch;
        this.maxPositions = maxPositions;
    }

    /** {@code length} rounded up to the bucket, never beyond the model's positions. */
    int paddedLength(int length) {
        return Math.min(LengthBuckets.of(length, maxPositions), Math.max(length, maxPositions));
    }

    /**
     * True if a pair whose longer sequence has {@code length} tokens may join a batch of {@code pairs} pairs whose
     * longest sequence has {@code longest} tokens. An empty batch accepts any pair (a pair over budget runs alone).
     */
    boolean fits(int pairs, int longest, int length) {
        if (pairs == 0) return true;
        int s = 2 * (pairs + 1);
        long t = paddedLength(Math.max(longest, length));
        return s <= maxBatch && s * t <= batchTokens;
    }
}
