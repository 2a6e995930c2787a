package org.sparkdpo.jobs.precompute;

import java.io.Serializable;

/**
 * What one shard's computation did, returned by its task and stored in its commit marker.
 *
 * @param file             shard file name
 * @param rows             pairs
 * @param tokens           real tokens of both sequences of every pair (prompt twice): the work actually needed
 * @param paddedTokens     token slots computed (sum over batches of S x T), padding included
 * @param completionTokens scored tokens (chosen + rejected completions)
 * @param batches          forward passes
 * @param seconds          wall time of the computation
 */
public record ShardStats(String file, long rows, long tokens, long paddedTokens, long completionTokens, int batches,
                         double seconds) implements Serializable {
    /** Share of computed token slots that were padding, 0 when nothing was computed. */
    public double paddingFraction() {
        return paddedTokens == 0 ? 0 : 1.0 - (double) tokens / paddedTokens;
    }
}
