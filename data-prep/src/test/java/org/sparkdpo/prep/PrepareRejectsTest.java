package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.msg;
import static org.sparkdpo.prep.PrepFixtures.rec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.tokenizer.PrepTokenizers;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.RejectReason;

/** Datasets seeded with every kind of bad row: each lands in rejects/ with its reason and position; none is lost. */
class PrepareRejectsTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    static byte[] json(Map<String, Object> r) throws Exception {
        return PrepFixtures.JSON.writeValueAsBytes(r);
    }

    /** line number (1-based) to expected reason; null = kept. */
    static void assertAccounting(PrepareResult r, Map<Long, String> expected, long keptExpected) {
        PrepareResult.Counts c = r.counts();
        assertEquals(c.read(), c.kept() + c.rejected());
        assertEquals(keptExpected, c.kept());
        Map<Long, String> actual = new TreeMap<>();
        for (Row row : PrepFixtures.rejects(spark, r).collectAsList()) {
            actual.put(row.getAs(PairColumns.SOURCE_LINE), row.getAs(PairColumns.REASON));
            assertTrue(((String) row.getAs(PairColumns.SOURCE_FILE)).startsWith("file:"));
            assertTrue(((String) row.getAs(PairColumns.DETAIL)).length() > 3);
        }
        assertEquals(new TreeMap<>(expected), actual);
        Map<String, Long> byReason = new TreeMap<>();
        expected.values().forEach(v -> byReason.merge(v, 1L, Long::sum));
        c.rejectedByReason().forEach((k, v) -> {
            if (v > 0) assertEquals(byReason.get(k), v, k);
        });
        assertEquals(expected.size(), c.rejected());
    }

    @Test
    void textRowsOfEveryBadKind(@TempDir Path dir) throws Exception {
        List<byte[]> lines = new ArrayList<>();
        Map<Long, String> expected = new TreeMap<>();
        lines.add(json(rec("id", "ok1", "prompt", "The sky is", "chosen", " blue", "rejected", " green")));
        lines.add(json(rec("id", "n", "prompt", null, "chosen", " a", "rejected", " b")));
        expected.put(2L, "null_field");
        lines.add(json(rec("id", "m", "chosen", " a", "rejected", " b")));   // prompt missing
        expected.put(3L, "null_field");
        lines.add(json(rec("id", "e", "prompt", "Q", "chosen", "  ", "rejected", " b")));
        expected.put(4L, "empty_field");
        lines.add(json(rec("id", "s", "prompt", "Q", "chosen", " same", "rejected", " same")));
        expected.put(5L, "chosen_equals_rejected");
        lines.add(json(rec("id", "t", "prompt", "word ".repeat(40), "chosen", " a", "rejected", " b")));
        expected.put(6L, "too_long");
        byte[] bad = json(rec("id", "u", "prompt", "Q", "chosen", " xx", "rejected", " b"));
        int x = new String(bad, StandardCharsets.UTF_8).indexOf("xx");
        bad[x] = (byte) 0xC3;   // a lead byte followed by 'x': not UTF-8
        lines.add(bad);
        expected.put(7L, "invalid_utf8");
        lines.add("{\"id\": \"broken\", \"prompt\": \"Q\", \"chosen\": ".getBytes(StandardCharsets.UTF_8));
        expected.put(8L, "unparsable_line");
        lines.add(new byte[0]);   // blank lines are not records
        lines.add(json(rec("id", "w", "prompt", "Q", "chosen", 42, "rejected", " b")));
        expected.put(10L, "wrong_type");
        lines.add("[1, 2, 3]".getBytes(StandardCharsets.UTF_8));
        expected.put(11L, "wrong_type");
        lines.add(json(rec("id", "ok1", "prompt", "Other", "chosen", " x", "rejected", " y")));
        expected.put(12L, "duplicate_id");
        lines.add(json(rec("id", "ok2", "prompt", "Grass is", "chosen", " green", "rejected", " red")));
        Path in = PrepFixtures.rawLines(dir.resolve("bad.jsonl"), lines);

        PrepareResult r = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(in.toString()), PrepFixtures.gpt2().toString(),
                        dir.resolve("out").toString()).withLengths(32, 0, org.sparkdpo.prep.pair.TruncationMode.KEEP_START).build(),
                PrepareProgress.silent());
        assertEquals(12, r.counts().read());
        assertAccounting(r, expected, 2);

        // rejects keep the original record text, and the first use of a duplicated id is the one kept
        Map<Long, Row> rejects = new TreeMap<>();
        for (Row row : PrepFixtures.rejects(spark, r).collectAsList()) rejects.put(row.getAs(PairColumns.SOURCE_LINE), row);
        assertEquals("{\"id\": \"broken\", \"prompt\": \"Q\", \"chosen\": ", rejects.get(8L).getAs(PairColumns.ROW_JSON));
        assertEquals(new String(json(rec("id", "w", "prompt", "Q", "chosen", 42, "rejected", " b")), StandardCharsets.UTF_8),
                rejects.get(10L).getAs(PairColumns.ROW_JSON));
        assertTrue(((String) rejects.get(12L).getAs(PairColumns.DETAIL)).contains("line 1"));
        List<Row> kept = PrepFixtures.shardRows(spark, r);
        assertEquals("The sky is", kept.stream().filter(k -> k.getAs("id").equals("ok1")).findFirst().orElseThrow().getAs("prompt"));
    }

    @Test
    void conversationRowsWithTemplateProblems(@TempDir Path dir) throws Exception {
        Path tok = PrepTokenizers.llama3Style(dir);
        List<Map<String, Object>> rows = List.of(
                rec("id", "ok", "prompt", List.of(msg("user", "Hi?")), "chosen", List.of(msg("assistant", "Hello.")),
                        "rejected", List.of(msg("assistant", "Go away."))),
                rec("id", "asst-last", "prompt", List.of(msg("user", "Hi?"), msg("assistant", "Hel")),
                        "chosen", List.of(msg("assistant", "lo.")), "rejected", List.of(msg("assistant", "p."))),
                rec("id", "prefix", "chosen", List.of(msg("user", "Hi?")),
                        "rejected", List.of(msg("user", "Hi?"), msg("assistant", "Hello."))),
                rec("id", "nocontent", "prompt", List.of(msg("user", null)), "chosen", List.of(msg("assistant", "a")),
                        "rejected", List.of(msg("assistant", "b"))),
                rec("id", "text", "prompt", List.of(msg("user", "Hi?")), "chosen", "Hello.",
                        "rejected", List.of(msg("assistant", "b"))));
        Path in = PrepFixtures.jsonl(dir.resolve("chat.jsonl"), rows);
        // One row's chosen is text, so JSON inference types the column as text: name the format.
        PrepareResult r = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(in.toString()), tok.toString(),
                dir.resolve("out").toString()).withFormat(InputFormat.CONVERSATIONAL).build(), PrepareProgress.silent());
        assertAccounting(r, Map.of(2L, "template_error", 3L, "empty_completion", 4L, "null_field", 5L, "wrong_type"), 1);
    }

    @Test
    void pretokenizedRowsOutOfVocabulary(@TempDir Path dir) throws Exception {
        StructType schema = new StructType().add("id", DataTypes.StringType)
                .add("prompt_ids", DataTypes.createArrayType(DataTypes.LongType))
                .add("chosen_ids", DataTypes.createArrayType(DataTypes.LongType))
                .add("rejected_ids", DataTypes.createArrayType(DataTypes.LongType));
        spark.createDataFrame(List.of(
                RowFactory.create("ok", List.of(1L, 2L), List.of(3L), List.of(4L)),
                RowFactory.create("big", List.of(1L), List.of(50257L), List.of(4L)),
                RowFactory.create("neg", List.of(-1L), List.of(3L), List.of(4L)),
                RowFactory.create("empty", List.of(), List.of(3L), List.of(4L)),
                RowFactory.create("nul", null, List.of(3L), List.of(4L))), schema)
                .coalesce(1).write().parquet(dir.resolve("in").toString());
        PrepareResult r = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(dir.resolve("in").toString()),
                PrepFixtures.gpt2().toString(), dir.resolve("out").toString()).build(), PrepareProgress.silent());
        assertEquals(5, r.counts().read());
        assertEquals(1, r.counts().kept());
        Map<String, String> reasons = new TreeMap<>();
        for (Row row : PrepFixtures.rejects(spark, r).collectAsList()) {
            reasons.put(row.getAs("id"), row.getAs(PairColumns.REASON));
            assertNull(row.getAs(PairColumns.SOURCE_LINE));
            assertTrue(((String) row.getAs(PairColumns.ROW_JSON)).contains("\"id\":\"" + row.getAs("id") + "\""));
        }
        assertEquals(Map.of("big", "id_out_of_vocab", "neg", "id_out_of_vocab", "empty", "empty_field", "nul", "null_field"), reasons);
        assertEquals(2L, r.counts().rejectedByReason().get(RejectReason.ID_OUT_OF_VOCAB.code()));
    }

    @Test
    void invalidUtf8InParquetText(@TempDir Path dir) throws Exception {
        StructType schema = new StructType().add("prompt", DataTypes.BinaryType).add("chosen", DataTypes.StringType)
                .add("rejected", DataTypes.StringType);
        spark.createDataFrame(List.of(
                RowFactory.create("Good".getBytes(StandardCharsets.UTF_8), " a", " b"),
                RowFactory.create(new byte[] {'B', (byte) 0xFF, 'd'}, " a", " b")), schema)
                .selectExpr("cast(prompt as string) as prompt", "chosen", "rejected")
                .coalesce(1).write().parquet(dir.resolve("in").toString());
        PrepareResult r = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(dir.resolve("in").toString()),
                PrepFixtures.gpt2().toString(), dir.resolve("out").toString()).build(), PrepareProgress.silent());
        assertEquals(1, r.counts().kept());
        Row reject = PrepFixtures.rejects(spark, r).first();
        assertEquals("invalid_utf8", reject.getAs(PairColumns.REASON));
        assertEquals(1L, (long) reject.getAs(PairColumns.SOURCE_ROW));
        assertTrue(Files.exists(Path.of(java.net.URI.create(r.manifest()))));
    }
}
