package org.sparkdpo.jobs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.pipeline.PipelineJob;
import org.sparkdpo.jobs.pipeline.ScratchModel;
import org.sparkdpo.jobs.pipeline.SftTaskStage;
import org.sparkdpo.jobs.pipeline.SyntheticTaskJudge;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code pipeline}: the whole workflow on the embedded synthetic task ({@link PipelineJob}). Each stage's settings
 * are built by that stage's own command from an argument list, so the pipeline uses the commands' defaults plus the
 * few choices written here. {@code demo} is an alias (the project's first end-to-end command had that name).
 */
@CommandLine.Command(name = "pipeline", aliases = "demo",
        description = "Synthetic task -> GPT-2 from scratch -> SFT -> prepare -> precompute-ref -> DPO train -> held-out eval -> compare, with a summary.")
public final class PipelineCommand implements Command {
    /**
     * Local SFT steps per averaging round: the model is tiny, so a round's Spark job costs more than its steps; each
     * worker takes this many steps on its own data before the weights are averaged.
     */
    static final int SFT_AVERAGING = 10;
    /**
     * DPO's sigmoid loss plus TRL's {@code sft} term (NLL of the chosen answer, RPO-style): the sigmoid loss alone
     * pushes the rejected answers down faster than it lifts the chosen one, and the freed probability goes to
     * malformed text that sampling then writes; the NLL term keeps it on the chosen answers.
     */
    static final String DPO_LOSS = "sigmoid,sft";

    @Option(names = "--out", defaultValue = "runs/pipeline", paramLabel = "PATH", description = "Folder for every stage's output (must not exist).")
    String out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the task, the model's weights and training.")
    long seed;

    @Option(names = "--heldout-fraction", defaultValue = "0.2", description = "Share of the task's questions held out (no prompt in both splits).")
    @Check.Range(min = 0.05, max = 0.5) double heldoutFraction;

    @Option(names = "--pairs-per-question", defaultValue = "3", description = "Preference pairs per question (chosen against 1..3 rejected styles).")
    @Check.Range(min = 1, max = 3) int pairsPerQuestion;

    @Option(names = "--max-steps", defaultValue = "200", description = "DPO training steps.")
    @Check.Positive int maxSteps;

    @Option(names = "--workers", defaultValue = "2", description = "Data-parallel workers.")
    @Check.Positive int workers;

    @Option(names = "--lr", defaultValue = "2e-3", description = "Peak learning rate of DPO (AdamW).")
    @Check.Positive double lr;

    @Option(names = "--sft-steps", defaultValue = "800", description = "Full-parameter SFT steps before DPO (0 skips SFT).")
    @Check.Min(0) int sftSteps;

    @Option(names = "--sft-lr", defaultValue = "3e-3", description = "Peak learning rate of SFT (AdamW).")
    @Check.Positive double sftLr;

    @Option(names = "--temperature", defaultValue = "1.0",
            description = "Sampling temperature of compare's answers (0 = greedy); 1 samples the models' own distributions, so the"
                    + " judge's shares say how often each model writes the chosen style.")
    @Check.Min(0) double temperature;

    @Option(names = "--max-new-tokens", defaultValue = "24", description = "Generated tokens per answer in compare.")
    @Check.Positive int maxNewTokens;

    @Option(names = "--show", defaultValue = "5", description = "Before/after answers shown at the end.")
    @Check.Min(0) int show;

    @Override
    public String example() {
        return "--out runs/pipeline";
    }

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo pipeline");
        PipelineJob.Result r = PipelineJob.run(spark, stages(PipelineJob.layout(Path.of(out))), System.err);
        PipelineJob.print(r, show, System.out);
        System.err.printf("[pipeline] done: summary in %s%n", r.out().resolve("summary.json"));
        return ExitCodes.OK;
    }

    /** Every stage's settings, built by the stages' own commands. */
    PipelineJob.Stages stages(PipelineJob.Layout l) {
        PipelineJob.SftStage sft = sftSteps == 0 ? PipelineJob.SftStage.SKIPPED : new SftTaskStage(
                Cli.parse(new PrepareCommand(), "--input", l.task().sft(), "--tokenizer", l.scratchModel(),
                        "--out", l.out().resolve("sft/data")).settings(),
                Cli.parse(new SftCommand(), "--data", l.out().resolve("sft/data"), "--model", l.scratchModel(),
                        "--out", l.out().resolve("sft"), "--full", "--max-steps", sftSteps, "--lr", sftLr, "--warmup-steps", 10,
                        "--batch-size", 16, "--workers", workers, "--averaging-frequency", SFT_AVERAGING, "--log-every", 50,
                        "--seed", seed).settings(workers));
        String m = PipelineJob.modelForDpo(l, sft).toString();
        String adapter = l.adapter().toString();
        String half = String.valueOf(Math.max(1, maxSteps / 2));
        return new PipelineJob.Stages(l, seed, heldoutFraction, pairsPerQuestion, ScratchModel.Shape.SMALL, sft,
                Cli.parse(new PrepareCommand(), "--input", l.task().train(), "--tokenizer", m, "--out", l.prepared("train")).settings(),
                Cli.parse(new PrepareCommand(), "--input", l.task().heldout(), "--tokenizer", m, "--out", l.prepared("heldout")).settings(),
                Cli.parse(new PrecomputeRefCommand(), "--data", l.prepared("train"), "--model", m, "--out", l.ref("train")).settings(),
                Cli.parse(new PrecomputeRefCommand(), "--data", l.prepared("heldout"), "--model", m, "--out", l.ref("heldout")).settings(),
                Cli.parse(new TrainCommand(), "--data", l.ref("train"), "--model", m, "--out", l.dpo(), "--eval-data", l.ref("heldout"),
                        "--workers", workers, "--max-steps", maxSteps, "--lr", lr, "--warmup-steps", 2, "--loss", DPO_LOSS, "--log-every", 2,
                        "--eval-every", half, "--checkpoint-every", half, "--keep-checkpoints", 1, "--seed", seed).settings(workers),
                Cli.parse(new EvalCommand(), "--data", l.ref("heldout"), "--model", m, "--adapter", adapter, "--out", l.eval()).settings(),
                Cli.parse(new CompareCommand(), "--model", m, "--adapter", adapter, "--prompts", l.task().heldoutPrompts(),
                        "--out", l.compare(), "--judge", SyntheticTaskJudge.NAME, "--max-new-tokens", maxNewTokens,
                        "--temperature", temperature, "--seed", seed).settings());
    }

    /** Runs the pipeline into {@code out} with these options (tests). */
    public static PipelineJob.Result run(SparkSession spark, Path out, PrintStream log, Object... options) throws Exception {
        Object[] args = new Object[options.length + 2];
        args[0] = "--out";
        args[1] = out;
        System.arraycopy(options, 0, args, 2, options.length);
        PipelineCommand c = Cli.parse(new PipelineCommand(), args);
        return PipelineJob.run(spark, c.stages(PipelineJob.layout(out)), log);
    }
}
