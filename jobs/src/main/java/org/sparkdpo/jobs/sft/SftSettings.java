package org.sparkdpo.jobs.sft;

import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.HadoopPaths;
import org.sparkdpo.jobs.train.OptimizerSettings;
import org.sparkdpo.jobs.train.RunSettings;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.model.lora.LoraConfig;

/**
 * Everything one SFT run needs. The loop settings are {@link TrainSettings}' records (the same batching, optimiser,
 * schedule, checkpoint and seed semantics as {@code train}).
 *
 * @param data           prepared SFT data (prompt_ids, completion_ids)
 * @param model          base model folder
 * @param out            run folder (local)
 * @param full           full-parameter training (every weight trainable) instead of LoRA
 * @param lora           LoRA settings (ignored when {@code full})
 * @param adapterInit    PEFT adapter to start LoRA training from, or null
 * @param completionOnly loss on completion tokens only (TRL's completion_only_loss) or on every token
 */
public record SftSettings(String data, String model, Path out, boolean full, LoraConfig lora, String adapterInit,
                          boolean completionOnly, TrainSettings.Batching batching, OptimizerSettings optimizer,
                          TrainSettings.Schedule schedule, TrainSettings.Evaluation evaluation,
                          TrainSettings.Checkpoints checkpoints, TrainSettings.Seeds seeds, DataType dtype) {

    /** These settings with every Hadoop path qualified on the driver, as tasks need them. */
    public SftSettings qualified(org.apache.hadoop.conf.Configuration conf) throws java.io.IOException {
        TrainSettings.Evaluation e = new TrainSettings.Evaluation(HadoopPaths.qualify(evaluation.data(), conf),
                evaluation.fraction(), evaluation.batchSize(), evaluation.every());
        return new SftSettings(HadoopPaths.qualify(data, conf), HadoopPaths.qualify(model, conf), out, full, lora,
                HadoopPaths.qualify(adapterInit, conf), completionOnly, batching, optimizer, schedule, e, checkpoints, seeds, dtype);
    }

    public RunSettings run() {
        return new RunSettings(out, batching, optimizer, schedule, evaluation.every(), checkpoints, seeds, dtype);
    }
}
