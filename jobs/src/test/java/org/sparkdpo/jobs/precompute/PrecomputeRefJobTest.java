package org.sparkdpo.jobs.precompute;

import org.sparkdpo.model.TestWeights;
import org.sparkdpo.common.JobRefusedException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;

/** The precompute job end to end on the tiny GPT-2 in local[2]: values, batching invariance, resume, skip, refusals. */
class PrecomputeRefJobTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static List<PreparedDataFixture.Pair> pairs;
    static Path data4;
    static Path data2;
    static Map<String, double[]> expected = new HashMap<>();   // id -> chosen, rejected, chosen tokens, rejected tokens

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkSessions.forTests();
        pairs = PreparedDataFixture.pairs(24, 7);
        data4 = PreparedDataFixture.write(spark, tmp.resolve("data4"), pairs, 4);
        data2 = PreparedDataFixture.write(spark, tmp.resolve("data2"), pairs, 2);
        BaseWeights base = TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT);
        CompletionScorer scorer = new CompletionScorer(base, null);
        for (PreparedDataFixture.Pair p : pairs) {
            CompletionScores c = scorer.score(List.of(new Completion(p.prompt(), p.chosen())));
            CompletionScores r = scorer.score(List.of(new Completion(p.prompt(), p.rejected())));
            expected.put(p.id(), new double[] {c.sums()[0], r.sums()[0], c.counts()[0], r.counts()[0]});
        }
    }

    static String model() {
        return TestFixtures.tinyGpt2().toString();
    }

    static PrecomputeSettingsBuilder opts(Path data, Path out) {
        return PrecomputeSettingsBuilder.of(data.toString(), model(), out.toString());
    }

    static Dataset<Row> read(Path out) {
        return spark.read().parquet(out.resolve("*.parquet").toString());
    }

    static Map<String, Row> byId(Path out) {
        Map<String, Row> m = new TreeMap<>();
        for (Row r : read(out).collectAsList()) m.put(r.getString(r.fieldIndex("id")), r);
        return m;
    }

    static void assertMatchesOneAtATime(Path out) {
        Map<String, Row> rows = byId(out);
        assertEquals(expected.keySet(), rows.keySet());
        for (Map.Entry<String, Row> e : rows.entrySet()) {
            double[] x = expected.get(e.getKey());
            Row r = e.getValue();
            assertEquals(x[0], r.getDouble(r.fieldIndex("ref_chosen_logps")), 1e-4, e.getKey());
            assertEquals(x[1], r.getDouble(r.fieldIndex("ref_rejected_logps")), 1e-4, e.getKey());
            assertEquals((int) x[2], r.getInt(r.fieldIndex("ref_chosen_tokens")), e.getKey());
            assertEquals((int) x[3], r.getInt(r.fieldIndex("ref_rejected_tokens")), e.getKey());
        }
    }

    /** Relative path -> bytes of every file under {@code dir} except the given top-level names. */
    static Map<String, byte[]> files(Path dir, String... except) throws Exception {
        Map<String, byte[]> m = new TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (Arrays.stream(except).anyMatch(rel::startsWith)) continue;
                m.put(rel, Files.readAllBytes(p));
            }
        }
        return m;
    }

    static void assertSameFiles(Map<String, byte[]> a, Map<String, byte[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
    }

    static JsonNode json(Path p) throws Exception {
        return new ObjectMapper().readTree(p.toFile());
    }

    /**
     * Folders written before the {@code _} layout ({@code manifest.json} among the shards) are still read, and a
     * precompute-ref output in that layout is upgraded by rerunning the same command: only its manifest is rewritten,
     * under the new name, after which Spark reads the folder as a dataset.
     */
    @Test
    void foldersInTheOldLayoutAreReadAndARerunUpgradesTheOutput() throws Exception {
        Path legacyData = tmp.resolve("legacy-data");
        Files.createDirectories(legacyData);
        try (var s = Files.list(data2)) {
            for (Path f : s.toList()) {
                String name = f.getFileName().toString().equals("_manifest.json") ? "manifest.json" : f.getFileName().toString();
                if (Files.isRegularFile(f)) Files.copy(f, legacyData.resolve(name));
            }
        }
        Path out = tmp.resolve("legacy-out");
        PrecomputeResult first = PrecomputeRefJob.run(spark, opts(legacyData, out).build());
        assertEquals(PrecomputeResult.Status.DONE, first.status());
        assertMatchesOneAtATime(out);

        Files.move(out.resolve("_manifest.json"), out.resolve("manifest.json"));     // as an older build left it
        Map<String, byte[]> shards = files(out, "_", "manifest.json", ".");
        PrecomputeResult again = PrecomputeRefJob.run(spark, opts(legacyData, out).build());
        assertEquals(first.fingerprint(), again.fingerprint());
        assertTrue(again.computed().isEmpty(), "nothing recomputed: " + again.computed());
        assertFalse(Files.exists(out.resolve("manifest.json")));
        assertTrue(Files.exists(out.resolve("_manifest.json")));
        assertSameFiles(shards, files(out, "_", "manifest.json", "."));
        assertEquals(24, spark.read().parquet(out.toString()).count(), "the folder is a Spark dataset");
    }

    @Test
    void valuesEqualOneAtATimeScoresAndEveryColumnIsKept() throws Exception {
        Path out = tmp.resolve("values");
        PrecomputeResult r = PrecomputeRefJob.run(spark, opts(data4, out).build());
        assertEquals(PrecomputeResult.Status.DONE, r.status());
        assertEquals(4, r.computed().size());
        assertEquals(24, r.rows());
        assertMatchesOneAtATime(out);

        // same rows, same order, every input column unchanged, the four columns appended
        for (int s = 0; s < 4; s++) {
            String file = String.format("part-%05d.parquet", s);
            Dataset<Row> in = spark.read().parquet(data4.resolve(file).toString());
            Dataset<Row> got = spark.read().parquet(out.resolve(file).toString());
            // (Spark reports every column of a Parquet file as nullable)
            StructType want = in.schema()
                    .add("ref_chosen_logps", DataTypes.DoubleType).add("ref_rejected_logps", DataTypes.DoubleType)
                    .add("ref_chosen_tokens", DataTypes.IntegerType).add("ref_rejected_tokens", DataTypes.IntegerType);
            assertEquals(want, got.schema());
            assertEquals(in.collectAsList(), got.select(Arrays.stream(in.columns()).map(org.apache.spark.sql.functions::col)
                    .toArray(org.apache.spark.sql.Column[]::new)).collectAsList(), file);
        }

        JsonNode m = json(out.resolve("_manifest.json"));
        assertEquals("reference_logps", m.path("kind").asText());
        assertEquals(1, m.path("format_version").asInt());
        assertEquals(json(data4.resolve("_manifest.json")).path("fingerprint").asText(), m.path("input").path("fingerprint").asText());
        assertEquals(r.fingerprint(), m.path("fingerprint").asText());
        assertEquals(TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT).fingerprint(),
                m.path("fingerprint_inputs").path("model").asText(), "driver-side model fingerprint = ModelStore's");
        assertTrue(m.path("fingerprint_inputs").path("adapter").isNull());
        assertEquals("float32", m.path("fingerprint_inputs").path("dtype").asText());
        assertEquals(4, m.path("shards").size());
        assertEquals(24, m.path("totals").path("rows").asInt());
        double padding = m.path("totals").path("padding_fraction").asDouble();
        assertTrue(padding >= 0 && padding < 0.5, "padding fraction " + padding);
        for (int s = 0; s < 4; s++) assertTrue(Files.exists(out.resolve(String.format("_committed/part-%05d.parquet.json", s))));
        assertFalse(Files.exists(out.resolve("_tmp")));
    }

    @Test
    void valuesEqualAcrossBatchSizesAndShardCounts() throws Exception {
        Path small = tmp.resolve("batch-small");
        Path big = tmp.resolve("batch-big");
        PrecomputeRefJob.run(spark, opts(data4, small).withBatch(128, 2).build());
        PrecomputeRefJob.run(spark, opts(data2, big).withBatch(16384, 64).build());
        assertMatchesOneAtATime(small);
        assertMatchesOneAtATime(big);
        JsonNode a = json(small.resolve("_manifest.json"));
        JsonNode b = json(big.resolve("_manifest.json"));
        assertEquals(2, b.path("shards").size());
        assertTrue(a.path("totals").path("padding_fraction").asDouble() <= b.path("totals").path("padding_fraction").asDouble(),
                "one pair per batch pads less than 64 sequences per batch");
    }

    @Test
    void killedRunResumesOnlyMissingShardsAndEndsIdentical() throws Exception {
        Path reference = tmp.resolve("uninterrupted");
        PrecomputeRefJob.run(spark, opts(data4, reference).build());

        Path out = tmp.resolve("resumed");
        PrecomputeSettings failing = opts(data4, out).build();
        ShardTask.failFirstAttemptOf = "part-00003.parquet";
        Exception e;
        try {
            e = assertThrows(Exception.class, () -> PrecomputeRefJob.run(spark, failing));
        } finally {
            ShardTask.failFirstAttemptOf = null;
        }
        assertTrue(String.valueOf(e.getMessage()).contains("injected failure"), e.getMessage());
        assertFalse(Files.exists(out.resolve("_manifest.json")));
        assertFalse(Files.exists(out.resolve("_committed/part-00003.parquet.json")));
        assertFalse(Files.exists(out.resolve("part-00003.parquet")));
        Map<String, byte[]> committedBefore = files(out.resolve("_committed"));
        assertFalse(committedBefore.isEmpty(), "some shards were committed before the failure");
        TreeSet<String> missing = new TreeSet<>();
        for (int s = 0; s < 4; s++) {
            String f = String.format("part-%05d.parquet", s);
            if (!committedBefore.containsKey(f + ".json")) missing.add(f);
        }

        PrecomputeResult r = PrecomputeRefJob.run(spark, opts(data4, out).build());
        assertEquals(missing, new TreeSet<>(r.computed()), "only the missing shards were recomputed");
        Map<String, byte[]> committedAfter = files(out.resolve("_committed"));
        for (String k : committedBefore.keySet()) assertArrayEquals(committedBefore.get(k), committedAfter.get(k), k);
        assertSameFiles(files(reference, "_committed"), files(out, "_committed"));   // shards, manifest, _fingerprint.json
    }

    @Test
    void secondRunIsSkippedAndLeavesOutputUntouched() throws Exception {
        Path out = tmp.resolve("twice");
        PrecomputeRefJob.run(spark, opts(data4, out).build());
        Map<String, byte[]> before = files(out);
        Map<String, Long> mtimes = new HashMap<>();
        try (var s = Files.walk(out)) {
            for (Path p : s.toList()) mtimes.put(p.toString(), Files.getLastModifiedTime(p).toMillis());
        }
        PrecomputeResult r = PrecomputeRefJob.run(spark, opts(data4, out).build());
        assertEquals(PrecomputeResult.Status.UP_TO_DATE, r.status());
        assertTrue(r.computed().isEmpty());
        assertEquals(24, r.rows());
        assertSameFiles(before, files(out));
        try (var s = Files.walk(out)) {
            for (Path p : s.toList()) assertEquals(mtimes.get(p.toString()), Files.getLastModifiedTime(p).toMillis(), p.toString());
        }
    }

    @Test
    void differentFingerprintIsRefusedUnlessOverwrite() throws Exception {
        Path out = tmp.resolve("refuse");
        PrecomputeResult first = PrecomputeRefJob.run(spark, opts(data2, out).build());
        Map<String, byte[]> before = files(out);

        JobRefusedException dtype = assertThrows(JobRefusedException.class,
                () -> PrecomputeRefJob.run(spark, opts(data2, out).withDtype(PrecomputeSettings.Dtype.FLOAT64).build()));
        assertTrue(dtype.getMessage().contains("--overwrite"), dtype.getMessage());
        String adapter = TestFixtures.tinyGpt2().resolve("adapter").toString();
        assertThrows(JobRefusedException.class, () -> PrecomputeRefJob.run(spark, opts(data2, out).withAdapter(adapter).build()));
        assertSameFiles(before, files(out));

        PrecomputeResult r = PrecomputeRefJob.run(spark, opts(data2, out).withAdapter(adapter).withOverwrite(true).build());
        assertEquals(PrecomputeResult.Status.DONE, r.status());
        assertNotEquals(first.fingerprint(), r.fingerprint());
        JsonNode m = json(out.resolve("_manifest.json"));
        assertEquals(r.fingerprint(), m.path("fingerprint").asText());
        assertTrue(m.path("fingerprint_inputs").path("adapter").isTextual());
        // the adapter changes the values: the reference is base + adapter now
        Map<String, Row> rows = byId(out);
        Row any = rows.values().iterator().next();
        double[] base = expected.get(any.getString(any.fieldIndex("id")));
        assertNotEquals(base[0], any.getDouble(any.fieldIndex("ref_chosen_logps")), 1e-6);
    }

    @Test
    void refusesInputWithoutManifestBeforeAnyCompute() throws Exception {
        Path data = tmp.resolve("no-manifest");
        Files.createDirectories(data);
        Files.copy(data2.resolve("part-00000.parquet"), data.resolve("part-00000.parquet"));
        Path out = tmp.resolve("no-manifest-out");
        JobRefusedException e = assertThrows(JobRefusedException.class,
                () -> PrecomputeRefJob.run(spark, opts(data, out).build()));
        assertTrue(e.getMessage().contains("has no _manifest.json"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void refusesTokenizerMismatchBeforeAnyCompute() throws Exception {
        Path data = tmp.resolve("other-tokenizer");
        Files.createDirectories(data);
        for (String f : List.of("part-00000.parquet", "part-00001.parquet")) Files.copy(data2.resolve(f), data.resolve(f));
        String manifest = Files.readString(data2.resolve("_manifest.json"));
        String fp = json(data2.resolve("_manifest.json")).path("tokenizer").path("fingerprint").asText();
        Files.writeString(data.resolve("_manifest.json"), manifest.replace(fp, "0".repeat(64)));
        Path out = tmp.resolve("other-tokenizer-out");
        JobRefusedException e = assertThrows(JobRefusedException.class,
                () -> PrecomputeRefJob.run(spark, opts(data, out).build()));
        assertTrue(e.getMessage().contains("tokenizer mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("0".repeat(64)) && e.getMessage().contains(fp), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void tooLongSequenceFailsNamingTheRow() throws Exception {
        int[] prompt = new int[100];
        Arrays.fill(prompt, 464);
        List<PreparedDataFixture.Pair> bad = new ArrayList<>(pairs.subList(0, 3));
        bad.add(new PreparedDataFixture.Pair("pair-9999", prompt, new int[40], new int[] {50256}));
        Path data = PreparedDataFixture.write(spark, tmp.resolve("too-long"), bad, 1);
        Exception e = assertThrows(Exception.class, () -> PrecomputeRefJob.run(spark, opts(data, tmp.resolve("too-long-out")).build()));
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("row id 'pair-9999'") && msg.contains("140 tokens") && msg.contains("128 positions"), msg);
    }

    @Test
    void nonFiniteLogProbsFailTheShardNamingTheRow() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("nan-model"));
        for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(TestFixtures.tinyGpt2().resolve(f), model.resolve(f));
        }
        Map<String, org.nd4j.linalg.api.ndarray.INDArray> tensors = new TreeMap<>();
        try (org.sparkdpo.model.io.Checkpoint ckpt = org.sparkdpo.model.io.Checkpoint.open(TestFixtures.tinyGpt2())) {
            for (String name : ckpt.names()) tensors.put(name, ckpt.read(name, DataType.FLOAT).dup());
        }
        String lnf = tensors.keySet().stream().filter(k -> k.endsWith("ln_f.bias")).findFirst().orElseThrow();
        tensors.get(lnf).assign(Double.NaN);
        org.sparkdpo.model.io.SafeTensorsWriter.write(model.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        PrecomputeSettings o = new PrecomputeSettings(data2.toString(), model.toString(), tmp.resolve("nan-out").toString(),
                null, PrecomputeSettings.Dtype.FLOAT32, 8192, 64, false);
        Exception e = assertThrows(Exception.class, () -> PrecomputeRefJob.run(spark, o));
        String msg = String.valueOf(e.getMessage());
        assertTrue(msg.contains("non-finite reference log-prob") && msg.contains("row id 'pair-"), msg);
        assertFalse(Files.exists(tmp.resolve("nan-out/_committed/part-00000.parquet.json")));
    }
}
