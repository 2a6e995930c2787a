package org.sparkdpo.prep;

import java.util.List;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.ImplicitPrompt;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.TruncationMode;

/**
 * Test settings for {@code prepare}: the command's defaults (max length 1024, 100,000 rows per shard, alpaca,
 * keep_start, HH marker) with one call per change, so a test states only what it is about.
 */
public final class PrepareSettingsBuilder {
    public static final int DEFAULT_TARGET_SHARD_ROWS = 100_000;

    private final List<String> inputs;
    private final String tokenizer;
    private final String out;
    private InputFormat format;
    private int maxLength = 1024;
    private int maxPromptLength;
    private TruncationMode truncationMode = TruncationMode.KEEP_START;
    private int shards;
    private int targetShardRows = DEFAULT_TARGET_SHARD_ROWS;
    private String promptTemplate = "alpaca";
    private ColumnMap columnMap = ColumnMap.identity();
    private String implicitMarker = ImplicitPrompt.HH_ASSISTANT;
    private boolean overwrite;

    private PrepareSettingsBuilder(List<String> inputs, String tokenizer, String out) {
        this.inputs = inputs;
        this.tokenizer = tokenizer;
        this.out = out;
    }

    public static PrepareSettingsBuilder of(List<String> inputs, String tokenizer, String out) {
        return new PrepareSettingsBuilder(inputs, tokenizer, out);
    }

    public PrepareSettingsBuilder withFormat(InputFormat f) {
        format = f;
        return this;
    }

    public PrepareSettingsBuilder withLengths(int maxLength, int maxPromptLength, TruncationMode mode) {
        this.maxLength = maxLength;
        this.maxPromptLength = maxPromptLength;
        this.truncationMode = mode;
        return this;
    }

    public PrepareSettingsBuilder withShards(int shards, int targetShardRows) {
        this.shards = shards;
        this.targetShardRows = targetShardRows;
        return this;
    }

    public PrepareSettingsBuilder withPromptTemplate(String template) {
        promptTemplate = template;
        return this;
    }

    public PrepareSettingsBuilder withColumnMap(ColumnMap map) {
        columnMap = map;
        return this;
    }

    public PrepareSettingsBuilder withImplicitMarker(String marker) {
        implicitMarker = marker;
        return this;
    }

    public PrepareSettingsBuilder withOverwrite(boolean on) {
        overwrite = on;
        return this;
    }

    public PrepareSettings build() {
        return new PrepareSettings(inputs, tokenizer, out, format, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, promptTemplate, columnMap, implicitMarker, overwrite);
    }
}
