package org.sparkdpo.jobs.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.jobs.pipeline.SyntheticTask;
import org.sparkdpo.jobs.pipeline.TaskModels;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.generate.GenerationConfig;

/**
 * {@code compare}: its outputs, and its implicit rewards equal those {@code eval} computes for the same pairs (the
 * adapted answer as chosen, the reference's answer as rejected, through prepare and precompute-ref).
 */
class CompareJobTest {
    @Test
    void implicitRewardsEqualEvalsForTheSamePairs(@TempDir Path tmp) throws Exception {
        SparkSession spark = SparkSessions.forTests();
        Path model = TaskModels.scratch(tmp.resolve("model"));
        Path adapter = TaskModels.randomAdapter(ModelStore.load(model, DataType.FLOAT), tmp.resolve("adapter"), 5, 0.5);
        ObjectMapper json = new ObjectMapper();
        List<String> prompts = new ArrayList<>();
        for (SyntheticTask.Question q : SyntheticTask.generate(1, 0.1, 1).heldoutQuestions().subList(0, 10)) {
            prompts.add(json.writeValueAsString(Map.of("id", q.id(), "prompt", q.prompt() + " <b>&")));
        }
        Path promptFile = Files.write(tmp.resolve("prompts.jsonl"), prompts);
        Path out = tmp.resolve("compare");
        CompareJob.Result r = CompareJob.run(new CompareJob.Settings(model.toString(), adapter.toString(), null, promptFile, out,
                GenerationConfig.greedy(16, Set.of()), 4, 0.1, "synthetic-task", DataType.FLOAT));

        assertEquals(10, r.rows().size());
        assertEquals(10, Files.readAllLines(out.resolve("answers.jsonl")).size());
        JsonNode first = json.readTree(Files.readAllLines(out.resolve("answers.jsonl")).get(0));
        for (String k : List.of("id", "prompt", "before_completion", "before_reward", "before_judge", "after_completion",
                "after_reward", "after_judge", "after_chosen_like", "after_finish_reason")) {
            assertTrue(first.has(k), k + " in " + first);
        }
        String html = Files.readString(out.resolve("compare.html"));
        assertTrue(html.contains("&lt;b&gt;&amp;") && !html.contains("<b>&"), "answers and prompts are escaped");
        JsonNode summary = json.readTree(out.resolve("summary.json").toFile());
        for (String k : List.of("adapted_reward_higher_share", "judge_chosen_like_before", "judge_chosen_like_after")) {
            assertTrue(summary.get(k).isNumber() && summary.get(k).asDouble() >= 0 && summary.get(k).asDouble() <= 1, k);
        }
        long higher = r.rows().stream().filter(x -> x.afterReward() > x.beforeReward()).count();
        assertEquals(higher / 10.0, summary.get("adapted_reward_higher_share").asDouble(), 1e-12);
        assertTrue(CompareReport.table(r.rows(), 30).contains("before (reference)"));

        // the same answers as preference pairs: chosen = adapted answer, rejected = reference answer
        List<String> pairs = new ArrayList<>();
        Map<String, CompareJob.Row> byId = new HashMap<>();
        for (CompareJob.Row row : r.rows()) {
            if (Arrays.equals(row.before().completionIds(), row.after().completionIds())) continue;
            byId.put(row.prompt().id(), row);
            pairs.add(json.writeValueAsString(Map.of("id", row.prompt().id(), "prompt_ids", row.before().promptIds(),
                    "chosen_ids", row.after().completionIds(), "rejected_ids", row.before().completionIds())));
        }
        assertTrue(pairs.size() >= 5, "the adapter changes most answers: " + pairs.size());
        Path pairFile = Files.write(tmp.resolve("pairs.jsonl"), pairs);
        String m = model.toString();
        assertEquals(ExitCodes.OK, Main.run(new String[]{"prepare", "--input", pairFile.toString(), "--tokenizer", m,
                "--out", tmp.resolve("prepared").toString()}));
        assertEquals(ExitCodes.OK, Main.run(new String[]{"precompute-ref", "--data", tmp.resolve("prepared").toString(),
                "--model", m, "--out", tmp.resolve("ref").toString()}));
        assertEquals(ExitCodes.OK, Main.run(new String[]{"eval", "--data", tmp.resolve("ref").toString(), "--model", m,
                "--adapter", adapter.toString(), "--out", tmp.resolve("eval").toString(), "--beta", "0.1"}));
        List<Row> evalRows = spark.read().parquet(tmp.resolve("eval/pairs").toString())
                .select("id", "chosen_rewards", "rejected_rewards").collectAsList();
        assertEquals(pairs.size(), evalRows.size());
        double worst = 0;
        for (Row e : evalRows) {
            CompareJob.Row c = byId.get(e.getString(0));
            assertEquals(e.getDouble(1), c.afterReward(), 1e-5, "adapted answer of " + e.getString(0));
            assertEquals(e.getDouble(2), c.beforeReward(), 1e-5, "reference answer of " + e.getString(0));
            worst = Math.max(worst, Math.max(Math.abs(e.getDouble(1) - c.afterReward()), Math.abs(e.getDouble(2) - c.beforeReward())));
        }
        System.err.printf("compare vs eval: largest implicit-reward difference %.2e%n", worst);
        assertFalse(Files.exists(tmp.resolve(".compare.tmp")), "no temporary folder");
    }
}
