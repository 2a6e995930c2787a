package org.sparkdpo.jobs.precompute;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkdpo.model.json.PythonJson;

/**
 * The per-shard commit marker, {@code OUT/_committed/<file>.json}: written after the shard's data file is in place,
 * so its presence means the shard is complete. It carries the shard's statistics (the manifest is assembled from
 * the markers, also of shards committed by earlier runs) and who committed it.
 *
 * @param stats       the shard's statistics
 * @param fingerprint the run fingerprint it was computed under
 * @param bytes       size of the committed data file
 * @param runId       the run that committed it
 * @param attempt     the task attempt that committed it
 * @param committedAt commit time (ISO-8601)
 */
record ShardMarker(ShardStats stats, String fingerprint, long bytes, String runId, String attempt, String committedAt) {

    static ShardMarker of(ShardStats stats, String fingerprint, long bytes, String runId, String attempt) {
        return new ShardMarker(stats, fingerprint, bytes, runId, attempt, Instant.now().toString());
    }

    String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", stats.file());
        m.put("fingerprint", fingerprint);
        m.put("rows", stats.rows());
        m.put("tokens", stats.tokens());
        m.put("padded_tokens", stats.paddedTokens());
        m.put("completion_tokens", stats.completionTokens());
        m.put("padding_fraction", stats.paddingFraction());
        m.put("batches", stats.batches());
        m.put("seconds", stats.seconds());
        m.put("bytes", bytes);
        m.put("run_id", runId);
        m.put("attempt", attempt);
        m.put("committed_at", committedAt);
        return PythonJson.write(m) + "\n";
    }

    /** The marker at {@code p}, or null if there is none. */
    static ShardMarker read(FileSystem fs, Path p) throws IOException {
        JsonNode n = OutputLayout.readJson(fs, p);
        if (n == null) return null;
        ShardStats s = new ShardStats(n.path("file").asText(), n.path("rows").asLong(), n.path("tokens").asLong(),
                n.path("padded_tokens").asLong(), n.path("completion_tokens").asLong(), n.path("batches").asInt(),
                n.path("seconds").asDouble());
        return new ShardMarker(s, n.path("fingerprint").asText(), n.path("bytes").asLong(), n.path("run_id").asText(),
                n.path("attempt").asText(), n.path("committed_at").asText());
    }
}
