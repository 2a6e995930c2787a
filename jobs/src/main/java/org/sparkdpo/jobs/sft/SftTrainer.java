package org.sparkdpo.jobs.sft;

import java.io.IOException;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.jobs.train.DpoTrainer;
import org.sparkdpo.jobs.train.TrainingRun;

/**
 * Supervised fine-tuning, full-parameter or LoRA, with DL4J's ParameterAveragingTrainingMaster: the same loop,
 * data plumbing, checkpoints/resume, metrics.jsonl, training_curves.html and summary.json as DPO training
 * ({@link DpoTrainer#loop}), with {@link SftTask} as the objective.
 */
public final class SftTrainer {
    private SftTrainer() {}

    public static TrainingRun.Outcome train(SparkSession spark, SftSettings settings) throws IOException {
        if (!settings.full() && settings.lora() == null && settings.adapterInit() == null) {
            throw new IllegalArgumentException("LoRA SFT needs LoRA settings or an adapter to start from");
        }
        SftSettings s = settings.qualified(spark.sparkContext().hadoopConfiguration());
        return DpoTrainer.loop(spark, s.run(), SftTask.factory(spark, s));
    }
}
