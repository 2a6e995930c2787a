package org.sparkdpo.jobs.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.PipelineCommand;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.lora.LoraAdapter;

/** The pipeline at reduced size in local[2]: every stage's outputs exist and reconcile. */
class PipelineCommandTest {
    @Test
    void everyStageWritesItsOutputAndTheSummaryReconciles(@TempDir Path tmp) throws Exception {
        SparkSession spark = SparkSessions.forTests();
        Path out = tmp.resolve("run");
        PipelineJob.Result r = PipelineCommand.run(spark, out, System.err, "--pairs-per-question", 1, "--max-steps", 4,
                "--max-new-tokens", 8, "--heldout-fraction", 0.1, "--sft-steps", 3);
        PipelineJob.Layout l = new PipelineJob.Layout(out);
        SyntheticTask.Task task = SyntheticTask.generate(1, 0.1, 1);
        ObjectMapper json = new ObjectMapper();

        assertTrue(Files.isRegularFile(l.sftModel().resolve("model.safetensors")), "SFT wrote the model DPO starts from");
        JsonNode sftData = json.readTree(out.resolve("sft/data/_manifest.json").toFile());
        assertEquals("prompt_completion", sftData.get("format").asText(), "the task's SFT file went through prepare");
        assertEquals(task.sft().size(), sftData.at("/counts/read").asLong());
        assertEquals(task.sft().size(), sftData.at("/counts/kept").asLong(), sftData.toString());
        assertEquals(task.sft().size(),
                spark.read().parquet(out.resolve("sft/data").toString()).count(), "every SFT row tokenized");
        JsonNode prepared = json.readTree(l.prepared("train").resolve("_manifest.json").toFile());
        assertEquals(task.train().size(), prepared.at("/counts/kept").asLong(), prepared.toString());
        assertEquals(0, prepared.at("/counts/rejected").asLong());
        assertTrue(Files.isRegularFile(l.ref("train").resolve("_manifest.json")));
        assertTrue(Files.isRegularFile(l.ref("heldout").resolve("_manifest.json")));
        LoraAdapter adapter = LoraAdapter.load(l.adapter(), ModelStore.load(l.scratchModel(), DataType.FLOAT).model(), DataType.FLOAT);
        assertTrue(adapter.numParams() > 0);
        JsonNode eval = json.readTree(l.eval().resolve("summary.json").toFile());
        assertEquals(task.heldout().size(), eval.get("eval_pairs").asLong());
        assertEquals(task.heldoutQuestions().size(), Files.readAllLines(l.compare().resolve("answers.jsonl")).size());
        assertTrue(Files.isRegularFile(l.compare().resolve("compare.html")));

        JsonNode summary = json.readTree(l.summary().toFile());
        for (String k : List.of("heldout_reward_accuracy", "heldout_reward_margin", "judge_chosen_like_before",
                "judge_chosen_like_after", "elapsed_s")) {
            assertTrue(summary.get(k).isNumber() && Double.isFinite(summary.get(k).asDouble()), k + " in " + summary);
        }
        assertEquals(eval.get("eval_rewards/accuracies").asDouble(), summary.get("heldout_reward_accuracy").asDouble(), 1e-12);
        JsonNode cmp = json.readTree(l.compare().resolve("summary.json").toFile());
        assertEquals(cmp.get("judge_chosen_like_after").asDouble(), summary.get("judge_chosen_like_after").asDouble(), 1e-12);
        assertEquals(4, summary.get("train_steps").asInt());
        assertTrue(summary.get("sft").asBoolean(), "the SFT stage ran");
        assertEquals(r.summary().get("elapsed_s"), summary.get("elapsed_s").asDouble());
    }
}
