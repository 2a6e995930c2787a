package org.sparkdpo.jobs.precompute;

import java.util.List;

/**
 * The outcome of {@link PrecomputeRefJob#run}: what was computed, what was reused, and the totals of the whole
 * output (all shards, also those committed by earlier runs).
 *
 * @param status          DONE (output written or completed) or UP_TO_DATE (nothing to do, nothing touched)
 * @param out             output folder
 * @param fingerprint     the output's fingerprint
 * @param shards          shards in the output
 * @param computed        shard files computed by this run
 * @param rows            rows in the output
 * @param tokens          real tokens (both sequences of each pair) in the output
 * @param paddingFraction padding share of all computed token slots (from the markers)
 * @param seconds         wall time of this run
 * @param tokensPerSecond tokens computed by this run per second of its compute stage (0 when nothing was computed)
 */
public record PrecomputeResult(Status status, String out, String fingerprint, int shards, List<String> computed, long rows,
                               long tokens, double paddingFraction, double seconds, double tokensPerSecond) {
    public enum Status { DONE, UP_TO_DATE }

    /** Shards taken over from earlier runs. */
    public int reused() {
        return shards - computed.size();
    }
}
