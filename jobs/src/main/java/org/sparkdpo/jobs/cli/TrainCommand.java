package org.sparkdpo.jobs.cli;

import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.train.DpoTrainer;
import org.sparkdpo.jobs.train.TrainSettings;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: fine-tune a LoRA adapter with DPO on prepared, reference-scored data. */
@CommandLine.Command(name = "train",
        description = "Train a LoRA adapter with DPO (DL4J parameter averaging on Spark) on precompute-ref output.")
public final class TrainCommand extends LoopOptions implements Command {
    @Option(names = "--data", paramLabel = "PATH",
            description = "precompute-ref output (Parquet with ref_chosen_logps/ref_rejected_logps).")
    @Check.Required String data;

    @Option(names = "--model", paramLabel = "PATH", description = "Base model folder (config.json, model.safetensors, tokenizer.json).")
    @Check.Required String model;

    @Option(names = "--out", paramLabel = "PATH",
            description = "Run folder: adapter/, metrics.jsonl, summary.json, training_curves.html, checkpoints/.")
    @Check.Required String out;

    @Option(names = "--adapter-init", paramLabel = "PATH", description = "Start from this PEFT adapter (its r, alpha and targets are used).")
    String adapterInit;

    @Option(names = "--eval-data", paramLabel = "PATH",
            description = "Held-out precompute-ref output, evaluated every --eval-every steps and at the end.")
    String evalData;

    @Option(names = "--eval-fraction", defaultValue = "0.0",
            description = "Hold out this fraction of --data by id hash when --eval-data is not given.")
    @Check.Range(min = 0, max = 0.9) double evalFraction;

    @Mixin DpoOptions dpo;

    @Override
    public String example() {
        return "--data runs/ref --model models/tiny-gpt2 --out runs/dpo --lr 5e-5 --batch-size 8 --workers 2 --max-steps 100";
    }

    @Override
    public Integer call() throws Exception {
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo train");
        DpoTrainer.Result r = DpoTrainer.train(spark, settings(spark.sparkContext().defaultParallelism()));
        System.err.printf("trained %d steps; adapter in %s, metrics in %s, curves in %s%n", r.steps(), r.adapterDir(),
                r.metricsFile(), r.curvesFile());
        return ExitCodes.OK;
    }

    static DataType dtype(String dtype) {
        return LoopOptions.dtype(dtype);
    }

    /** The run's settings; {@code defaultWorkers} stands in for {@code --workers 0}. */
    TrainSettings settings(int defaultWorkers) {
        return new TrainSettings(
                new TrainSettings.Paths(data, model, Path.of(out), adapterInit),
                batching(defaultWorkers), dpo.config(), lora(model), optimizer(), schedule(),
                new TrainSettings.Evaluation(evalData, evalFraction, evalBatchSize, evalEvery),
                checkpoints(), seeds(), dtype(dtype));
    }
}
