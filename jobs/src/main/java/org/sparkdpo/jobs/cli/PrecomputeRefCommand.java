package org.sparkdpo.jobs.cli;

import java.io.PrintStream;
import java.util.Locale;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.precompute.PrecomputeRefJob;
import org.sparkdpo.jobs.precompute.PrecomputeResult;
import org.sparkdpo.jobs.precompute.PrecomputeSettings;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code precompute-ref}: the command-line face of {@link PrecomputeRefJob}. Exit codes for schedulers: 0 done or
 * already up to date, 1 failure (rerun resumes), 3 refused (different fingerprint without --overwrite, no input
 * manifest, tokenizer mismatch: a human must look).
 */
@CommandLine.Command(name = "precompute-ref",
        description = "Add reference-model log-probs to prepared shards (versioned, resumable, skips when up to date).")
public final class PrecomputeRefCommand implements Command {
    private final PrintStream stdout;

    @Option(names = "--data", paramLabel = "PATH", description = "Folder written by 'prepare' (shards + _manifest.json).")
    @Check.Required String data;

    @Option(names = "--model", paramLabel = "PATH",
            description = "Model folder (config.json, *.safetensors, tokenizer.json): the reference.")
    @Check.Required String model;

    @Option(names = "--out", paramLabel = "PATH",
            description = "Output folder: the shards plus ref_* columns, markers and _manifest.json.")
    @Check.Required String out;

    @Option(names = "--adapter", paramLabel = "PATH",
            description = "PEFT LoRA adapter applied to the model for the reference (e.g. an SFT adapter).")
    String adapter;

    @Option(names = "--dtype", defaultValue = "float32", description = "Compute dtype.")
    @Check.OneOf({"float32", "float64"}) String dtype;

    @Option(names = "--batch-tokens", defaultValue = "8192",
            description = "Token budget of one forward pass: sequences x padded length.")
    @Check.Positive int batchTokens;

    @Option(names = "--max-batch", defaultValue = "64",
            description = "At most this many sequences (two per pair) in one forward pass.")
    @Check.Min(2) int maxBatch;

    @Option(names = "--overwrite", negatable = true, arity = "0..1", fallbackValue = "true",
            description = "Replace an existing output computed from different inputs.")
    boolean overwrite;

    public PrecomputeRefCommand() {
        this(System.out);
    }

    public PrecomputeRefCommand(PrintStream stdout) {
        this.stdout = stdout;
    }

    @Override
    public String example() {
        return "--data data/prepared/train --model models/gpt2 --out data/ref/train";
    }

    @Override
    public Integer call() throws Exception {
        PrecomputeResult r = PrecomputeRefJob.run(SparkSessions.getOrCreate("spark-dpo precompute-ref"), settings());
        stdout.println(describe(r));
        return ExitCodes.OK;
    }

    PrecomputeSettings settings() {
        return new PrecomputeSettings(data, model, out, adapter,
                PrecomputeSettings.Dtype.valueOf(dtype.toUpperCase(Locale.ROOT)), batchTokens, maxBatch, overwrite);
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
