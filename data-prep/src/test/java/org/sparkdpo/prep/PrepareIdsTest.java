package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.rec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.prep.pair.ColumnMap;

/** Given ids are carried through; rows without one get a content id that does not depend on order or layout. */
class PrepareIdsTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    static Map<String, Row> byPrompt(PrepareResult r) {
        Map<String, Row> m = new HashMap<>();
        for (Row x : PrepFixtures.shardRows(spark, r)) m.put(x.getAs("prompt"), x);
        return m;
    }

    static PrepareResult run(PrepareSettings o) throws Exception {
        return PrepareJob.run(spark, o, PrepareProgress.silent());
    }

    @Test
    void givenIdsAreCarriedThroughAndOthersAreContentHashes(@TempDir Path dir) throws Exception {
        List<java.util.Map<String, Object>> rows = new ArrayList<>();
        rows.add(rec("id", "row-a", "prompt", "A", "chosen", " 1", "rejected", " 2"));
        rows.add(rec("id", 7, "prompt", "B", "chosen", " 1", "rejected", " 2"));
        rows.add(rec("id", null, "prompt", "C", "chosen", " 1", "rejected", " 2"));
        rows.add(rec("prompt", "D", "chosen", " 1", "rejected", " 2"));
        rows.add(rec("prompt", "E", "chosen", " 1", "rejected", " 2"));
        PrepareResult r = run(PrepareSettingsBuilder.of(List.of(PrepFixtures.jsonl(dir.resolve("a/in.jsonl"), rows).toString()),
                PrepFixtures.gpt2().toString(), dir.resolve("out1").toString()).build());
        Map<String, Row> byPrompt = byPrompt(r);
        assertEquals("row-a", byPrompt.get("A").getAs("id"));
        assertEquals("7", byPrompt.get("B").getAs("id"));
        for (String p : List.of("C", "D", "E")) assertTrue(((String) byPrompt.get(p).getAs("id")).matches("[0-9a-f]{32}"));
        assertNotEquals(byPrompt.get("D").<String>getAs("id"), byPrompt.get("E").getAs("id"));
        assertEquals(1, java.util.Arrays.stream(byPrompt.get("A").schema().fieldNames()).filter("id"::equals).count());

        // Same rows in another order, split over two files: same ids.
        List<java.util.Map<String, Object>> shuffled = new ArrayList<>(rows);
        Collections.reverse(shuffled);
        PrepFixtures.jsonl(dir.resolve("b/part1.jsonl"), shuffled.subList(0, 2));
        PrepFixtures.jsonl(dir.resolve("b/part2.jsonl"), shuffled.subList(2, 5));
        Map<String, Row> again = byPrompt(run(PrepareSettingsBuilder.of(List.of(dir.resolve("b").toString()),
                PrepFixtures.gpt2().toString(), dir.resolve("out2").toString()).build()));
        for (String p : List.of("A", "B", "C", "D", "E")) assertEquals(byPrompt.get(p).<String>getAs("id"), again.get(p).getAs("id"));
    }

    @Test
    void mappedColumnsSupplyTheRoles(@TempDir Path dir) throws Exception {
        Path in = PrepFixtures.jsonl(dir.resolve("in.jsonl"), List.of(
                rec("uid", "q1", "question", "Sky?", "good", " Blue.", "bad", " Green.")));
        PrepareResult r = run(PrepareSettingsBuilder.of(List.of(in.toString()), PrepFixtures.gpt2().toString(), dir.resolve("out").toString())
                .withColumnMap(ColumnMap.parse(List.of("id=uid", "prompt=question", "chosen=good", "rejected=bad"))).build());
        Row x = PrepFixtures.shardRows(spark, r).get(0);
        assertEquals("q1", x.getAs("id"));
        assertEquals("q1", x.getAs("uid"));
        assertEquals("Sky?", x.getAs("question"));
        var gpt2 = PrepFixtures.load(PrepFixtures.gpt2());
        assertEquals(List.of(gpt2.encode("Sky?").length), List.of((int) x.getAs(PairColumns.PROMPT_LEN)));
    }
}
