package org.sparkdpo.jobs.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.compare.AnswerJudge;
import org.sparkdpo.jobs.compare.AnswerJudges;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.tokenizer.ChatMessage;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/** The pipeline's building blocks: the task, its tokenizer, the scratch model and the rule judge. */
class SyntheticTaskTest {
    @Test
    void trainAndHeldOutPromptsDoNotOverlapAndSftHasBothStyles() {
        SyntheticTask.Task t = SyntheticTask.generate(3, 0.2, 3);
        assertEquals(196, t.trainQuestions().size() + t.heldoutQuestions().size());
        assertEquals(39, t.heldoutQuestions().size());
        Set<String> train = new HashSet<>();
        for (SyntheticTask.Pair p : t.train()) train.add(p.prompt());
        for (SyntheticTask.Pair p : t.heldout()) assertFalse(train.contains(p.prompt()), p.prompt());
        assertEquals(3 * t.trainQuestions().size(), t.train().size());
        assertEquals(t.train().size(), t.train().stream().map(SyntheticTask.Pair::id).distinct().count(), "ids are unique");
        assertEquals(2 * t.trainQuestions().size(), t.sft().size());
        assertEquals(t.trainQuestions().size(), t.sft().stream().filter(r -> r.style().equals("chosen")).count(), "half chosen style");
        for (SyntheticTask.SftRow r : t.sft()) assertTrue(train.contains(r.prompt()), "SFT uses train prompts only");
        assertEquals(t, SyntheticTask.generate(3, 0.2, 3), "deterministic for a seed");
    }

    @Test
    void theJudgeScoresEveryChosenAnswerAboveItsRejectedOne() {
        AnswerJudge judge = AnswerJudges.byName("synthetic-task");
        SyntheticTask.Task t = SyntheticTask.generate(1, 0.2, 3);
        for (List<SyntheticTask.Pair> split : List.of(t.train(), t.heldout())) {
            for (SyntheticTask.Pair p : split) {
                assertEquals(1.0, judge.score(p.prompt(), p.chosen()), p.chosen());
                assertTrue(judge.chosenLike(p.prompt(), p.chosen()));
                assertTrue(judge.score(p.prompt(), p.rejected()) < 1.0, p.rejected());
                assertFalse(judge.chosenLike(p.prompt(), p.rejected()));
            }
        }
        String q = "the kite is green . what color is the kite ?";
        assertEquals(0.5, judge.score(q, "happy to help ! the kite is red . have a nice day ."), "polite but wrong");
        assertEquals(0.5, judge.score(q, "ugh , obviously the kite is green . stop asking ."), "right but rude");
        assertEquals(0.5, judge.score(q, "happy to help ! the kite is green . the kite is red ."), "contradicts itself");
        assertEquals(0.0, judge.score(q, "kite kite kite"));
        assertEquals(0.0, judge.score(q, ""));
    }

    @Test
    void theTokenizerRoundTripsTheTaskAndTheScratchModelLoads(@TempDir Path tmp) throws Exception {
        Path dir = TaskModels.scratch(tmp.resolve("model"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        SyntheticTask.Task t = SyntheticTask.generate(1, 0.2, 3);
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertEquals(1, tok.eosTokenId().getAsInt());
            assertEquals(SyntheticTask.words().size() + 3, tok.vocabSize());
            int unk = tok.tokenId(TaskTokenizer.UNK).getAsInt();
            for (SyntheticTask.Pair p : t.train()) {
                for (String text : List.of(p.prompt(), p.chosen().trim(), p.rejected().trim())) {
                    int[] ids = tok.encode(text);
                    assertEquals(text, tok.decode(ids));
                    for (int id : ids) assertTrue(id != unk, text);
                    assertEquals(text.split(" ").length, ids.length, "one id per word: " + text);
                }
            }
            String q = t.train().get(0).prompt();
            assertArrayEquals(tok.encode(q), tok.encodeChatPrompt(List.of(ChatMessage.user(q)), true), "chat = text prompt");

            BaseWeights base = ModelStore.load(dir, DataType.FLOAT);
            assertEquals(tok.vocabSize(), base.model().config().vocabSize());
            assertEquals(java.util.Set.of(1), GenerationConfig.eosTokenIds(dir));
            double[] sums = new CompletionScorer(base, null).score(List.of(
                    new Completion(tok.encode(q), tok.encode(t.train().get(0).chosen())))).sums();
            assertTrue(Double.isFinite(sums[0]) && sums[0] < 0, "log-prob of an answer " + sums[0]);
            // random init: about uniform over the vocabulary
            int n = tok.encode(t.train().get(0).chosen()).length;
            assertEquals(-n * Math.log(tok.vocabSize()), sums[0], 0.1 * n * Math.log(tok.vocabSize()));
        }
    }

    @Test
    void theTaskIsWrittenAsParquet(@TempDir Path tmp) throws Exception {
        SparkSession spark = SparkSessions.forTests();
        SyntheticTask.Task t = SyntheticTask.generate(2, 0.25, 2);
        TaskFiles.Layout l = TaskFiles.write(spark, t, tmp.resolve("task"));
        List<Row> train = spark.read().parquet(l.train().toString()).collectAsList();
        assertEquals(t.train().size(), train.size());
        assertEquals(List.of("id", "prompt", "chosen", "rejected", "rejected_style"), List.of(train.get(0).schema().fieldNames()));
        assertEquals(t.heldout().size(), spark.read().parquet(l.heldout().toString()).count());
        assertEquals(t.sft().size(), spark.read().parquet(l.sft().toString()).count());
        assertEquals(t.heldoutQuestions().size(), Files.readAllLines(l.heldoutPrompts()).size());
    }
}
