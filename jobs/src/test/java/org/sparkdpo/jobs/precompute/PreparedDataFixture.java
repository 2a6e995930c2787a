package org.sparkdpo.jobs.precompute;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.jobs.common.Sha256;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/**
 * Stand-in for data-prep's output in tests (replace with the real 'prepare' job once it is merged): tokenizes
 * generated preference pairs with the tiny GPT-2 tokenizer, EOS appended to completions, sorts them by length, and
 * writes N Parquet shards with Spark plus a manifest.json in exactly the input contract's shape. Extra pass-through
 * columns (a string and a nullable struct holding an array) check that every column survives.
 */
public final class PreparedDataFixture {
    /** One tokenized pair. */
    public record Pair(String id, int[] prompt, int[] chosen, int[] rejected) {
        int length() {
            return prompt.length + Math.max(chosen.length, rejected.length);
        }
    }

    static final String[] WORDS = ("the a model river quickly answer because seven green think about under light "
            + "preference data spark token gradient reference policy careful helpful sorry cannot explain paris "
            + "capital number small large window code compute shard").split(" ");

    private PreparedDataFixture() {}

    public static Path tokenizerDir() {
        return TestFixtures.tinyGpt2();
    }

    /** {@code n} pairs of varied lengths (prompt + completion at most 76 tokens), deterministic in {@code seed}. */
    public static List<Pair> pairs(int n, long seed) throws IOException {
        Random rng = new Random(seed);
        List<Pair> out = new ArrayList<>();
        try (HfTokenizer tok = HfTokenizer.load(tokenizerDir())) {
            int eos = tok.eosTokenId().orElseThrow();
            for (int i = 0; i < n; i++) {
                int[] prompt = cap(tok.encode(sentence(rng, 2 + rng.nextInt(35))), 55);
                int[] chosen = withEos(cap(tok.encode(" " + sentence(rng, 1 + rng.nextInt(14))), 20), eos);
                int[] rejected = withEos(cap(tok.encode(" " + sentence(rng, 1 + rng.nextInt(14))), 20), eos);
                out.add(new Pair(String.format("pair-%04d", i), prompt, chosen, rejected));
            }
        }
        return out;
    }

    /** Writes {@code pairs} as {@code shards} length-sorted shards with manifest into {@code dir}; returns dir. */
    public static Path write(SparkSession spark, Path dir, List<Pair> pairs, int shards) throws IOException {
        String tokenizerFp;
        int vocab;
        int eos;
        try (HfTokenizer tok = HfTokenizer.load(tokenizerDir())) {
            tokenizerFp = tok.fingerprint();
            vocab = tok.vocabSize();
            eos = tok.eosTokenId().orElseThrow();
        }
        List<Pair> sorted = new ArrayList<>(pairs);
        sorted.sort(Comparator.comparingInt(Pair::length).thenComparing(Pair::id));
        Files.createDirectories(dir);
        List<Object> shardList = new ArrayList<>();
        MessageDigest md = Sha256.digest();
        int per = (sorted.size() + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            List<Pair> chunk = sorted.subList(Math.min(s * per, sorted.size()), Math.min((s + 1) * per, sorted.size()));
            String file = String.format("part-%05d.parquet", s);
            writeShard(spark, dir, file, chunk, s);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("file", file);
            e.put("rows", chunk.size());
            e.put("min_length", chunk.isEmpty() ? 0 : chunk.get(0).length());
            e.put("max_length", chunk.isEmpty() ? 0 : chunk.get(chunk.size() - 1).length());
            shardList.add(e);
            md.update(file.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(dir.resolve(file))) {
                Sha256.update(md, in);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "prepared");
        m.put("format_version", 1);
        m.put("counts", Map.of("read", pairs.size(), "kept", pairs.size(), "rejected", Map.of()));
        m.put("tokenizer", Map.of("fingerprint", tokenizerFp, "vocab_size", vocab, "eos_token_id", eos));
        m.put("settings", Map.of("max_length", 128, "truncation_mode", "keep_start"));
        m.put("shards", shardList);
        m.put("fingerprint", Sha256.hex(md));
        Files.writeString(dir.resolve("_manifest.json"), PythonJson.write(m) + "\n");
        return dir;
    }

    static StructType schema() {
        StructType meta = new StructType().add("score", DataTypes.DoubleType)
                .add("tags", DataTypes.createArrayType(DataTypes.StringType));
        return new StructType()
                .add("id", DataTypes.StringType, false)
                .add("prompt_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("chosen_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("rejected_ids", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
                .add("prompt_len", DataTypes.IntegerType, false)
                .add("chosen_len", DataTypes.IntegerType, false)
                .add("rejected_len", DataTypes.IntegerType, false)
                .add("length_bucket", DataTypes.IntegerType, false)
                .add("source", DataTypes.StringType)
                .add("meta", meta);
    }

    private static void writeShard(SparkSession spark, Path dir, String file, List<Pair> chunk, int bucket) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (Pair p : chunk) {
            int n = Integer.parseInt(p.id().substring(5));
            Row meta = n % 3 == 0 ? null : RowFactory.create(n / 7.0, new String[] {"t" + (n % 4), n % 2 == 0 ? null : "odd"});
            rows.add(RowFactory.create(p.id(), boxed(p.prompt()), boxed(p.chosen()), boxed(p.rejected()),
                    p.prompt().length, p.chosen().length, p.rejected().length, bucket, n % 5 == 0 ? null : "src-" + (n % 2), meta));
        }
        Path tmp = dir.resolve("_spark-" + file);
        spark.createDataFrame(rows, schema()).coalesce(1).write().parquet(tmp.toString());
        try (var s = Files.list(tmp)) {
            Path part = s.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
            Files.move(part, dir.resolve(file));
        }
        try (var s = Files.walk(tmp)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    private static Integer[] boxed(int[] a) {
        return Arrays.stream(a).boxed().toArray(Integer[]::new);
    }

    private static String sentence(Random rng, int words) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < words; i++) b.append(i == 0 ? "" : " ").append(WORDS[rng.nextInt(WORDS.length)]);
        return b.toString();
    }

    private static int[] cap(int[] ids, int max) {
        return ids.length <= max ? ids : Arrays.copyOf(ids, max);
    }

    private static int[] withEos(int[] ids, int eos) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }
}
