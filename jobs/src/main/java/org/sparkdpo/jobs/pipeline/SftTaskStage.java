package org.sparkdpo.jobs.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.jobs.sft.SftSettings;
import org.sparkdpo.jobs.sft.SftTrainer;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareResult;
import org.sparkdpo.prep.PrepareSettings;

/**
 * The pipeline's SFT stage, the way a user runs it: {@code prepare} turns the task's {@code prompt}/{@code completion}
 * Parquet into SFT shards ({@code prepare.out()}, which is {@code settings.data()}), then full-parameter {@code sft}
 * runs with {@code settings}, whose output folder holds the fine-tuned model ({@code model/}).
 */
public final class SftTaskStage implements PipelineJob.SftStage {
    private final PrepareSettings prepare;
    private final SftSettings settings;

    /**
     * @param prepare  {@code prepare} of the task's SFT rows with the scratch model's tokenizer
     * @param settings the sft run; its {@code data} is {@code prepare}'s output, its {@code out} holds {@code model/}
     */
    public SftTaskStage(PrepareSettings prepare, SftSettings settings) {
        this.prepare = prepare;
        this.settings = settings;
    }

    @Override
    public Path run(SparkSession spark, Path model, Path sftData, Path outModel, PrintStream log) throws Exception {
        PrepareResult prepared = PrepareJob.run(spark, prepare);
        log.printf("[pipeline] sft: %d of %d rows prepared (%s) -> %s%n", prepared.counts().kept(), prepared.counts().read(),
                prepared.format().code(), prepared.out());
        SftTrainer.train(spark, settings);
        return outModel;
    }
}
