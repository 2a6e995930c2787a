package org.sparkdpo.jobs.sft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.data.SftShards;
import org.sparkdpo.jobs.train.MetricsLog;
import org.sparkdpo.jobs.train.OptimizerSettings;
import org.sparkdpo.jobs.train.TrainingRun;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareProgress;
import org.sparkdpo.prep.PrepareResult;
import org.sparkdpo.prep.PrepareSettings;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.TruncationMode;

/** SFT data as users have it (TRL's prompt/completion text and conversational messages) -> prepare -> sft. */
class SftPrepareTest {
    static SparkSession spark;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    /** The tiny GPT-2's tokenizer plus a plain chat template, so messages render with the model's own vocabulary. */
    static Path chatTokenizer(Path dir) throws Exception {
        Path tok = Files.createDirectories(dir);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(TestFixtures.tinyGpt2().resolve(f), tok.resolve(f));
        }
        Files.writeString(tok.resolve("chat_template.jinja"), "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n"
                + "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}");
        return tok;
    }

    static Path jsonl(Path file, List<Map<String, Object>> rows) throws Exception {
        List<String> lines = new ArrayList<>();
        for (Map<String, Object> r : rows) lines.add(JSON.writeValueAsString(r));
        Files.createDirectories(file.getParent());
        return Files.write(file, lines);
    }

    static PrepareResult prepare(Path in, Path tokenizer, Path out) throws Exception {
        return PrepareJob.run(spark, new PrepareSettings(List.of(in.toString()), tokenizer.toString(), out.toString(), null,
                24, 0, TruncationMode.KEEP_START, 1, 100_000, "alpaca", ColumnMap.identity(), "", false), PrepareProgress.silent());
    }

    /** One full-parameter SGD step of the tiny GPT-2 on the prepared data; returns the step's logged metrics. */
    static Map<String, Object> oneStep(Path data, Path out) throws Exception {
        TrainingRun.Outcome o = SftTrainer.train(spark, SftTrainerTest.settings(data, out, true, null, null,
                OptimizerSettings.sgd(0.1), 2, 1, 1, 0, false, 0, DataType.FLOAT));
        assertEquals(1, o.steps());
        assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")), "the fine-tuned model is written");
        List<Map<String, Object>> metrics = MetricsLog.read(o.metricsFile());
        return metrics.get(metrics.size() - 1);
    }

    @Test
    void promptCompletionAndMessagesDataPrepareIntoShardsSftTrainsOn(@TempDir Path tmp) throws Exception {
        Path text = jsonl(tmp.resolve("in/text.jsonl"), List.of(
                Map.of("prompt", "The sky is", "completion", " blue."),
                Map.of("prompt", "Grass is", "completion", " green."),
                Map.of("prompt", "Snow is", "completion", ""),
                Map.of("prompt", "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
                        + " fifteen sixteen seventeen eighteen nineteen twenty twenty-one twenty-two", "completion", " yes")));
        PrepareResult t = prepare(text, TestFixtures.tinyGpt2(), tmp.resolve("prepared-text"));
        assertEquals(InputFormat.PROMPT_COMPLETION, t.format());
        assertEquals(4, t.counts().read());
        assertEquals(2, t.counts().kept());
        assertEquals(1L, t.counts().rejectedByReason().get("empty_field"), "the empty completion is rejected");
        assertEquals(1L, t.counts().rejectedByReason().get("too_long"), "the over-long prompt is rejected");
        assertEquals(2, SftShards.read(spark, t.out(), null).size(), "sft reads exactly the kept rows");
        Map<String, Object> m = oneStep(tmp.resolve("prepared-text"), tmp.resolve("sft-text"));
        assertTrue(Double.isFinite(((Number) m.get("loss")).doubleValue()) && ((Number) m.get("loss")).doubleValue() > 0, m.toString());

        Path tok = chatTokenizer(tmp.resolve("chat-tokenizer"));
        Path chat = jsonl(tmp.resolve("in/chat.jsonl"), List.of(
                Map.of("messages", List.of(Map.of("role", "user", "content", "Sky?"), Map.of("role", "assistant", "content", "Blue."))),
                Map.of("messages", List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", "Grass?"),
                        Map.of("role", "assistant", "content", "Green."))),
                Map.of("messages", List.of(Map.of("role", "user", "content", "Snow?")))));
        PrepareResult c = prepare(chat, tok, tmp.resolve("prepared-chat"));
        assertEquals(InputFormat.MESSAGES, c.format());
        assertEquals(2, c.counts().kept());
        assertEquals(1L, c.counts().rejectedByReason().get("empty_completion"), "a conversation without a final answer");
        Map<String, Object> mc = oneStep(tmp.resolve("prepared-chat"), tmp.resolve("sft-chat"));
        assertTrue(Double.isFinite(((Number) mc.get("loss")).doubleValue()) && ((Number) mc.get("loss")).doubleValue() > 0, mc.toString());
    }
}
