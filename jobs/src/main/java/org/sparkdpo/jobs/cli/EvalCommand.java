package org.sparkdpo.jobs.cli;

import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.train.EvalJob;

import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: TRL-style evaluation metrics and per-pair scores of an adapter (or the base model). */
@CommandLine.Command(name = "eval",
        description = "Score precompute-ref output with a policy: per-pair Parquet and summary.json with TRL's eval_ metrics.")
public final class EvalCommand implements Command {
    @Option(names = "--data", paramLabel = "PATH", description = "precompute-ref output to evaluate on.")
    @Check.Required String data;

    @Option(names = "--model", paramLabel = "PATH", description = "Base model folder.")
    @Check.Required String model;

    @Option(names = "--adapter", paramLabel = "PATH", description = "PEFT adapter folder; without it the base model is the policy.")
    String adapter;

    @Option(names = "--out", paramLabel = "PATH", description = "Output folder: pairs/ (Parquet) and summary.json; must not exist.")
    @Check.Required String out;

    @Option(names = "--batch-size", defaultValue = "16", description = "Pairs per batch.")
    @Check.Positive int batchSize;

    @Option(names = "--dtype", defaultValue = "float32", description = "Compute dtype.")
    @Check.OneOf({"float32", "float64"}) String dtype;

    @Mixin DpoOptions dpo;

    @Override
    public String example() {
        return "--data runs/ref-test --model models/tiny-gpt2 --adapter runs/dpo/adapter --out runs/eval";
    }

    EvalJob.Settings settings() {
        return new EvalJob.Settings(data, model, adapter, Path.of(out), dpo.config(), batchSize, TrainCommand.dtype(dtype));
    }

    @Override
    public Integer call() throws Exception {
        EvalJob.Result r = EvalJob.run(SparkSessions.getOrCreate("spark-dpo eval"), settings());
        for (Map.Entry<String, Double> e : r.metrics().entrySet()) System.out.printf("%s\t%.6f%n", e.getKey(), e.getValue());
        System.err.printf("evaluated %d pairs; per-pair scores in %s, summary in %s%n", r.pairs(), r.pairsDir(), r.summaryFile());
        return ExitCodes.OK;
    }
}
