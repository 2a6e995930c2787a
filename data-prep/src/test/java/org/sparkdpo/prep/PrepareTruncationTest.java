package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.concat;
import static org.sparkdpo.prep.PrepFixtures.ids;
import static org.sparkdpo.prep.PrepFixtures.rec;

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
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.pair.TruncationMode;

/** TRL's truncation settings through the job, on hand-made pairs whose token counts are known. */
class PrepareTruncationTest {
    static SparkSession spark;
    static HfTokenizer gpt2;
    static int[] p;
    static int[] c;
    static int[] r;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
        gpt2 = PrepFixtures.load(PrepFixtures.gpt2());
        int eos = gpt2.eosTokenId().getAsInt();
        p = gpt2.encode("one two three four five six");
        c = concat(gpt2.encode(" a b c"), eos);
        r = concat(gpt2.encode(" x"), eos);
        assertEquals(6, p.length);
        assertEquals(4, c.length);
        assertEquals(2, r.length);
    }

    static Map<String, Row> run(Path dir, String name, int maxLength, int maxPrompt, TruncationMode mode, Map<String, String> rejects)
            throws Exception {
        Path in = PrepFixtures.jsonl(dir.resolve(name + ".jsonl"), List.of(
                rec("id", "pair", "prompt", "one two three four five six", "chosen", " a b c", "rejected", " x"),
                rec("id", "short", "prompt", "Hi", "chosen", " yes", "rejected", " no")));
        PrepareResult res = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(in.toString()), PrepFixtures.gpt2().toString(),
                dir.resolve(name).toString()).withLengths(maxLength, maxPrompt, mode).build(), PrepareProgress.silent());
        for (Row x : PrepFixtures.rejects(spark, res).collectAsList()) {
            rejects.put(x.getAs("id"), x.getAs(PairColumns.REASON) + ": " + x.getAs(PairColumns.DETAIL));
        }
        Map<String, Row> out = new HashMap<>();
        for (Row x : PrepFixtures.shardRows(spark, res)) out.put(x.getAs("id"), x);
        assertEquals(res.counts().truncated(), out.values().stream().filter(x -> x.<Boolean>getAs(PairColumns.TRUNCATED)).count());
        return out;
    }

    @Test
    void keepStartCutsCompletionEnds(@TempDir Path dir) throws Exception {
        Map<String, Row> rows = run(dir, "ks", 8, 0, TruncationMode.KEEP_START, new HashMap<>());
        Row x = rows.get("pair");
        assertArrayEquals(p, ids(x, PairColumns.PROMPT_IDS));
        assertArrayEquals(Arrays.copyOf(c, 2), ids(x, PairColumns.CHOSEN_IDS));
        assertArrayEquals(r, ids(x, PairColumns.REJECTED_IDS));
        assertEquals(8, (int) x.getAs(PairColumns.SEQ_LEN));
        assertTrue((boolean) x.getAs(PairColumns.TRUNCATED));
        assertFalse((boolean) rows.get("short").getAs(PairColumns.TRUNCATED));
    }

    @Test
    void keepEndDropsPromptStart(@TempDir Path dir) throws Exception {
        Row x = run(dir, "ke", 8, 0, TruncationMode.KEEP_END, new HashMap<>()).get("pair");
        assertArrayEquals(Arrays.copyOfRange(p, 2, 6), ids(x, PairColumns.PROMPT_IDS));
        assertArrayEquals(c, ids(x, PairColumns.CHOSEN_IDS));
        assertArrayEquals(r, ids(x, PairColumns.REJECTED_IDS));
        assertEquals(8, (int) x.getAs(PairColumns.SEQ_LEN));
    }

    @Test
    void maxPromptLengthKeepsTheLastPromptTokens(@TempDir Path dir) throws Exception {
        Row x = run(dir, "mp", 8, 3, TruncationMode.KEEP_START, new HashMap<>()).get("pair");
        assertArrayEquals(Arrays.copyOfRange(p, 3, 6), ids(x, PairColumns.PROMPT_IDS));
        assertArrayEquals(c, ids(x, PairColumns.CHOSEN_IDS));
    }

    @Test
    void pairsThatCannotFitAreTooLong(@TempDir Path dir) throws Exception {
        Map<String, String> rejects = new HashMap<>();
        Map<String, Row> kept = run(dir, "tl1", 6, 0, TruncationMode.KEEP_START, rejects);
        assertTrue(rejects.get("pair").startsWith("too_long: prompt has 6 tokens"), rejects.get("pair"));
        assertTrue(kept.containsKey("short"));
        rejects.clear();
        run(dir, "tl2", 4, 0, TruncationMode.KEEP_END, rejects);
        assertTrue(rejects.get("pair").startsWith("too_long: a completion has 4 tokens"), rejects.get("pair"));
    }
}
