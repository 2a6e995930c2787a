package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.sparkdpo.prep.PrepFixtures.concat;
import static org.sparkdpo.prep.PrepFixtures.ids;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PromptTemplateTest;

/** The shared 1,100-pair instruction dataset (a JSON array), when ../shared is present. */
class SharedDatasetTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    @Test
    void everyRecordIsAccountedForAndIdsMatchTheTokenizer(@TempDir Path dir) throws Exception {
        Path data = TestFixtures.sharedPreferenceDataset();
        assumeTrue(data != null, "../shared is absent");
        JsonNode records = PrepFixtures.JSON.readTree(data.toFile());
        long identical = 0;
        for (JsonNode r : records) if (r.get("chosen").asText().equals(r.get("rejected").asText())) identical++;

        PrepareResult res = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(data.toString()), PrepFixtures.gpt2().toString(),
                dir.resolve("out").toString()).build(), PrepareProgress.silent());
        assertEquals(InputFormat.INSTRUCTION, res.format());
        assertEquals(records.size(), res.counts().read());
        assertEquals(identical, res.counts().rejectedByReason().get("chosen_equals_rejected"));
        assertEquals(records.size() - identical, res.counts().kept());

        HfTokenizer gpt2 = PrepFixtures.load(PrepFixtures.gpt2());
        int eos = gpt2.eosTokenId().getAsInt();
        Map<String, Row> byInstruction = new HashMap<>();
        for (Row r : PrepFixtures.shardRows(spark, res)) byInstruction.put(r.getAs("instruction") + "\u0000" + r.getAs("input") + "\u0000" + r.getAs("chosen"), r);
        int checked = 0;
        for (int i = 0; i < records.size(); i += 97) {
            JsonNode rec = records.get(i);
            Row row = byInstruction.get(rec.get("instruction").asText() + "\u0000" + rec.get("input").asText() + "\u0000"
                    + rec.get("chosen").asText());
            if (rec.get("chosen").asText().equals(rec.get("rejected").asText())) continue;
            String prompt = PromptTemplateTest.alpaca(rec.get("instruction").asText(), rec.get("input").asText());
            assertArrayEquals(gpt2.encode(prompt), ids(row, PairColumns.PROMPT_IDS));
            assertArrayEquals(concat(gpt2.encode(rec.get("chosen").asText()), eos), ids(row, PairColumns.CHOSEN_IDS));
            assertArrayEquals(concat(gpt2.encode(rec.get("rejected").asText()), eos), ids(row, PairColumns.REJECTED_IDS));
            assertEquals(rec.get("output").asText(), row.getAs("output"));
            checked++;
        }
        assertEquals(true, checked > 5);
    }
}
