package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/** Test data for the prepare job: JSON Lines written from maps, tokenizers, reading outputs back. */
public final class PrepFixtures {
    public static final ObjectMapper JSON = new ObjectMapper();

    private PrepFixtures() {}

    /** GPT-2's tokenizer folder (no chat template). */
    public static Path gpt2() {
        return TestFixtures.tinyGpt2();
    }

    public static HfTokenizer load(Path dir) {
        try {
            return HfTokenizer.load(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An insertion-ordered map from key, value, key, value, ... */
    public static Map<String, Object> rec(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    public static Map<String, Object> msg(String role, String content) {
        return rec("role", role, "content", content);
    }

    /** Writes one JSON object per line. */
    public static Path jsonl(Path file, List<Map<String, Object>> records) throws IOException {
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> r : records) lines.add(JSON.writeValueAsString(r));
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }

    /** Writes raw lines (bytes as given, '\n' between them). */
    public static Path rawLines(Path file, List<byte[]> lines) throws IOException {
        Files.createDirectories(file.getParent());
        try (var out = Files.newOutputStream(file)) {
            for (byte[] l : lines) {
                out.write(l);
                out.write('\n');
            }
        }
        return file;
    }

    /** The rows of a prepared output's shards, shard by shard in file order. */
    public static List<Row> shardRows(SparkSession spark, PrepareResult r) {
        List<Row> out = new ArrayList<>();
        for (PrepareResult.ShardInfo s : r.shards()) {
            out.addAll(spark.read().parquet(r.out() + "/" + s.file()).collectAsList());
        }
        return out;
    }

    public static Dataset<Row> rejects(SparkSession spark, PrepareResult r) {
        return spark.read().parquet(r.out() + "/" + PairColumns.REJECTS_DIR);
    }

    /** The ids of a row's array column as int[]. */
    public static int[] ids(Row row, String column) {
        List<Integer> l = row.getList(row.fieldIndex(column));
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    public static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
