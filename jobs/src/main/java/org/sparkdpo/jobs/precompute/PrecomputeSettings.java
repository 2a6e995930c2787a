package org.sparkdpo.jobs.precompute;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.HadoopPaths;

/**
 * What {@link PrecomputeRefJob#run} needs, independent of the command line (whose options hold the defaults) so tests
 * and other jobs can call it.
 *
 * @param data          folder written by data-prep (shards + _manifest.json); any Hadoop path
 * @param model         model folder (config.json, safetensors, tokenizer.json); any Hadoop path
 * @param out           output folder; any Hadoop path with atomic rename (local, HDFS)
 * @param adapter       PEFT LoRA adapter folder applied on top of the model, or null for the base model
 * @param dtype         compute dtype
 * @param batchTokens   token budget of one forward pass: sequences x padded length
 * @param maxBatch      at most this many sequences (two per pair) in one forward pass
 * @param overwrite     replace an existing output with a different fingerprint
 */
public record PrecomputeSettings(String data, String model, String out, String adapter, Dtype dtype, int batchTokens,
                                int maxBatch, boolean overwrite) {
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

    public PrecomputeSettings {
        if (data == null || model == null || out == null) throw new IllegalArgumentException("data, model and out are required");
        if (dtype == null) dtype = Dtype.FLOAT32;
        if (batchTokens < 1) throw new IllegalArgumentException("batch-tokens must be > 0, got " + batchTokens);
        if (maxBatch < 2) throw new IllegalArgumentException("max-batch must be >= 2 (a pair is two sequences), got " + maxBatch);
    }

    /** These settings with every path qualified on the driver ({@link HadoopPaths#qualify}), as tasks need them. */
    public PrecomputeSettings qualified(Configuration conf) throws IOException {
        return new PrecomputeSettings(HadoopPaths.qualify(data, conf), HadoopPaths.qualify(model, conf),
                HadoopPaths.qualify(out, conf), HadoopPaths.qualify(adapter, conf), dtype, batchTokens, maxBatch, overwrite);
    }
}
