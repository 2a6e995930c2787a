package org.sparkdpo.jobs.precompute;

import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What {@link PrecomputeRefJob#run} needs, independent of the command line so tests and other jobs can call it.
 *
 * @param data          folder written by data-prep (shards + manifest.json); any Hadoop path
 * @param model         model folder (config.json, safetensors, tokenizer.json); any Hadoop path
 * @param out           output folder; any Hadoop path with atomic rename (local, HDFS)
 * @param adapter       PEFT LoRA adapter folder applied on top of the model, or null for the base model
 * @param dtype         compute dtype
 * @param batchTokens   token budget of one forward pass: sequences x padded length
 * @param maxBatch      at most this many sequences (two per pair) in one forward pass
 * @param overwrite     replace an existing output with a different fingerprint
 * @param failFirstAttemptOf test hook: the shard file whose first task attempt fails after writing part of its output
 *                      (null in normal runs); there is no command-line option for it
 */
public record PrecomputeOptions(String data, String model, String out, String adapter, Dtype dtype, int batchTokens,
                                int maxBatch, boolean overwrite, String failFirstAttemptOf) {
    public static final int DEFAULT_BATCH_TOKENS = 8192;
    public static final int DEFAULT_MAX_BATCH = 64;

    /** Compute dtypes, named as on the command line. */
    public enum Dtype {
        FLOAT32(DataType.FLOAT), FLOAT64(DataType.DOUBLE);

        private final DataType nd4j;

        Dtype(DataType nd4j) {
            this.nd4j = nd4j;
        }

        public DataType nd4j() {
            return nd4j;
        }

        /** "float32" / "float64". */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public PrecomputeOptions {
        if (data == null || model == null || out == null) throw new IllegalArgumentException("data, model and out are required");
        if (dtype == null) dtype = Dtype.FLOAT32;
        if (batchTokens < 1) throw new IllegalArgumentException("batch-tokens must be > 0, got " + batchTokens);
        if (maxBatch < 2) throw new IllegalArgumentException("max-batch must be >= 2 (a pair is two sequences), got " + maxBatch);
    }

    /** Defaults for everything but the three paths. */
    public static PrecomputeOptions of(String data, String model, String out) {
        return new PrecomputeOptions(data, model, out, null, Dtype.FLOAT32, DEFAULT_BATCH_TOKENS, DEFAULT_MAX_BATCH, false, null);
    }

    public PrecomputeOptions withAdapter(String dir) {
        return new PrecomputeOptions(data, model, out, dir, dtype, batchTokens, maxBatch, overwrite, failFirstAttemptOf);
    }

    public PrecomputeOptions withDtype(Dtype d) {
        return new PrecomputeOptions(data, model, out, adapter, d, batchTokens, maxBatch, overwrite, failFirstAttemptOf);
    }

    public PrecomputeOptions withBatch(int tokens, int sequences) {
        return new PrecomputeOptions(data, model, out, adapter, dtype, tokens, sequences, overwrite, failFirstAttemptOf);
    }

    public PrecomputeOptions withOverwrite(boolean on) {
        return new PrecomputeOptions(data, model, out, adapter, dtype, batchTokens, maxBatch, on, failFirstAttemptOf);
    }

    public PrecomputeOptions withOut(String dir) {
        return new PrecomputeOptions(data, model, dir, adapter, dtype, batchTokens, maxBatch, overwrite, failFirstAttemptOf);
    }

    public PrecomputeOptions withFailFirstAttemptOf(String shardFile) {
        return new PrecomputeOptions(data, model, out, adapter, dtype, batchTokens, maxBatch, overwrite, shardFile);
    }
}
