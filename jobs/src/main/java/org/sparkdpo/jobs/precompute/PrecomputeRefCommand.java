package org.sparkdpo.jobs.precompute;

import java.io.PrintStream;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.options.OptionSpec;
import org.sparkdpo.common.options.ParsedOptions;
import org.sparkdpo.common.options.Validator;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.Command;
import org.sparkdpo.jobs.cli.CommandException;
import org.sparkdpo.jobs.cli.ExitCodes;

/**
 * {@code precompute-ref}: the command-line face of {@link PrecomputeRefJob}. Exit codes for schedulers: 0 done or
 * already up to date, 1 failure (rerun resumes), 3 refused (different fingerprint without --overwrite, no input
 * manifest, tokenizer mismatch: a human must look).
 */
public final class PrecomputeRefCommand implements Command {
    private final PrintStream out;

    public PrecomputeRefCommand() {
        this(System.out);
    }

    public PrecomputeRefCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public String name() {
        return "precompute-ref";
    }

    @Override
    public String summary() {
        return "Add reference-model log-probs to prepared shards (versioned, resumable, skips when up to date).";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.ofPath("data", "Folder written by 'prepare' (shards + manifest.json).").asRequired(),
                OptionSpec.ofPath("model", "Model folder (config.json, *.safetensors, tokenizer.json): the reference.").asRequired(),
                OptionSpec.ofPath("out", "Output folder: the shards plus ref_* columns, markers and manifest.json.").asRequired(),
                OptionSpec.ofPath("adapter", "PEFT LoRA adapter applied to the model for the reference (e.g. an SFT adapter)."),
                OptionSpec.ofEnum("dtype", "Compute dtype.", "float32", "float64").withDefault("float32"),
                OptionSpec.ofInt("batch-tokens", "Token budget of one forward pass: sequences x padded length.")
                        .withDefault(PrecomputeOptions.DEFAULT_BATCH_TOKENS).withValidator(Validator.positive()),
                OptionSpec.ofInt("max-batch", "At most this many sequences (two per pair) in one forward pass.")
                        .withDefault(PrecomputeOptions.DEFAULT_MAX_BATCH)
                        .withValidator(Validator.of("be >= 2", v -> ((Integer) v) >= 2)),
                OptionSpec.ofBool("overwrite", "Replace an existing output computed from different inputs."));
    }

    @Override
    public String example() {
        return "--data data/prepared/train --model models/gpt2 --out data/ref/train";
    }

    @Override
    public int run(ParsedOptions o) throws Exception {
        PrecomputeOptions opts = new PrecomputeOptions(o.getPath("data"), o.getPath("model"), o.getPath("out"),
                o.has("adapter") ? o.getPath("adapter") : null,
                PrecomputeOptions.Dtype.valueOf(o.getEnum("dtype").toUpperCase(java.util.Locale.ROOT)),
                o.getInt("batch-tokens"), o.getInt("max-batch"), o.getBool("overwrite"), null);
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo precompute-ref");
        PrecomputeResult r;
        try {
            r = PrecomputeRefJob.run(spark, opts);
        } catch (PrecomputeRefusedException e) {
            throw new CommandException(ExitCodes.REFUSED, "refused: " + e.getMessage(), e);
        }
        out.println(describe(r));
        return ExitCodes.OK;
    }

    /** The one line printed on stdout. */
    static String describe(PrecomputeResult r) {
        if (r.status() == PrecomputeResult.Status.UP_TO_DATE) {
            return "up to date: skipping: " + r.out() + " already holds reference log-probs for these inputs (fingerprint "
                    + r.fingerprint() + ", " + r.shards() + " shards, " + r.rows() + " rows)";
        }
        return String.format("done: %s: %d shards (%d computed, %d reused), %d rows, %d tokens, padding %.1f%%, %.0f tokens/s, "
                        + "fingerprint %s", r.out(), r.shards(), r.computed().size(), r.reused(), r.rows(), r.tokens(),
                100 * r.paddingFraction(), r.tokensPerSecond(), r.fingerprint());
    }
}
