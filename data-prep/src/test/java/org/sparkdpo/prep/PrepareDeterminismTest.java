package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.rec;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.logprob.LengthBuckets;

/** Same input and settings, different partitioning: byte-identical shards, same ids, same reject positions. */
class PrepareDeterminismTest {
    static final String SPLIT = "mapreduce.input.fileinputformat.split.maxsize";
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    @AfterEach
    void reset() {
        spark.sparkContext().hadoopConfiguration().unset(SPLIT);
        spark.conf().unset("spark.sql.shuffle.partitions");
        spark.conf().set("spark.sql.shuffle.partitions", "4");
    }

    /** 240 pairs of varied lengths, no ids; every 50th line is broken. Returns the broken line numbers. */
    static Set<Long> write(Path file) throws Exception {
        Random rnd = new Random(7);
        String[] words = {"the", "sky", "is", "blue", "green", "model", "token", "spark", "data", "prefer", "answer", "why"};
        List<byte[]> lines = new ArrayList<>();
        Set<Long> broken = new TreeSet<>();
        for (int i = 1; i <= 240; i++) {
            if (i % 50 == 0) {
                lines.add(("{\"prompt\": \"broken " + i).getBytes(StandardCharsets.UTF_8));
                broken.add((long) i);
                continue;
            }
            StringBuilder p = new StringBuilder("Question " + i + ":");
            for (int k = rnd.nextInt(40); k >= 0; k--) p.append(' ').append(words[rnd.nextInt(words.length)]);
            String c = " yes" + " " + words[rnd.nextInt(words.length)].repeat(1 + rnd.nextInt(5));
            String r = " no" + " " + words[rnd.nextInt(words.length)].repeat(1 + rnd.nextInt(9));
            lines.add(PrepFixtures.JSON.writeValueAsBytes(rec("prompt", p.toString(), "chosen", c, "rejected", r, "n", i)));
        }
        PrepFixtures.rawLines(file, lines);
        return broken;
    }

