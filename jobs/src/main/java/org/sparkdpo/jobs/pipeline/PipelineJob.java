package org.sparkdpo.jobs.pipeline;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.jobs.compare.CompareJob;
import org.sparkdpo.jobs.compare.CompareReport;
import org.sparkdpo.jobs.precompute.PrecomputeRefJob;
import org.sparkdpo.jobs.precompute.PrecomputeSettings;
import org.sparkdpo.jobs.train.DpoTrainer;
import org.sparkdpo.jobs.train.EvalJob;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareSettings;

/**
 * The whole workflow on the embedded synthetic task, one stage after the other: task -> scratch model -> SFT ->
 * prepare -> precompute-ref -> train (DPO with LoRA) -> eval on held-out pairs -> compare with the rule judge ->
 * {@code summary.json}. Each stage runs with the settings its own command builds ({@link Stages}) and writes under
 * one folder ({@link Layout}).
 */
public final class PipelineJob {
    /** Where each stage writes. */
    public record Layout(Path out) {
        public TaskFiles.Layout task() {
            return new TaskFiles.Layout(out.resolve("task"));
        }

        /** The model created from scratch. */
        public Path scratchModel() {
            return out.resolve("model");
        }

        /** The SFT stage's output: the model DPO starts from and its reference. */
        public Path sftModel() {
            return out.resolve("sft/model");
        }

        public Path prepared(String split) {
            return out.resolve("prepared").resolve(split);
        }

        public Path ref(String split) {
            return out.resolve("ref").resolve(split);
        }

        public Path dpo() {
            return out.resolve("dpo");
        }

        public Path adapter() {
            return dpo().resolve("adapter");
        }

        public Path eval() {
            return out.resolve("eval-heldout");
        }

        public Path compare() {
            return out.resolve("compare");
        }

        public Path summary() {
            return out.resolve("summary.json");
        }
    }

    /**
     * The SFT stage: fine-tunes {@code model} on the task's SFT data ({@code prompt}/{@code completion} Parquet) and
     * returns the model folder DPO starts from (also its reference).
     */
    @FunctionalInterface
    public interface SftStage {
        Path run(SparkSession spark, Path model, Path sftData, Path outModel, PrintStream log) throws Exception;

        /** No SFT ({@code --sft-steps 0}): DPO starts from the scratch model. */
        SftStage SKIPPED = (spark, model, sftData, outModel, log) -> {
            log.println("[pipeline] SFT skipped (--sft-steps 0): DPO starts from the scratch model");
            return model;
        };
    }

    /** The task's size and the settings of every later stage, in the order they run. */
    public record Stages(Layout layout, long seed, double heldoutFraction, int pairsPerQuestion, ScratchModel.Shape shape,
                         SftStage sft, PrepareSettings prepareTrain, PrepareSettings prepareHeldout,
                         PrecomputeSettings refTrain, PrecomputeSettings refHeldout, TrainSettings train,
                         EvalJob.Settings evalHeldout, CompareJob.Settings compare) {}

    public record Result(Path out, Map<String, Object> summary, CompareJob.Result compare) {}

    private PipelineJob() {}

    /** Refuses an existing output folder, so a pipeline never mixes two runs. */
    public static Layout layout(Path out) {
        if (Files.exists(out)) throw new JobRefusedException("output folder " + out + " already exists");
        return new Layout(out);
    }

    /** The folder later stages read the model from: the SFT output, or the scratch model while SFT is skipped. */
    public static Path modelForDpo(Layout l, SftStage sft) {
        return sft == SftStage.SKIPPED ? l.scratchModel() : l.sftModel();
    }

    public static Result run(SparkSession spark, Stages s, PrintStream log) throws Exception {
        long t0 = System.nanoTime();
        Layout l = s.layout();
        SyntheticTask.Task task = SyntheticTask.generate(s.seed(), s.heldoutFraction(), s.pairsPerQuestion());
        TaskFiles.write(spark, task, l.task().dir());
        log.printf("[pipeline] 1/8 task: %d train pairs, %d held-out pairs, %d SFT rows -> %s%n", task.train().size(),
                task.heldout().size(), task.sft().size(), l.task().dir());
        ScratchModel.create(l.scratchModel(), s.shape(), s.seed());
        log.printf("[pipeline] 2/8 model: GPT-2 from scratch (%s) -> %s%n", s.shape(), l.scratchModel());
        Path model = s.sft().run(spark, l.scratchModel(), l.task().sft(), l.sftModel(), log);
        log.printf("[pipeline] 3/8 sft -> %s%n", model);
        PrepareJob.run(spark, s.prepareTrain());
        PrepareJob.run(spark, s.prepareHeldout());
        log.printf("[pipeline] 4/8 prepare -> %s%n", l.out().resolve("prepared"));
        PrecomputeRefJob.run(spark, s.refTrain());
        PrecomputeRefJob.run(spark, s.refHeldout());
        log.printf("[pipeline] 5/8 precompute-ref -> %s%n", l.out().resolve("ref"));
        DpoTrainer.Result trained = DpoTrainer.train(spark, s.train());
        log.printf("[pipeline] 6/8 train: %d steps -> %s%n", trained.steps(), trained.adapterDir());
        EvalJob.Result eval = EvalJob.run(spark, s.evalHeldout());
        log.printf("[pipeline] 7/8 eval on held-out pairs -> %s%n", eval.summaryFile());
        CompareJob.Result cmp = CompareJob.run(s.compare());
        log.printf("[pipeline] 8/8 compare with the rule judge -> %s%n", cmp.out());

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("heldout_reward_accuracy", eval.metrics().get("eval_rewards/accuracies"));
        summary.put("heldout_reward_margin", eval.metrics().get("eval_rewards/margins"));
        summary.put("heldout_loss", eval.metrics().get("eval_loss"));
        summary.put("heldout_pairs", eval.pairs());
        for (String k : new String[]{"judge_chosen_like_before", "judge_chosen_like_after", "adapted_reward_higher_share"}) {
            summary.put(k, cmp.summary().get(k));
        }
        summary.put("sft", s.sft() != SftStage.SKIPPED);
        summary.put("train_steps", trained.steps());
        summary.put("elapsed_s", (System.nanoTime() - t0) / 1e9);
        summary.put("out", l.out().toString());
        Files.writeString(l.summary(), PythonJson.write(summary) + "\n");
        return new Result(l.out(), summary, cmp);
    }

    /** A few before/after answers and the summary, for the terminal. */
    public static void print(Result r, int show, PrintStream ps) {
        var rows = r.compare().rows();
        if (show > 0) ps.print(CompareReport.table(rows.subList(0, Math.min(show, rows.size())), 34));
        for (Map.Entry<String, Object> e : r.summary().entrySet()) {
            Object v = e.getValue();
            ps.printf("%-28s %s%n", e.getKey(), v instanceof Double d ? String.format(java.util.Locale.ROOT, "%.4f", d) : v);
        }
    }
}
