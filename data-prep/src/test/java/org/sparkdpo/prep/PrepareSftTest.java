package org.sparkdpo.prep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.concat;
import static org.sparkdpo.prep.PrepFixtures.ids;
import static org.sparkdpo.prep.PrepFixtures.msg;
import static org.sparkdpo.prep.PrepFixtures.rec;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.data.PairColumns;
import org.sparkdpo.model.tokenizer.ChatMessage;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.model.tokenizer.PrepTokenizers;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.TruncationMode;

/** SFT data (TRL's prompt-completion and conversational messages) through prepare: SFT shards, rejects, counts. */
class PrepareSftTest {
    static SparkSession spark;
    static HfTokenizer gpt2;
    static int eos;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
        gpt2 = PrepFixtures.load(PrepFixtures.gpt2());
        eos = gpt2.eosTokenId().getAsInt();
    }

    static PrepareResult run(Path in, Path tokenizer, Path out, int maxLength) throws Exception {
        return PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(in.toString()), tokenizer.toString(), out.toString())
                .withLengths(maxLength, 0, TruncationMode.KEEP_START).build(), PrepareProgress.silent());
    }

    static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : rows) m.put(r.getAs(PairColumns.ID), r);
        return m;
    }

    static Map<String, String> rejectReasons(PrepareResult r) {
        Map<String, String> m = new HashMap<>();
        for (Row row : PrepFixtures.rejects(spark, r).collectAsList()) m.put(row.getAs(PairColumns.ID), row.getAs(PairColumns.REASON));
        return m;
    }

    @Test
    void promptCompletionTextBecomesSftShardsWithRejectsAndReconciledCounts(@TempDir Path dir) throws Exception {
        String longPrompt = String.join(" ", java.util.Collections.nCopies(40, "word"));
        Path in = PrepFixtures.jsonl(dir.resolve("in/sft.jsonl"), List.of(
                rec("id", "a", "prompt", "The sky is", "completion", " blue.", "source", "s1"),
                rec("id", "b", "prompt", "Two plus two is", "completion", " four, as everyone knows by now."),
                rec("id", "empty", "prompt", "Say nothing:", "completion", ""),
                rec("id", "long", "prompt", longPrompt, "completion", " yes")));
        PrepareResult r = run(in, PrepFixtures.gpt2(), dir.resolve("out"), 12);

        assertEquals(InputFormat.PROMPT_COMPLETION, r.format());
        assertEquals(4, r.counts().read());
        assertEquals(2, r.counts().kept());
        assertEquals(2, r.counts().rejected());
        assertEquals(r.counts().read(), r.counts().kept() + r.counts().rejected());
        assertEquals(1L, r.counts().rejectedByReason().get("empty_field"));
        assertEquals(1L, r.counts().rejectedByReason().get("too_long"));
        assertEquals(Map.of("empty", "empty_field", "long", "too_long"), rejectReasons(r));

        List<Row> rows = PrepFixtures.shardRows(spark, r);
        List<String> cols = Arrays.asList(rows.get(0).schema().fieldNames());
        assertEquals(PairColumns.SFT_OUTPUT, cols.subList(0, PairColumns.SFT_OUTPUT.size()), "SFT columns first");
        assertTrue(cols.containsAll(List.of("prompt", "completion", "source")), "input columns carried: " + cols);
        assertFalse(cols.contains(PairColumns.CHOSEN_IDS));
        Map<String, Row> byId = byId(rows);
        Row a = byId.get("a");
        assertArrayEquals(gpt2.encode("The sky is", false), ids(a, PairColumns.PROMPT_IDS));
        assertArrayEquals(concat(gpt2.encode(" blue.", false), eos), ids(a, PairColumns.COMPLETION_IDS), "EOS appended");
        assertEquals(ids(a, PairColumns.PROMPT_IDS).length + ids(a, PairColumns.COMPLETION_IDS).length,
                (int) a.getAs(PairColumns.SEQ_LEN));
        assertFalse((boolean) a.getAs(PairColumns.TRUNCATED));
        Row b = byId.get("b");
        int[] full = concat(gpt2.encode(" four, as everyone knows by now.", false), eos);
        int room = 12 - gpt2.encode("Two plus two is", false).length;
        assertArrayEquals(Arrays.copyOf(full, room), ids(b, PairColumns.COMPLETION_IDS), "keep_start cuts the completion's end");
        assertTrue((boolean) b.getAs(PairColumns.TRUNCATED));

        JsonNode manifest = PrepFixtures.JSON.readTree(dir.resolve("out/_manifest.json").toFile());
        assertEquals("prompt_completion", manifest.get("format").asText());
        assertEquals(2, manifest.at("/counts/kept").asLong());
        assertEquals(1, manifest.at("/counts/rejected_by_reason/too_long").asLong());
        assertEquals(2, spark.read().parquet(dir.resolve("out").toString()).count(), "the folder is a dataset of the kept rows");
    }

    @Test
    void messagesTrainOnTheLastAssistantTurnAfterTheRenderedPrompt(@TempDir Path dir) throws Exception {
        Path tok = PrepTokenizers.llama3Style(dir);
        HfTokenizer llama = PrepFixtures.load(tok);
        Path in = PrepFixtures.jsonl(dir.resolve("in/chat.jsonl"), List.of(
                rec("id", "m", "messages", List.of(msg("system", "Be brief."), msg("user", "Sky color?"),
                        msg("assistant", "Blue."), msg("user", "And grass?"), msg("assistant", "Green."))),
                rec("id", "no-answer", "messages", List.of(msg("user", "Hello?"))),
                rec("id", "only-answer", "messages", List.of(msg("assistant", "Hi.")))));
        PrepareResult r = run(in, tok, dir.resolve("out"), 1024);

        assertEquals(InputFormat.MESSAGES, r.format());
        assertEquals(3, r.counts().read());
        assertEquals(1, r.counts().kept());
        assertEquals(Map.of("no-answer", "empty_completion", "only-answer", "empty_field"), rejectReasons(r));
        List<ChatMessage> prompt = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Sky color?"),
                ChatMessage.assistant("Blue."), ChatMessage.user("And grass?"));
        String p = llama.renderChat(prompt, true);
        List<ChatMessage> all = new java.util.ArrayList<>(prompt);
        all.add(ChatMessage.assistant("Green."));
        String pc = llama.renderChat(all, false);
        assertTrue(pc.startsWith(p), "the template renders the prompt as a prefix");
        Row row = PrepFixtures.shardRows(spark, r).get(0);
        assertArrayEquals(llama.encode(p, false), ids(row, PairColumns.PROMPT_IDS));
        assertArrayEquals(llama.encode(pc.substring(p.length()), false), ids(row, PairColumns.COMPLETION_IDS),
                "the completion is the rendered last assistant turn, nothing added");
    }

    @Test
    void aFileMixingFormatsStopsAtTheFirstForeignRow(@TempDir Path dir) throws Exception {
        Path tok = PrepTokenizers.llama3Style(dir);
        Path in = PrepFixtures.jsonl(dir.resolve("in/mixed.jsonl"), List.of(
                rec("id", "1", "messages", List.of(msg("user", "Hi?"), msg("assistant", "Hello."))),
                rec("id", "2", "prompt", "Hi?", "completion", " Hello.")));
        Path out = dir.resolve("out");
        PrepareException e = assertThrows(PrepareException.class, () -> run(in, tok, out, 1024));
        assertTrue(e.getMessage().contains("mixed.jsonl line 2"), e.getMessage());
        assertTrue(e.getMessage().contains("prompt_completion data, but the input's format is messages"), e.getMessage());
        assertFalse(Files.exists(out), "nothing written");

        Path pref = PrepFixtures.jsonl(dir.resolve("in2/mixed.jsonl"), List.of(
                rec("prompt", "Hi?", "completion", " Hello."),
                rec("prompt", "Hi?", "completion", " Hello.", "chosen", " Hello.", "rejected", " Go away.")));
        e = assertThrows(PrepareException.class, () -> run(pref, PrepFixtures.gpt2(), dir.resolve("out2"), 1024));
        assertTrue(e.getMessage().contains("mixed.jsonl line 1 is prompt_completion data, but the input's format is standard"),
                e.getMessage());
    }
}