    static PrepareResult run(Path in, Path out) throws Exception {
        return PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(in.toString()), PrepFixtures.gpt2().toString(), out.toString())
                .withShards(3, PrepareSettingsBuilder.DEFAULT_TARGET_SHARD_ROWS).build(), PrepareProgress.silent());
    }

    static Path local(String uri) {
        return Path.of(URI.create(uri));
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void jsonLinesWithOneSplitOrManySplits(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.jsonl");
        Set<Long> broken = write(in);
        PrepareResult a = run(in, dir.resolve("a"));
        spark.sparkContext().hadoopConfiguration().set(SPLIT, "1500");   // ~25 input splits
        spark.conf().set("spark.sql.shuffle.partitions", "7");
        int splits = org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).newAPIHadoopFile(
                in.toString(), org.apache.hadoop.mapreduce.lib.input.TextInputFormat.class, org.apache.hadoop.io.LongWritable.class,
                org.apache.hadoop.io.Text.class, spark.sparkContext().hadoopConfiguration()).getNumPartitions();
        assertTrue(splits > 10, splits + " splits");
        PrepareResult b = run(in, dir.resolve("b"));

        assertEquals(a.counts(), b.counts());
        assertEquals(3, a.shards().size());
        for (int i = 0; i < 3; i++) {
            String file = a.shards().get(i).file();
            assertEquals("part-0000" + i + ".parquet", file);
            assertArrayEquals(Files.readAllBytes(local(a.out()).resolve(file)), Files.readAllBytes(local(b.out()).resolve(file)),
                    "shard " + file + " differs between partitionings");
        }
        assertEquals(a.fingerprint(), b.fingerprint());
        // same ids, and reject lines are exact whatever the splits
        assertEquals(ids(a), ids(b));
        for (PrepareResult r : List.of(a, b)) {
            Set<Long> lines = new TreeSet<>();
            for (Row row : PrepFixtures.rejects(spark, r).collectAsList()) lines.add(row.getAs(PairColumns.SOURCE_LINE));
            assertEquals(broken, lines);
        }
        checkShards(a);
        checkManifest(a);
    }

    @Test
    void parquetInOneFileOrFive(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("in.jsonl");
        write(json);
        var df = spark.read().json(json.toString()).filter("_corrupt_record is null").drop("_corrupt_record");
        df.coalesce(1).write().parquet(dir.resolve("one").toString());
        df.repartition(5).write().parquet(dir.resolve("five").toString());
        PrepareResult a = run(dir.resolve("one"), dir.resolve("a"));
        PrepareResult b = run(dir.resolve("five"), dir.resolve("b"));
        assertEquals(a.counts().kept(), b.counts().kept());
        assertEquals(a.fingerprint(), b.fingerprint());
        assertEquals(ids(a), ids(b));
        // a different setting gives different shards
        PrepareResult c = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(dir.resolve("one").toString()),
                PrepFixtures.gpt2().toString(), dir.resolve("c").toString()).withShards(2, 1).build(), PrepareProgress.silent());
        assertNotEquals(a.fingerprint(), c.fingerprint());
    }

    static Set<String> ids(PrepareResult r) {
        Set<String> out = new TreeSet<>();
        for (Row row : PrepFixtures.shardRows(spark, r)) out.add(row.getAs(PairColumns.ID));
        assertEquals(r.counts().kept(), out.size(), "ids are unique");
        return out;
    }

    /** Sizes within one row of each other; rows sorted by (bucket, length, id) in every shard; buckets as documented. */
    static void checkShards(PrepareResult r) {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (PrepareResult.ShardInfo s : r.shards()) {
            List<Row> rows = spark.read().parquet(r.out() + "/" + s.file()).collectAsList();
            assertEquals(s.rows(), rows.size());
            min = Math.min(min, rows.size());
            max = Math.max(max, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                Row x = rows.get(i);
                int seq = x.getAs(PairColumns.SEQ_LEN);
                assertEquals(LengthBuckets.of(seq, 1024), (int) x.getAs(PairColumns.LENGTH_BUCKET));
                if (i > 0) {
                    Row w = rows.get(i - 1);
                    int cmp = Integer.compare(w.getAs(PairColumns.LENGTH_BUCKET), x.getAs(PairColumns.LENGTH_BUCKET));
                    if (cmp == 0) cmp = Integer.compare(w.getAs(PairColumns.SEQ_LEN), seq);
                    if (cmp == 0) cmp = ((String) w.getAs(PairColumns.ID)).compareTo(x.getAs(PairColumns.ID));
                    assertTrue(cmp < 0, "rows out of order in " + s.file() + " at " + i);
                }
            }
            assertEquals(rows.stream().mapToInt(x -> x.getAs(PairColumns.SEQ_LEN)).min().orElseThrow(), s.minLength());
            assertEquals(rows.stream().mapToInt(x -> x.getAs(PairColumns.SEQ_LEN)).max().orElseThrow(), s.maxLength());
        }
        assertTrue(max - min <= 1, "shard sizes " + min + ".." + max);
    }

    static void checkManifest(PrepareResult r) throws Exception {
        Path out = local(r.out());
        JsonNode m = PrepFixtures.JSON.readTree(out.resolve("_manifest.json").toFile());
        assertEquals("prepared", m.get("kind").asText());
        assertEquals(1, m.get("format_version").asInt());
        assertEquals("standard", m.get("format").asText());
        assertEquals(PrepFixtures.load(PrepFixtures.gpt2()).fingerprint(), m.get("tokenizer").get("fingerprint").asText());
        assertEquals(50257, m.get("tokenizer").get("vocab_size").asInt());
        assertEquals(50256, m.get("tokenizer").get("eos_token_id").asInt());
        JsonNode counts = m.get("counts");
        assertEquals(240, counts.get("read").asLong());
        assertEquals(counts.get("read").asLong(), counts.get("kept").asLong() + counts.get("rejected").asLong());
        assertEquals(4, counts.get("rejected_by_reason").get("unparsable_line").asLong());
        assertEquals(1024, m.get("settings").get("max_length").asInt());
        assertEquals("keep_start", m.get("settings").get("truncation_mode").asText());
        assertEquals(3, m.get("settings").get("shards").asInt());
        // fingerprint = sha256 of what `sha256sum part-*.parquet` prints
        StringBuilder sums = new StringBuilder();
        long rows = 0;
        Map<String, Long> listed = new TreeMap<>();
        for (JsonNode s : m.get("shards")) {
            byte[] bytes = Files.readAllBytes(out.resolve(s.get("file").asText()));
            assertEquals(sha256(bytes), s.get("sha256").asText());
            sums.append(sha256(bytes)).append("  ").append(s.get("file").asText()).append('\n');
            rows += s.get("rows").asLong();
            listed.put(s.get("file").asText(), s.get("rows").asLong());
        }
        assertEquals(sha256(sums.toString().getBytes(StandardCharsets.UTF_8)), m.get("fingerprint").asText());
        assertEquals(counts.get("kept").asLong(), rows);
        // nothing in the folder but the shards, _rejects/ and _manifest.json (Hadoop checksum files aside)
        Set<String> names = new TreeSet<>();
        try (var s = Files.list(out)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".crc")).forEach(names::add);
        }
        Set<String> expected = new TreeSet<>(listed.keySet());
        expected.add("_manifest.json");
        expected.add("_rejects");
        assertEquals(expected, names);
    }
}
