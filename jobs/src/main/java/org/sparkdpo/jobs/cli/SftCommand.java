package org.sparkdpo.jobs.cli;

import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.sft.SftSettings;
import org.sparkdpo.jobs.sft.SftTrainer;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.jobs.train.TrainingRun;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code sft}: supervised fine-tuning, full-parameter or LoRA, on prepared prompt/completion data. */
@CommandLine.Command(name = "sft",
        description = "Supervised fine-tuning (TRL SFT loss), full-parameter (--full) or LoRA, with DL4J parameter averaging on Spark.")
public final class SftCommand extends LoopOptions implements Command {
    @Option(names = "--data", paramLabel = "PATH",
            description = "Prepared SFT data (prepare output with prompt_ids/completion_ids).")
    @Check.Required String data;

    @Option(names = "--model", paramLabel = "PATH", description = "Base model folder (config.json, model.safetensors, tokenizer.json).")
    @Check.Required String model;

    @Option(names = "--out", paramLabel = "PATH",
            description = "Run folder: model/ (--full) or adapter/, metrics.jsonl, summary.json, training_curves.html, checkpoints/.")
    @Check.Required String out;

    @Option(names = "--full", negatable = true, arity = "0..1", fallbackValue = "true",
            description = "Train every weight (output: a Hugging Face model folder in OUT/model); default: a LoRA adapter (OUT/adapter).")
    boolean full;

    @Option(names = "--completion-only", negatable = true, arity = "0..1", fallbackValue = "true", defaultValue = "true",
            description = "Loss on completion tokens only (TRL's completion_only_loss); false: on every token after the first.")
    boolean completionOnly;

    @Option(names = "--adapter-init", paramLabel = "PATH", description = "LoRA: start from this PEFT adapter (its r, alpha and targets are used).")
    String adapterInit;

    @Option(names = "--eval-data", paramLabel = "PATH",
            description = "Held-out prepared SFT data, evaluated every --eval-every steps and at the end.")
    String evalData;

    @Option(names = "--eval-fraction", defaultValue = "0.0",
            description = "Hold out this fraction of --data by id hash when --eval-data is not given.")
    @Check.Range(min = 0, max = 0.9) double evalFraction;

    @Override
    public String example() {
        return "--data runs/sft-data --model models/tiny-gpt2 --out runs/sft --full --lr 1e-4 --batch-size 8 --workers 2 --max-steps 100";
    }

    @Override
    public Integer call() throws Exception {
        if (full && adapterInit != null) throw new UsageException("--adapter-init is for LoRA SFT; drop it or --full");
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo sft");
        TrainingRun.Outcome r = SftTrainer.train(spark, settings(spark.sparkContext().defaultParallelism()));
        System.err.printf("trained %d steps; %s in %s, metrics in %s, curves in %s%n", r.steps(),
                full ? "model" : "adapter", r.output(), r.metricsFile(), r.curvesFile());
        return ExitCodes.OK;
    }

    /** The run's settings; {@code defaultWorkers} stands in for {@code --workers 0}. */
    SftSettings settings(int defaultWorkers) {
        return new SftSettings(data, model, Path.of(out), full, full ? null : lora(model), adapterInit, completionOnly,
                batching(defaultWorkers), optimizer(), schedule(),
                new TrainSettings.Evaluation(evalData, evalFraction, evalBatchSize, evalEvery),
                checkpoints(), seeds(), dtype(dtype));
    }
}
