package org.sparkdpo.jobs.precompute;

/** Test settings for {@code precompute-ref}: the command's defaults, with one call per change. */
public final class PrecomputeSettingsBuilder {
    public static final int DEFAULT_BATCH_TOKENS = 8192;
    public static final int DEFAULT_MAX_BATCH = 64;

    private final String data;
    private final String model;
    private String out;
    private String adapter;
    private PrecomputeSettings.Dtype dtype = PrecomputeSettings.Dtype.FLOAT32;
    private int batchTokens = DEFAULT_BATCH_TOKENS;
    private int maxBatch = DEFAULT_MAX_BATCH;
    private boolean overwrite;

    private PrecomputeSettingsBuilder(String data, String model, String out) {
        this.data = data;
        this.model = model;
        this.out = out;
    }

    public static PrecomputeSettingsBuilder of(String data, String model, String out) {
        return new PrecomputeSettingsBuilder(data, model, out);
    }

    public PrecomputeSettingsBuilder withAdapter(String dir) {
        adapter = dir;
        return this;
    }

    public PrecomputeSettingsBuilder withDtype(PrecomputeSettings.Dtype d) {
        dtype = d;
        return this;
    }

    public PrecomputeSettingsBuilder withBatch(int tokens, int sequences) {
        batchTokens = tokens;
        maxBatch = sequences;
        return this;
    }

    public PrecomputeSettingsBuilder withOverwrite(boolean on) {
        overwrite = on;
        return this;
    }

    public PrecomputeSettingsBuilder withOut(String dir) {
        out = dir;
        return this;
    }

    public PrecomputeSettings build() {
        return new PrecomputeSettings(data, model, out, adapter, dtype, batchTokens, maxBatch, overwrite);
    }
}
