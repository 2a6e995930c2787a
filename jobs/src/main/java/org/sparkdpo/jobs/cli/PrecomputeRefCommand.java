package org.sparkdpo.jobs.cli;

import java.io.PrintStream;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.precompute.PrecomputeRefJob;
import org.sparkdpo.jobs.precompute.PrecomputeResult;
import org.sparkdpo.jobs.precompute.PrecomputeSettings;

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
                        .withDefault(8192).withValidator(Validator.positive()),
                OptionSpec.ofInt("max-batch", "At most this many sequences (two per pair) in one forward pass.")
                        .withDefault(64)
                        .withValidator(Validator.of("be >= 2", v -> ((Integer) v) >= 2)),
                OptionSpec.ofBool("overwrite", "Replace an existing output computed from different inputs."));
    }

    @Override
    public String example() {
        return "--data data/prepared/train --model models/gpt2 --out data/ref/train";
    }

    @Override
    public int run(ParsedOptions o) throws Exception {
        PrecomputeSettings settings = settings(o);
        PrecomputeResult r = PrecomputeRefJob.run(SparkSessions.getOrCreate("spark-dpo precompute-ref"), settings);
        out.println(describe(r));
        return ExitCodes.OK;
    }

    static PrecomputeSettings settings(ParsedOptions o) {
        return new PrecomputeSettings(o.getPath("data"), o.getPath("model"), o.getPath("out"),
                o.has("adapter") ? o.getPath("adapter") : null, o.getEnum("dtype", PrecomputeSettings.Dtype.class),
                o.getInt("batch-tokens"), o.getInt("max-batch"), o.getBool("overwrite"));
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
