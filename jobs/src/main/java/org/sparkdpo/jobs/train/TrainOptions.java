package org.sparkdpo.jobs.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.lora.LoraConfig;

import java.nio.file.Path;

/**
 * Everything a DPO training run needs, as typed values (the {@code train} command builds it from options).
 *
 * @param lora           LoRA settings for a fresh adapter; ignored (taken from the adapter) with {@code adapterInit}
 * @param evalData       held-out data path, or null
 * @param evalFraction   fraction of {@code data} held out by id hash when {@code evalData} is null (0 = none)
 * @param maxSteps       stop after this many steps (0 = run {@code epochs} epochs)
 * @param evalEvery      evaluate every this many steps (0 = only at the end)
 * @param checkpointEvery checkpoint every this many steps (0 = never), at the first round boundary at or after it
 */
public record TrainOptions(String data, String model, Path out, String adapterInit, String evalData, double evalFraction,
                           int batchSize, int gradientAccumulation, int evalBatchSize, int workers, int averagingFrequency, DpoConfig dpo,
                           LoraConfig lora, OptimizerSettings optimizer, int epochs, int maxSteps, long dataSeed,
                           long loraSeed, long dropoutSeed, int logEvery, int evalEvery, int checkpointEvery,
                           int keepCheckpoints, boolean resume, DataType dtype, boolean groupByLength) {
    public TrainOptions {
        if (batchSize <= 0 || gradientAccumulation <= 0 || workers <= 0 || averagingFrequency <= 0 || logEvery <= 0) {
            throw new IllegalArgumentException("batch size, gradient accumulation, workers, averaging frequency and log-every must be positive");
        }
        if (epochs <= 0 && maxSteps <= 0) throw new IllegalArgumentException("set epochs or max-steps");
    }
}
