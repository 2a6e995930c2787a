package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.sparkdpo.prep.PrepFixtures.concat;
import static org.sparkdpo.prep.PrepFixtures.ids;
import static org.sparkdpo.prep.PrepFixtures.msg;
import static org.sparkdpo.prep.PrepFixtures.rec;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.tokenizer.ChatMessage;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.model.tokenizer.PrepTokenizers;
import org.sparkdpo.prep.pair.InputFormat;

/** Each input format through the whole job, ids checked against the tokenizer called directly. */
class PrepareFormatsTest {
    static SparkSession spark;
    static HfTokenizer gpt2;
    static int eos;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
        gpt2 = PrepFixtures.load(PrepFixtures.gpt2());
        eos = gpt2.eosTokenId().getAsInt();
    }

    static PrepareResult run(Path in, Path tokenizer, Path out) throws Exception {
        return PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(in.toString()), tokenizer == null ? null : tokenizer.toString(),
                out.toString()).build(), PrepareProgress.silent());
    }

    static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows) m.put(r.getAs(PairColumns.ID), r);
        return m;
    }

    static void assertPair(Row row, int[] prompt, int[] chosen, int[] rejected) {
        assertArrayEquals(prompt, ids(row, PairColumns.PROMPT_IDS));
        assertArrayEquals(chosen, ids(row, PairColumns.CHOSEN_IDS));
        assertArrayEquals(rejected, ids(row, PairColumns.REJECTED_IDS));
        assertEquals(prompt.length, (int) row.getAs(PairColumns.PROMPT_LEN));
        assertEquals(chosen.length, (int) row.getAs(PairColumns.CHOSEN_LEN));
        assertEquals(rejected.length, (int) row.getAs(PairColumns.REJECTED_LEN));
        assertEquals(prompt.length + Math.max(chosen.length, rejected.length), (int) row.getAs(PairColumns.SEQ_LEN));
    }

    @Test
    void standardJsonLines(@TempDir Path dir) throws Exception {
        Path in = PrepFixtures.jsonl(dir.resolve("in.jsonl"), List.of(
                rec("id", "a", "prompt", "The sky is", "chosen", " blue", "rejected", " green", "score", 0.5),
                rec("id", "b", "prompt", "Héllo, wörld ✓", "chosen", " 日本語", "rejected", " plain", "score", 1.5)));
        PrepareResult r = run(in, PrepFixtures.gpt2(), dir.resolve("out"));
        assertEquals(InputFormat.STANDARD, r.format());
        Map<String, Row> rows = byId(PrepFixtures.shardRows(spark, r));
        assertPair(rows.get("a"), gpt2.encode("The sky is"), concat(gpt2.encode(" blue"), eos), concat(gpt2.encode(" green"), eos));
        assertPair(rows.get("b"), gpt2.encode("Héllo, wörld ✓"), concat(gpt2.encode(" 日本語"), eos), concat(gpt2.encode(" plain"), eos));
        // input columns pass through unchanged, text included
        assertEquals("The sky is", rows.get("a").getAs("prompt"));
        assertEquals(1.5, (double) rows.get("b").getAs("score"));
    }

    @Test
    void standardParquet(@TempDir Path dir) throws Exception {
        StructType schema = new StructType().add("prompt", DataTypes.StringType).add("chosen", DataTypes.StringType)
                .add("rejected", DataTypes.StringType).add("n", DataTypes.IntegerType);
        Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create("Two plus two is", " four", " five", 7)), schema);
        df.write().parquet(dir.resolve("in").toString());
        PrepareResult r = run(dir.resolve("in"), PrepFixtures.gpt2(), dir.resolve("out"));
        List<Row> rows = PrepFixtures.shardRows(spark, r);
        assertEquals(1, rows.size());
        assertPair(rows.get(0), gpt2.encode("Two plus two is"), concat(gpt2.encode(" four"), eos), concat(gpt2.encode(" five"), eos));
        assertEquals(7, (int) rows.get(0).getAs("n"));
        assertEquals(List.of("id", "prompt_ids", "chosen_ids", "rejected_ids", "prompt_len", "chosen_len", "rejected_len",
                "seq_len", "length_bucket", "truncated", "prompt", "chosen", "rejected", "n"), List.of(rows.get(0).schema().fieldNames()));
    }

    @Test
    void implicitPromptMultiTurnTranscriptSplitsAtTheLastAssistantTurn(@TempDir Path dir) throws Exception {
        String history = "\n\nHuman: Hi there.\n\nAssistant: Hello! How can I help?\n\nHuman: Name a color.\n\nAssistant:";
        Path in = PrepFixtures.jsonl(dir.resolve("hh.jsonl"), List.of(
                rec("id", "hh", "chosen", history + " Blue is a color.", "rejected", history + " Blue, I guess. Whatever.")));
        PrepareResult r = run(in, PrepFixtures.gpt2(), dir.resolve("out"));
        assertEquals(InputFormat.IMPLICIT, r.format());
        Row row = PrepFixtures.shardRows(spark, r).get(0);
        assertPair(row, gpt2.encode(history), concat(gpt2.encode(" Blue is a color."), eos),
                concat(gpt2.encode(" Blue, I guess. Whatever."), eos));
    }

    @Test
    void conversationalWithExplicitAndImplicitPrompts(@TempDir Path dir) throws Exception {
        Path tok = PrepTokenizers.llama3Style(dir);
        HfTokenizer llama = PrepFixtures.load(tok);
        Path explicit = PrepFixtures.jsonl(dir.resolve("chat/explicit.jsonl"), List.of(rec("id", "x",
                "prompt", List.of(msg("system", "Be brief."), msg("user", "Sky color?")),
                "chosen", List.of(msg("assistant", "Blue.")), "rejected", List.of(msg("assistant", "Green!")))));
        PrepareResult r = run(explicit, tok, dir.resolve("out1"));
        assertEquals(InputFormat.CONVERSATIONAL, r.format());
        List<ChatMessage> prompt = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Sky color?"));
        String p = llama.renderChat(prompt, true);
        String pc = llama.renderChat(List.of(prompt.get(0), prompt.get(1), ChatMessage.assistant("Blue.")), false);
        String pr = llama.renderChat(List.of(prompt.get(0), prompt.get(1), ChatMessage.assistant("Green!")), false);
        Row row = PrepFixtures.shardRows(spark, r).get(0);
        assertPair(row, llama.encode(p), llama.encode(pc.substring(p.length())), llama.encode(pr.substring(p.length())));

        // Implicit: the shared leading messages are the prompt.
        Path implicit = PrepFixtures.jsonl(dir.resolve("chat2/implicit.jsonl"), List.of(rec("id", "y",
                "chosen", List.of(msg("system", "Be brief."), msg("user", "Sky color?"), msg("assistant", "Blue.")),
                "rejected", List.of(msg("system", "Be brief."), msg("user", "Sky color?"), msg("assistant", "Green!")))));
        Row row2 = PrepFixtures.shardRows(spark, run(implicit, tok, dir.resolve("out2"))).get(0);
        assertArrayEquals(ids(row, PairColumns.PROMPT_IDS), ids(row2, PairColumns.PROMPT_IDS));
        assertArrayEquals(ids(row, PairColumns.CHOSEN_IDS), ids(row2, PairColumns.CHOSEN_IDS));
        assertArrayEquals(ids(row, PairColumns.REJECTED_IDS), ids(row2, PairColumns.REJECTED_IDS));

        // The same conversation from Parquet (messages as structs) gives the same ids.
        spark.read().json(explicit.toString()).write().parquet(dir.resolve("chat.parquet").toString());
        Row row3 = PrepFixtures.shardRows(spark, run(dir.resolve("chat.parquet"), tok, dir.resolve("out3"))).get(0);
        assertEquals("x", row3.getAs("id"));
        assertArrayEquals(ids(row, PairColumns.PROMPT_IDS), ids(row3, PairColumns.PROMPT_IDS));
        assertArrayEquals(ids(row, PairColumns.CHOSEN_IDS), ids(row3, PairColumns.CHOSEN_IDS));
        assertArrayEquals(ids(row, PairColumns.REJECTED_IDS), ids(row3, PairColumns.REJECTED_IDS));
    }

    @Test
    void pretokenizedParquetIsUsedAsIs(@TempDir Path dir) throws Exception {
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("prompt_ids", DataTypes.createArrayType(DataTypes.LongType))
                .add("chosen_ids", DataTypes.createArrayType(DataTypes.IntegerType))
                .add("rejected_ids", DataTypes.createArrayType(DataTypes.IntegerType));
        spark.createDataFrame(List.of(
                RowFactory.create(1L, List.of(5L, 6L, 7L), List.of(8, 9), List.of(10)),
                RowFactory.create(2L, List.of(5L), List.of(50256), List.of(99))), schema)
                .write().parquet(dir.resolve("in").toString());
        PrepareResult withTok = run(dir.resolve("in"), PrepFixtures.gpt2(), dir.resolve("out1"));
        PrepareResult withoutTok = run(dir.resolve("in"), null, dir.resolve("out2"));
        for (PrepareResult r : List.of(withTok, withoutTok)) {
            assertEquals(InputFormat.PRETOKENIZED, r.format());
            Map<String, Row> rows = byId(PrepFixtures.shardRows(spark, r));
            assertPair(rows.get("1"), new int[] {5, 6, 7}, new int[] {8, 9}, new int[] {10});
            assertPair(rows.get("2"), new int[] {5}, new int[] {50256}, new int[] {99});
            assertFalse((boolean) rows.get("1").getAs(PairColumns.TRUNCATED));
        }
    }

    @Test
    void instructionRowsGetTheAlpacaPrompt(@TempDir Path dir) throws Exception {
        Path in = PrepFixtures.jsonl(dir.resolve("inst.jsonl"), List.of(
                rec("instruction", "Convert 45 kilometers to meters.", "input", "", "output", "45000 m",
                        "chosen", "45 kilometers is 45000 meters.", "rejected", "Do it yourself."),
                rec("instruction", "Fix the spelling.", "input", "freind", "output", "friend",
                        "chosen", "friend", "rejected", "frend")));
        PrepareResult r = run(in, PrepFixtures.gpt2(), dir.resolve("out"));
        assertEquals(InputFormat.INSTRUCTION, r.format());
        List<Row> rows = PrepFixtures.shardRows(spark, r);
        assertEquals(2, rows.size());
        for (Row row : rows) {
            String instruction = row.getAs("instruction");
            String input = row.getAs("input");
            String prompt = org.sparkdpo.prep.pair.PromptTemplateTest.alpaca(instruction, input);
            assertPair(row, gpt2.encode(prompt), concat(gpt2.encode(row.getAs("chosen")), eos),
                    concat(gpt2.encode(row.getAs("rejected")), eos));
        }
    }

    @Test
    void jsonArrayFilesAreReadElementByElement(@TempDir Path dir) throws Exception {
        Path in = java.nio.file.Files.writeString(dir.resolve("pairs.json"), "[\n"
                + "  {\"prompt\": \"The sky is\", \"chosen\": \" blue\", \"rejected\": \" green\"},\n"
                + "  42,\n"
                + "  {\"prompt\": \"Grass is\",\n   \"chosen\": \" green\", \"rejected\": \" red\"}\n]\n");
        PrepareResult r = run(in, PrepFixtures.gpt2(), dir.resolve("out"));
        assertEquals(3, r.counts().read());
        assertEquals(2, r.counts().kept());
        Row reject = PrepFixtures.rejects(spark, r).first();
        assertEquals("wrong_type", reject.getAs(PairColumns.REASON));
        assertEquals(3L, (long) reject.getAs(PairColumns.SOURCE_LINE));
        assertEquals(1L, (long) reject.getAs(PairColumns.SOURCE_ROW));
        Map<String, Row> rows = new HashMap<>();
        for (Row x : PrepFixtures.shardRows(spark, r)) rows.put(x.getAs("prompt"), x);
        assertPair(rows.get("Grass is"), gpt2.encode("Grass is"), concat(gpt2.encode(" green"), eos), concat(gpt2.encode(" red"), eos));
    }
}
