package org.sparkdpo.jobs.train;

import java.nio.file.Path;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The settings every {@link TrainingRun} needs whatever its objective: where it writes, batching and averaging,
 * optimiser, schedule, how often it evaluates, checkpoints, seeds and compute dtype.
 */
public record RunSettings(Path out, TrainSettings.Batching batching, OptimizerSettings optimizer,
                          TrainSettings.Schedule schedule, int evalEvery, TrainSettings.Checkpoints checkpoints,
                          TrainSettings.Seeds seeds, DataType dtype) {}
