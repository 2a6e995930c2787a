package org.sparkdpo.jobs.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.jobs.generate.Answer;
import org.sparkdpo.jobs.generate.Answerer;
import org.sparkdpo.jobs.generate.GenerateJob;
import org.sparkdpo.jobs.generate.PromptFile;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.io.PathTrees;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.lora.LoraAdapter;

/**
 * {@code compare}: answers of the reference (the base model, or base + a reference adapter) and of the adapted
 * model to the same prompts, side by side, each with its DPO implicit reward ({@link ImplicitRewards}) and, with a
 * judge, its judge score. Writes {@code OUT/answers.jsonl}, {@code OUT/compare.html} and {@code OUT/summary.json}
 * (atomically: a temporary folder renamed into place). Runs on the driver.
 */
public final class CompareJob {
    /** @param judge an {@link AnswerJudge} name, or null for none */
    public record Settings(String model, String adapter, String referenceAdapter, Path prompts, Path out,
                           GenerationConfig sampling, int batchSize, double beta, String judge, DataType dtype) {}

    /** One prompt's two answers, scored. Judge fields are NaN/false without a judge. */
    public record Row(PromptFile.Prompt prompt, Answer before, Answer after, double beforeReward, double afterReward,
                      double beforeJudge, double afterJudge, boolean beforeChosenLike, boolean afterChosenLike) {}

    public record Result(Path out, List<Row> rows, Map<String, Object> summary) {}

    private CompareJob() {}

    public static Result run(Settings s) throws IOException {
        if (Files.exists(s.out())) throw new JobRefusedException("output folder " + s.out() + " already exists");
        AnswerJudge judge = s.judge() == null ? null : AnswerJudges.byName(s.judge());
        List<PromptFile.Prompt> prompts = PromptFile.read(s.prompts());
        List<Row> rows;
        try (GenerateJob.Model m = GenerateJob.Model.load(s.model(), s.adapter(), s.dtype())) {
            rows = answerAndScore(s, m, prompts, judge);
        }
        Map<String, Object> summary = summary(s, rows);
        write(s.out(), rows, summary);
        return new Result(s.out(), rows, summary);
    }

    private static List<Row> answerAndScore(Settings s, GenerateJob.Model m, List<PromptFile.Prompt> prompts, AnswerJudge judge)
            throws IOException {
        LoraAdapter ref = s.referenceAdapter() == null ? null
                : LoraAdapter.load(ExecutorContext.localCopy(s.referenceAdapter()), m.base().model(), s.dtype());
        GenerationConfig gen = m.stopAtEos(s.sampling());
        List<Answer> before = new Answerer(m.base(), ref, m.tokenizer()).answer(prompts, gen, s.batchSize());
        List<Answer> after = new Answerer(m.base(), m.adapter(), m.tokenizer()).answer(prompts, gen, s.batchSize());

        List<Completion> completions = new ArrayList<>();
        for (Answer a : before) completions.add(new Completion(a.promptIds(), a.completionIds()));
        for (Answer a : after) completions.add(new Completion(a.promptIds(), a.completionIds()));
        double[] rewards = new ImplicitRewards(m.base(), m.adapter(), ref, s.beta()).rewards(completions, s.batchSize());

        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Answer b = before.get(i), a = after.get(i);
            String q = prompts.get(i).text();
            rows.add(new Row(prompts.get(i), b, a, rewards[i], rewards[prompts.size() + i],
                    judge == null ? Double.NaN : judge.score(q, b.completion()), judge == null ? Double.NaN : judge.score(q, a.completion()),
                    judge != null && judge.chosenLike(q, b.completion()), judge != null && judge.chosenLike(q, a.completion())));
        }
        return rows;
    }

    /** The summary: reward and judge shares over prompts. */
    static Map<String, Object> summary(Settings s, List<Row> rows) {
        int n = rows.size();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prompts", n);
        m.put("model", s.model());
        m.put("adapter", s.adapter());
        m.put("reference_adapter", s.referenceAdapter());
        m.put("beta", s.beta());
        m.put("adapted_reward_higher_share", share(rows, r -> r.afterReward() > r.beforeReward()));
        m.put("reward_before_mean", mean(rows, Row::beforeReward));
        m.put("reward_after_mean", mean(rows, Row::afterReward));
        m.put("judge", s.judge());
        if (s.judge() != null) {
            m.put("judge_score_before_mean", mean(rows, Row::beforeJudge));
            m.put("judge_score_after_mean", mean(rows, Row::afterJudge));
            m.put("judge_chosen_like_before", share(rows, Row::beforeChosenLike));
            m.put("judge_chosen_like_after", share(rows, Row::afterChosenLike));
            m.put("judge_after_better_share", share(rows, r -> r.afterJudge() > r.beforeJudge()));
        }
        m.put("temperature", s.sampling().temperature());
        m.put("max_new_tokens", s.sampling().maxNewTokens());
        m.put("seed", s.sampling().seed());
        return m;
    }

    private static double share(List<Row> rows, java.util.function.Predicate<Row> p) {
        return rows.stream().filter(p).count() / (double) rows.size();
    }

    private static double mean(List<Row> rows, java.util.function.ToDoubleFunction<Row> f) {
        return rows.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static void write(Path out, List<Row> rows, Map<String, Object> summary) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(tmp);
        try {
            ObjectMapper json = new ObjectMapper();
            try (BufferedWriter w = Files.newBufferedWriter(tmp.resolve("answers.jsonl"), StandardCharsets.UTF_8)) {
                for (Row r : rows) {
                    w.write(json.writeValueAsString(line(json, r)));
                    w.write('\n');
                }
            }
            Files.writeString(tmp.resolve("compare.html"), CompareReport.html(rows, summary));
            Files.writeString(tmp.resolve("summary.json"), PythonJson.write(summary) + "\n");
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            PathTrees.deleteTree(tmp);
        }
    }

    /** answers.jsonl: id, prompt, then before_* and after_* (completion, tokens, finish reason, reward, judge). */
    static ObjectNode line(ObjectMapper json, Row r) {
        ObjectNode o = json.createObjectNode();
        o.put("id", r.prompt().id());
        o.set("prompt", r.prompt().original());
        side(o, "before", r.before(), r.beforeReward(), r.beforeJudge(), r.beforeChosenLike());
        side(o, "after", r.after(), r.afterReward(), r.afterJudge(), r.afterChosenLike());
        return o;
    }

    private static void side(ObjectNode o, String k, Answer a, double reward, double judge, boolean chosenLike) {
        o.put(k + "_completion", a.completion());
        o.put(k + "_completion_tokens", a.completionIds().length);
        o.put(k + "_finish_reason", a.finishReasonName());
        o.put(k + "_reward", reward);
        if (!Double.isNaN(judge)) {
            o.put(k + "_judge", judge);
            o.put(k + "_chosen_like", chosenLike);
        }
    }
}
