package org.sparkdpo.prep;

import java.util.List;
import java.util.Map;
import org.sparkdpo.prep.pair.InputFormat;

/**
 * What a {@code prepare} run produced, as also recorded in its manifest.
 *
 * @param out         the output folder (qualified)
 * @param manifest    path of _manifest.json
 * @param fingerprint SHA-256 over the shards, see {@link PrepareJob}
 */
public record PrepareResult(Counts counts, String out, String manifest, InputFormat format, List<ShardInfo> shards,
                            String fingerprint) {

    /**
     * Row counts; {@code read == kept + rejected} always holds (the job fails otherwise).
     *
     * @param rejectedByReason reject code to count, every code listed (zeros included)
     * @param truncated        kept rows that truncation shortened
     */
    public record Counts(long read, long kept, long rejected, Map<String, Long> rejectedByReason, long truncated) {}

    /** One shard: file name in the output folder, rows, the smallest and largest seq_len, size and SHA-256. */
    public record ShardInfo(String file, long rows, int minLength, int maxLength, long bytes, String sha256) {}
}
