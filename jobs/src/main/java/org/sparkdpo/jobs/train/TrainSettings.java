package org.sparkdpo.jobs.train;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.HadoopPaths;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.lora.LoraConfig;

/**
 * Everything one DPO training run needs, grouped by concern. The {@code train} command builds it from its options,
 * which hold the only defaults; tests and other jobs build it directly.
 *
 * @param lora LoRA settings for a fresh adapter; with {@link Paths#adapterInit()} the adapter's own r, alpha and
 *             targets are used and only the dropout is taken from here (null: the adapter's dropout too)
 */
public record TrainSettings(Paths paths, Batching batching, DpoConfig dpo, LoraConfig lora, OptimizerSettings optimizer,
                            Schedule schedule, Evaluation evaluation, Checkpoints checkpoints, Seeds seeds, DataType dtype) {

    /** The objective-independent part, for {@link TrainingRun}. */
    public RunSettings run() {
        return new RunSettings(paths.out(), batching, optimizer, schedule, evaluation.every(), checkpoints, seeds, dtype);
    }

    /**
     * Where the run reads and writes.
     *
     * @param data        precompute-ref output (any Hadoop path)
     * @param model       base model folder (any Hadoop path)
     * @param out         the run folder (local)
     * @param adapterInit PEFT adapter to start from, or null for a fresh one
     */
    public record Paths(String data, String model, Path out, String adapterInit) {
        /** These paths with the Hadoop ones qualified on the driver ({@link HadoopPaths#qualify}), as tasks need them. */
        public Paths qualified(Configuration conf) throws IOException {
            return new Paths(HadoopPaths.qualify(data, conf), HadoopPaths.qualify(model, conf), out,
                    HadoopPaths.qualify(adapterInit, conf));
        }
    }

    /** These settings with every Hadoop path qualified on the driver. */
    public TrainSettings qualified(Configuration conf) throws IOException {
        Evaluation e = new Evaluation(HadoopPaths.qualify(evaluation.data(), conf), evaluation.fraction(),
                evaluation.batchSize(), evaluation.every());
        return new TrainSettings(paths.qualified(conf), batching, dpo, lora, optimizer, schedule, e, checkpoints, seeds, dtype);
    }

    /**
     * How pairs are grouped into steps and steps into averaging rounds.
     *
     * @param batchSize            pairs per worker step
     * @param gradientAccumulation micro-batches per worker step (same gradient, less memory)
     * @param workers              data-parallel Spark tasks per round
     * @param averagingFrequency   worker steps between parameter averagings
     * @param groupByLength        batch pairs of similar length
     * @param gradientCheckpointing recompute each transformer block's forward during backward (HF/TRL's
     *                              gradient_checkpointing): a step holds one block's activations instead of all
     *                              blocks' (off: kept from the forward sweep), for one more forward pass
     */
    public record Batching(int batchSize, int gradientAccumulation, int workers, int averagingFrequency,
                           boolean groupByLength, boolean gradientCheckpointing) {
        public Batching {
            if (batchSize <= 0 || gradientAccumulation <= 0 || workers <= 0 || averagingFrequency <= 0) {
                throw new IllegalArgumentException("batch size, gradient accumulation, workers and averaging frequency must be positive");
            }
        }

        /** Without gradient checkpointing. */
        public Batching(int batchSize, int gradientAccumulation, int workers, int averagingFrequency, boolean groupByLength) {
            this(batchSize, gradientAccumulation, workers, averagingFrequency, groupByLength, false);
        }
    }

    /**
     * How long the run is and how often it reports.
     *
     * @param epochs   passes over the data when {@code maxSteps} is 0
     * @param maxSteps stop after this many steps (0: run {@code epochs} epochs)
     * @param logEvery write a metrics line every this many steps
     */
    public record Schedule(int epochs, int maxSteps, int logEvery) {
        public Schedule {
            if (logEvery <= 0) throw new IllegalArgumentException("log-every must be positive");
            if (epochs <= 0 && maxSteps <= 0) throw new IllegalArgumentException("set epochs or max-steps");
        }
    }

    /**
     * The held-out evaluation.
     *
     * @param data      held-out precompute-ref output, or null
     * @param fraction  share of the training data held out by id hash when {@code data} is null (0: none)
     * @param batchSize pairs per evaluation batch
     * @param every     evaluate every this many steps (0: only at the end)
     */
    public record Evaluation(String data, double fraction, int batchSize, int every) {
        /** No held-out evaluation. */
        public static Evaluation none() {
            return new Evaluation(null, 0, 16, 0);
        }

        public boolean enabled() {
            return data != null || fraction > 0;
        }
    }

    /**
     * Checkpoints in {@code out/checkpoints}.
     *
     * @param every  write one every this many steps, at the first round boundary at or after it (0: never)
     * @param keep   newest checkpoints kept (0: all)
     * @param resume continue from the newest complete checkpoint
     */
    public record Checkpoints(int every, int keep, boolean resume) {
        public static Checkpoints none() {
            return new Checkpoints(0, 0, false);
        }
    }

    /** Seeds of the data order (and eval split), the LoRA initialisation and the dropout masks. */
    public record Seeds(long data, long lora, long dropout) {}
}
