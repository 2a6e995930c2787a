package org.sparkdpo.prep;

import org.sparkdpo.data.DatasetManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.io.InputFiles;
import org.sparkdpo.prep.pair.InputFormat;

/**
 * {@code _manifest.json} of a prepared folder: what went in, what came out, with which tokenizer and settings. Jobs
 * downstream check {@code kind}, {@code tokenizer.fingerprint}, {@code shards[].file}/{@code rows} and
 * {@code fingerprint}. The {@code fingerprint} is the SHA-256 of the text {@code sha256sum part-*.parquet} prints
 * (one "HASH  FILE" line per shard, in order), so {@code (cd OUT && sha256sum part-*.parquet | sha256sum)} reproduces
 * it. Shard bytes are stable across JVMs ({@link org.sparkdpo.data.StableParquet}) and there are no timestamps:
 * equal runs give equal shards, fingerprints and manifests.
 */
public final class PreparedManifest {
    private PreparedManifest() {}

    /** The manifest as sorted-key JSON data. */
    public static Map<String, Object> build(List<String> inputs, InputFiles files, InputFormat format, PrepareResult.Counts counts,
                                            Map<String, Object> tokenizer, Map<String, Object> settings,
                                            List<PrepareResult.ShardInfo> shards, String fingerprint, StructType schema,
                                            String sparkVersion) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", DatasetManifest.PREPARED);
        m.put("format_version", DatasetManifest.FORMAT_VERSION);
        m.put("inputs", inputs);
        m.put("input_kind", files.kind());
        m.put("input_files", files.fileCount());
        m.put("format", format.code());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("read", counts.read());
        c.put("kept", counts.kept());
        c.put("rejected", counts.rejected());
        c.put("rejected_by_reason", counts.rejectedByReason());
        c.put("truncated", counts.truncated());
        m.put("counts", c);
        m.put("tokenizer", tokenizer);
        m.put("settings", settings);
        List<Object> sl = new ArrayList<>();
        for (PrepareResult.ShardInfo s : shards) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("file", s.file());
            e.put("rows", s.rows());
            e.put("min_length", s.minLength());
            e.put("max_length", s.maxLength());
            e.put("bytes", s.bytes());
            e.put("sha256", s.sha256());
            sl.add(e);
        }
        m.put("shards", sl);
        List<Object> cols = new ArrayList<>();
        for (StructField f : schema.fields()) cols.add(Map.of("name", f.name(), "type", f.dataType().simpleString()));
        m.put("columns", cols);
        m.put("fingerprint", fingerprint);
        m.put("created_by", "spark-dpo prepare (Spark " + sparkVersion + ")");
        return m;
    }

    /** The {@code tokenizer} entry: fingerprint (SHA-256 of tokenizer.json), vocabulary size, special ids, folder. */
    public static Map<String, Object> tokenizer(HfTokenizer tok, String folder) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("fingerprint", tok.fingerprint());
        t.put("vocab_size", tok.vocabSize());
        t.put("eos_token_id", tok.eosTokenId().isPresent() ? tok.eosTokenId().getAsInt() : null);
        t.put("bos_token_id", tok.bosTokenId().isPresent() ? tok.bosTokenId().getAsInt() : null);
        t.put("path", folder);
        return t;
    }

    public static void write(FileSystem fs, Path path, Map<String, Object> manifest) throws IOException {
        try (FSDataOutputStream s = fs.create(path, false)) {
            s.write((PythonJson.write(manifest) + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    /** SHA-256 of the "HASH  FILE\n" lines sha256sum prints for the shards, in order. */
    public static String fingerprint(List<PrepareResult.ShardInfo> shards) {
        StringBuilder b = new StringBuilder();
        for (PrepareResult.ShardInfo s : shards) b.append(s.sha256()).append("  ").append(s.file()).append('\n');
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The final counts as aligned lines, non-zero reasons indented under "rejected". */
    public static List<String> table(PrepareResult.Counts c) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-26s %12d", "read", c.read()));
        lines.add(String.format("%-26s %12d", "kept", c.kept()));
        lines.add(String.format("%-26s %12d", "rejected", c.rejected()));
        c.rejectedByReason().forEach((k, v) -> {
            if (v > 0) lines.add(String.format("  %-24s %12d", k, v));
        });
        lines.add(String.format("%-26s %12d", "truncated (kept)", c.truncated()));
        return lines;
    }
}
