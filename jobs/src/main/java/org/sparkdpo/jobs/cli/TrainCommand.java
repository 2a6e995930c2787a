package org.sparkdpo.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.OptionsException;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.train.DpoTrainer;
import org.sparkdpo.jobs.train.OptimizerSettings;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.jobs.train.WarmupDecaySchedule;
import org.sparkdpo.model.lora.LoraConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code train}: fine-tune a LoRA adapter with DPO on prepared, reference-scored data. */
public final class TrainCommand implements Command {
    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "Train a LoRA adapter with DPO (DL4J parameter averaging on Spark) on precompute-ref output.";
    }

    @Override
    public List<OptionSpec> options() {
        List<OptionSpec> o = new ArrayList<>(List.of(
                OptionSpec.ofPath("data", "precompute-ref output (Parquet with ref_chosen_logps/ref_rejected_logps).").asRequired(),
                OptionSpec.ofPath("model", "Base model folder (config.json, model.safetensors, tokenizer.json).").asRequired(),
                OptionSpec.ofPath("out", "Run folder: adapter/, metrics.jsonl, summary.json, training_curves.html, checkpoints/.").asRequired(),
                OptionSpec.ofPath("adapter-init", "Start from this PEFT adapter (its r, alpha and targets are used)."),
                OptionSpec.ofPath("eval-data", "Held-out precompute-ref output, evaluated every --eval-every steps and at the end."),
                OptionSpec.ofDouble("eval-fraction", "Hold out this fraction of --data by id hash when --eval-data is not given.")
                        .withDefault(0.0).withValidator(Validator.range(0, 0.9)),
                OptionSpec.ofInt("batch-size", "Pairs per worker step.").withDefault(8).withValidator(Validator.positive()),
                OptionSpec.ofInt("gradient-accumulation", "Run each worker batch as this many micro-batches (same result, less memory).")
                        .withDefault(1).withValidator(Validator.positive()),
                OptionSpec.ofInt("eval-batch-size", "Pairs per evaluation batch.").withDefault(16).withValidator(Validator.positive()),
                OptionSpec.ofInt("workers", "Data-parallel workers (Spark tasks per round); 0 = Spark's default parallelism.")
                        .withDefault(0).withValidator(Validator.nonNegative()),
                OptionSpec.ofInt("averaging-frequency", "Worker steps between parameter averagings (1 = synchronous data parallel).")
                        .withDefault(1).withValidator(Validator.positive()),
                OptionSpec.ofEnum("optimizer", "adamw (decoupled weight decay) or sgd.", "adamw", "sgd").withDefault("adamw"),
                OptionSpec.ofDouble("lr", "Peak learning rate.").withDefault(5e-5).withValidator(Validator.positive()),
                OptionSpec.ofInt("warmup-steps", "Linear warm-up steps from 0.").withDefault(0).withValidator(Validator.nonNegative()),
                OptionSpec.ofEnum("lr-scheduler", "Decay after warm-up (HF's lr_scheduler_type).", "linear", "cosine", "constant")
                        .withDefault("linear"),
                OptionSpec.ofDouble("max-grad-norm", "Clip the global gradient norm to this (0 = off).").withDefault(1.0)
                        .withValidator(Validator.nonNegative()),
                OptionSpec.ofDouble("weight-decay", "Decoupled weight decay (AdamW) / L2 step (SGD).").withDefault(0.0)
                        .withValidator(Validator.nonNegative()),
                OptionSpec.ofDouble("adam-beta1", "AdamW beta1.").withDefault(0.9).withValidator(Validator.range(0, 0.9999)),
                OptionSpec.ofDouble("adam-beta2", "AdamW beta2.").withDefault(0.999).withValidator(Validator.range(0, 0.99999)),
                OptionSpec.ofDouble("adam-epsilon", "AdamW epsilon.").withDefault(1e-8).withValidator(Validator.positive()),
                OptionSpec.ofInt("epochs", "Passes over the data (ignored when --max-steps > 0).").withDefault(1).withValidator(Validator.positive()),
                OptionSpec.ofInt("max-steps", "Stop after this many steps (0 = use --epochs).").withDefault(0).withValidator(Validator.nonNegative()),
                OptionSpec.ofLong("seed", "Seed of the data order (and of the eval split).").withDefault(42),
                OptionSpec.ofLong("lora-seed", "Seed of the LoRA initialisation.").withDefault(42),
                OptionSpec.ofLong("dropout-seed", "Seed of LoRA dropout masks.").withDefault(42),
                OptionSpec.ofInt("lora-r", "LoRA rank.").withDefault(8).withValidator(Validator.positive()),
                OptionSpec.ofDouble("lora-alpha", "LoRA alpha (scaling alpha/r).").withDefault(16.0).withValidator(Validator.positive()),
                OptionSpec.ofDouble("lora-dropout", "Dropout on LoRA inputs during training.").withDefault(0.0)
                        .withValidator(Validator.range(0, 0.9)),
                OptionSpec.ofList("lora-targets", "PEFT target_modules (name suffixes, or all-linear).").withDefault("all-linear"),
                OptionSpec.ofBool("use-rslora", "Rank-stabilised LoRA scaling alpha/sqrt(r)."),
                OptionSpec.ofInt("log-every", "Write a metrics line every this many steps.").withDefault(10).withValidator(Validator.positive()),
                OptionSpec.ofInt("eval-every", "Evaluate every this many steps (0 = only at the end).").withDefault(0)
                        .withValidator(Validator.nonNegative()),
                OptionSpec.ofInt("checkpoint-every", "Checkpoint every this many steps (0 = never).").withDefault(0)
                        .withValidator(Validator.nonNegative()),
                OptionSpec.ofInt("keep-checkpoints", "Newest checkpoints kept (0 = all).").withDefault(3).withValidator(Validator.nonNegative()),
                OptionSpec.ofBool("resume", "Continue from the newest complete checkpoint in --out."),
                OptionSpec.ofEnum("dtype", "Compute dtype.", "float32", "float64").withDefault("float32"),
                OptionSpec.ofBool("group-by-length", "Batch pairs of similar length (less padding).").withDefault(true)));
        o.addAll(DpoOptions.specs());
        return o;
    }

    @Override
    public String example() {
        return "--data runs/ref --model models/tiny-gpt2 --out runs/dpo --lr 5e-5 --batch-size 8 --workers 2 --max-steps 100";
    }

    @Override
    public int run(ParsedOptions o) throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo train");
        DpoTrainer.Result r = DpoTrainer.train(spark, settings(o, spark.sparkContext().defaultParallelism()));
        System.err.printf("trained %d steps; adapter in %s, metrics in %s, curves in %s%n", r.steps(), r.adapterDir(),
                r.metricsFile(), r.curvesFile());
        return ExitCodes.OK;
    }

    static String optional(ParsedOptions o, String name) {
        return o.has(name) ? o.getPath(name) : null;
    }

    static DataType dtype(ParsedOptions o) {
        return o.getEnum("dtype").equals("float64") ? DataType.DOUBLE : DataType.FLOAT;
    }

    /** The run's settings; {@code defaultWorkers} stands in for {@code --workers 0}. */
    static TrainSettings settings(ParsedOptions o, int defaultWorkers) {
        LoraConfig lora;
        try {
            lora = new LoraConfig(o.getInt("lora-r"), o.getDouble("lora-alpha"), o.getDouble("lora-dropout"),
                    o.getList("lora-targets"), o.getBool("use-rslora"), false, o.getPath("model"));
        } catch (IllegalArgumentException e) {
            throw new OptionsException("--lora-*: " + e.getMessage());
        }
        OptimizerSettings opt = new OptimizerSettings(o.getEnum("optimizer"), o.getDouble("lr"), o.getInt("warmup-steps"),
                WarmupDecaySchedule.Decay.valueOf(o.getEnum("lr-scheduler").toUpperCase(java.util.Locale.ROOT)),
                o.getDouble("weight-decay"), o.getDouble("max-grad-norm"), o.getDouble("adam-beta1"), o.getDouble("adam-beta2"),
                o.getDouble("adam-epsilon"));
        int workers = o.getInt("workers") > 0 ? o.getInt("workers") : Math.max(1, defaultWorkers);
        return new TrainSettings(
                new TrainSettings.Paths(o.getPath("data"), o.getPath("model"), Path.of(o.getPath("out")), optional(o, "adapter-init")),
                new TrainSettings.Batching(o.getInt("batch-size"), o.getInt("gradient-accumulation"), workers,
                        o.getInt("averaging-frequency"), o.getBool("group-by-length")),
                DpoOptions.parse(o), lora, opt,
                new TrainSettings.Schedule(o.getInt("epochs"), o.getInt("max-steps"), o.getInt("log-every")),
                new TrainSettings.Evaluation(optional(o, "eval-data"), o.getDouble("eval-fraction"), o.getInt("eval-batch-size"),
                        o.getInt("eval-every")),
                new TrainSettings.Checkpoints(o.getInt("checkpoint-every"), o.getInt("keep-checkpoints"), o.getBool("resume")),
                new TrainSettings.Seeds(o.getLong("seed"), o.getLong("lora-seed"), o.getLong("dropout-seed")), dtype(o));
    }
}
