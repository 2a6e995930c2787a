package org.sparkdpo.jobs.precompute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code manifest.json} data-prep writes beside its shards (kind "prepared"): what this job reads to find the
 * shards, check the tokenizer and version its own output. Only the fields used here are typed; the rest stays in
 * {@link #raw()}.
 *
 * @param dir                  the input folder (qualified)
 * @param fingerprint          data-prep's fingerprint of the shard contents
 * @param tokenizerFingerprint SHA-256 of the tokenizer.json the rows were tokenized with
 * @param shards               the shard files, in manifest order
 * @param raw                  the whole manifest
 */
public record InputManifest(Path dir, String fingerprint, String tokenizerFingerprint, List<Shard> shards, JsonNode raw) {
    public static final String FILE = "manifest.json";
    public static final String KIND = "prepared";
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One shard listed in the manifest. */
    public record Shard(String file, long rows) implements java.io.Serializable {}

    public long totalRows() {
        return shards.stream().mapToLong(Shard::rows).sum();
    }

    /** The manifest's {@code tokenizer} object as a map, copied into the output manifest. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> tokenizer() {
        return JSON.convertValue(raw.path("tokenizer"), Map.class);
    }

    /** Reads and checks {@code dir/manifest.json} and that every listed shard exists. */
    public static InputManifest read(String dir, Configuration conf) throws IOException, PrecomputeRefusedException {
        Path d = new Path(dir);
        FileSystem fs = d.getFileSystem(conf);
        if (!fs.exists(d)) throw new PrecomputeRefusedException("input " + dir + " does not exist");
        d = fs.makeQualified(d);
        Path file = new Path(d, FILE);
        if (!fs.exists(file)) {
            throw new PrecomputeRefusedException("input " + dir + " has no " + FILE + ": --data must be a folder written by "
                    + "'prepare' (tokenized shards plus their manifest); a manifest-less folder is refused because its "
                    + "tokenizer and contents cannot be checked");
        }
        JsonNode n;
        try (InputStream in = fs.open(file)) {
            n = JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new PrecomputeRefusedException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new PrecomputeRefusedException(file + " must hold a JSON object");
        String kind = n.path("kind").asText("");
        if (!kind.equals(KIND)) {
            throw new PrecomputeRefusedException(file + ": kind is '" + kind + "', expected '" + KIND
                    + "' (the output of 'prepare')");
        }
        if (n.path("format_version").asInt(-1) != FORMAT_VERSION) {
            throw new PrecomputeRefusedException(file + ": format_version " + n.path("format_version")
                    + " is not supported (this build reads version " + FORMAT_VERSION + ")");
        }
        String fingerprint = text(n, "fingerprint", file);
        String tokenizer = text(n.path("tokenizer"), "fingerprint", file);
        JsonNode shardList = n.path("shards");
        if (!shardList.isArray() || shardList.isEmpty()) throw new PrecomputeRefusedException(file + ": no shards listed");
        List<Shard> shards = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (JsonNode s : shardList) {
            String name = text(s, "file", file);
            if (name.contains("/") || name.startsWith("_") || name.startsWith(".")) {
                throw new PrecomputeRefusedException(file + ": shard file name '" + name + "' must be a plain file name");
            }
            shards.add(new Shard(name, s.path("rows").asLong(0)));
            if (!fs.exists(new Path(d, name))) missing.add(name);
        }
        if (!missing.isEmpty()) {
            throw new PrecomputeRefusedException("input " + dir + ": " + missing.size() + " shard(s) listed in " + FILE
                    + " are missing, e.g. " + missing.get(0));
        }
        return new InputManifest(d, fingerprint, tokenizer, List.copyOf(shards), n);
    }

    private static String text(JsonNode n, String field, Path file) throws PrecomputeRefusedException {
        JsonNode v = n.path(field);
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new PrecomputeRefusedException(file + ": required field '" + field + "' is missing or not a string");
        }
        return v.asText();
    }
}
