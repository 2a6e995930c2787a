package org.sparkdpo.jobs.cli;

import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.train.EvalJob;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code eval}: TRL-style evaluation metrics and per-pair scores of an adapter (or the base model). */
public final class EvalCommand implements Command {
    @Override
    public String name() {
        return "eval";
    }

    @Override
    public String summary() {
        return "Score precompute-ref output with a policy: per-pair Parquet and summary.json with TRL's eval_ metrics.";
    }

    @Override
    public List<OptionSpec> options() {
        List<OptionSpec> o = new ArrayList<>(List.of(
                OptionSpec.ofPath("data", "precompute-ref output to evaluate on.").asRequired(),
                OptionSpec.ofPath("model", "Base model folder.").asRequired(),
                OptionSpec.ofPath("adapter", "PEFT adapter folder; without it the base model is the policy."),
                OptionSpec.ofPath("out", "Output folder: pairs/ (Parquet) and summary.json; must not exist.").asRequired(),
                OptionSpec.ofInt("batch-size", "Pairs per batch.").withDefault(16).withValidator(Validator.positive()),
                OptionSpec.ofEnum("dtype", "Compute dtype.", "float32", "float64").withDefault("float32")));
        o.addAll(DpoOptions.specs());
        return o;
    }

    @Override
    public String example() {
        return "--data runs/ref-test --model models/tiny-gpt2 --adapter runs/dpo/adapter --out runs/eval";
    }

    static EvalJob.Settings settings(ParsedOptions o) {
        return new EvalJob.Settings(o.getPath("data"), o.getPath("model"), TrainCommand.optional(o, "adapter"),
                Path.of(o.getPath("out")), DpoOptions.parse(o), o.getInt("batch-size"), TrainCommand.dtype(o));
    }

    @Override
    public int run(ParsedOptions o) throws Exception {
        EvalJob.Result r = EvalJob.run(SparkSessions.getOrCreate("spark-dpo eval"), settings(o));
        for (Map.Entry<String, Double> e : r.metrics().entrySet()) System.out.printf("%s\t%.6f%n", e.getKey(), e.getValue());
        System.err.printf("evaluated %d pairs; per-pair scores in %s, summary in %s%n", r.pairs(), r.pairsDir(), r.summaryFile());
        return ExitCodes.OK;
    }
}
