package org.sparkdpo.jobs.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;

/**
 * DPO training of a LoRA adapter with DL4J's {@link ParameterAveragingTrainingMaster}. The driver runs one
 * averaging round at a time (DL4J broadcasts the LoRA parameters and updater state, each worker fits its batches,
 * DL4J averages the results) so that it can log, evaluate and checkpoint between rounds. The loop below is the
 * whole schedule; {@link TrainingRun} holds the run's state and one method per step of it, {@link DpoTask} what
 * is DPO about it.
 */
public final class DpoTrainer {
    /** What a run produced. */
    public record Result(Path adapterDir, Path metricsFile, Path summaryFile, Path curvesFile, int steps,
                         Map<String, Double> finalEval, long bytesPerRound) {}

    private DpoTrainer() {}

    public static Result train(SparkSession spark, TrainSettings settings) throws IOException {
        TrainSettings s = settings.qualified(spark.sparkContext().hadoopConfiguration());
        TrainingRun.Outcome o = loop(spark, s.run(), DpoTask.factory(spark, s));
        return new Result(o.output(), o.metricsFile(), o.summaryFile(), o.curvesFile(), o.steps(), o.finalEval(),
                o.bytesPerRound());
    }

    /** The training loop of every objective (DPO here, SFT in {@code jobs.sft}): one averaging round at a time. */
    public static TrainingRun.Outcome loop(SparkSession spark, RunSettings settings, TrainingTask.Factory task) throws IOException {
        try (TrainingRun run = TrainingRun.start(spark, settings, task)) {
            while (run.hasNextRound()) {
                TrainingRun.Round round = run.fitRound();
                run.log(round);
                run.maybeEvaluate(round);
                run.maybeCheckpoint(round);
            }
            return run.finish();
        }
    }
}
