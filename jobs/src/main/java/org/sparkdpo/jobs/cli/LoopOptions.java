package org.sparkdpo.jobs.cli;

import java.util.List;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.jobs.train.OptimizerSettings;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.jobs.train.WarmupDecaySchedule;
import org.sparkdpo.model.lora.LoraConfig;
import picocli.CommandLine.Option;

/**
 * The options of the training loop shared by {@code train} (DPO) and {@code sft}: batching and averaging, optimiser,
 * schedule, LoRA, seeds, logging, evaluation cadence, checkpoints, dtype. One declaration, so both commands have
 * the same names, defaults and checks (picocli reads the options of superclasses).
 */
abstract class LoopOptions {
    @Option(names = "--batch-size", defaultValue = "8", description = "Examples (pairs for DPO) per worker step.")
    @Check.Positive int batchSize;

    @Option(names = "--gradient-accumulation", defaultValue = "1",
            description = "Run each worker batch as this many micro-batches (same result, less memory).")
    @Check.Positive int gradientAccumulation;

    @Option(names = "--eval-batch-size", defaultValue = "16", description = "Examples (pairs for DPO) per evaluation batch.")
    @Check.Positive int evalBatchSize;

    @Option(names = "--workers", defaultValue = "0",
            description = "Data-parallel workers (Spark tasks per round); 0 = Spark's default parallelism.")
    @Check.Min(0) int workers;

    @Option(names = "--averaging-frequency", defaultValue = "1",
            description = "Worker steps between parameter averagings (1 = synchronous data parallel).")
    @Check.Positive int averagingFrequency;

    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw (decoupled weight decay) or sgd.")
    @Check.OneOf({"adamw", "sgd"}) String optimizer;

    @Option(names = "--lr", defaultValue = "5e-5", description = "Peak learning rate.")
    @Check.Positive double lr;

    @Option(names = "--warmup-steps", defaultValue = "0", description = "Linear warm-up steps from 0.")
    @Check.Min(0) int warmupSteps;

    @Option(names = "--lr-scheduler", defaultValue = "linear", description = "Decay after warm-up (HF's lr_scheduler_type).")
    @Check.OneOf({"linear", "cosine", "constant"}) String lrScheduler;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Clip the global gradient norm to this (0 = off).")
    @Check.Min(0) double maxGradNorm;

    @Option(names = "--weight-decay", defaultValue = "0.0", description = "Decoupled weight decay (AdamW) / L2 step (SGD).")
    @Check.Min(0) double weightDecay;

    @Option(names = "--adam-beta1", defaultValue = "0.9", description = "AdamW beta1.")
    @Check.Range(min = 0, max = 0.9999) double adamBeta1;

    @Option(names = "--adam-beta2", defaultValue = "0.999", description = "AdamW beta2.")
    @Check.Range(min = 0, max = 0.99999) double adamBeta2;

    @Option(names = "--adam-epsilon", defaultValue = "1e-8", description = "AdamW epsilon.")
    @Check.Positive double adamEpsilon;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the data (ignored when --max-steps > 0).")
    @Check.Positive int epochs;

    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after this many steps (0 = use --epochs).")
    @Check.Min(0) int maxSteps;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the data order (and of the eval split).")
    long seed;

    @Option(names = "--lora-seed", defaultValue = "42", description = "Seed of the LoRA initialisation.")
    long loraSeed;

    @Option(names = "--dropout-seed", defaultValue = "42", description = "Seed of LoRA dropout masks.")
    long dropoutSeed;

    @Option(names = "--lora-r", defaultValue = "8", description = "LoRA rank.")
    @Check.Positive int loraR;

    @Option(names = "--lora-alpha", defaultValue = "16.0", description = "LoRA alpha (scaling alpha/r).")
    @Check.Positive double loraAlpha;

    @Option(names = "--lora-dropout", defaultValue = "0.0", description = "Dropout on LoRA inputs during training.")
    @Check.Range(min = 0, max = 0.9) double loraDropout;

    @Option(names = "--lora-targets", split = ",", defaultValue = "all-linear",
            description = "PEFT target_modules (name suffixes, or all-linear).")
    List<String> loraTargets;

    @Option(names = "--use-rslora", negatable = true, arity = "0..1", fallbackValue = "true",
            description = "Rank-stabilised LoRA scaling alpha/sqrt(r).")
    boolean useRslora;

    @Option(names = "--log-every", defaultValue = "10", description = "Write a metrics line every this many steps.")
    @Check.Positive int logEvery;

    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate every this many steps (0 = only at the end).")
    @Check.Min(0) int evalEvery;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every this many steps (0 = never).")
    @Check.Min(0) int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "3", description = "Newest checkpoints kept (0 = all).")
    @Check.Min(0) int keepCheckpoints;

    @Option(names = "--resume", negatable = true, arity = "0..1", fallbackValue = "true",
            description = "Continue from the newest complete checkpoint in --out.")
    boolean resume;

    @Option(names = "--dtype", defaultValue = "float32", description = "Compute dtype.")
    @Check.OneOf({"float32", "float64"}) String dtype;

    @Option(names = "--group-by-length", negatable = true, arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "Batch examples of similar length (less padding).")
    boolean groupByLength;

    @Option(names = "--gradient-checkpointing", negatable = true, arity = "0..1", fallbackValue = "true", defaultValue = "false",
            description = "DPO training: recompute each transformer block's forward during backward (HF/TRL's gradient_checkpointing): "
                    + "memory of one block's activations instead of all blocks' (off: kept from the forward sweep), "
                    + "about a quarter more time per step.")
    boolean gradientCheckpointing;

    static DataType dtype(String dtype) {
        return dtype.equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
    }

    /** LoRA settings from the --lora-* options; bad values raise {@link UsageException}. */
    LoraConfig lora(String model) {
        try {
            return new LoraConfig(loraR, loraAlpha, loraDropout, loraTargets, useRslora, false, model);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--lora-*: " + e.getMessage());
        }
    }

    OptimizerSettings optimizer() {
        return new OptimizerSettings(optimizer, lr, warmupSteps,
                WarmupDecaySchedule.Decay.valueOf(lrScheduler.toUpperCase(Locale.ROOT)), weightDecay, maxGradNorm, adamBeta1,
                adamBeta2, adamEpsilon);
    }

    /** {@code defaultWorkers} stands in for {@code --workers 0}. */
    TrainSettings.Batching batching(int defaultWorkers) {
        int w = workers > 0 ? workers : Math.max(1, defaultWorkers);
        return new TrainSettings.Batching(batchSize, gradientAccumulation, w, averagingFrequency, groupByLength,
                gradientCheckpointing);
    }

    TrainSettings.Schedule schedule() {
        return new TrainSettings.Schedule(epochs, maxSteps, logEvery);
    }

    TrainSettings.Checkpoints checkpoints() {
        return new TrainSettings.Checkpoints(checkpointEvery, keepCheckpoints, resume);
    }

    TrainSettings.Seeds seeds() {
        return new TrainSettings.Seeds(seed, loraSeed, dropoutSeed);
    }
}
