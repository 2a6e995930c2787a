package org.sparkdpo.prep;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PromptTemplate;
import org.sparkdpo.prep.pair.TruncationMode;

/**
 * Settings of one {@code prepare} run. The {@code prepare} command builds them from its options, which hold the
 * defaults; tests and other jobs build them directly.
 *
 * @param inputs          files, folders or globs (Parquet, JSON Lines, JSON array files)
 * @param tokenizer       a folder holding tokenizer.json; null only for pre-tokenized input
 * @param out             the output folder, created by the run
 * @param format          null to detect it from the columns
 * @param maxLength       limit on prompt+completion tokens, 0 for none
 * @param maxPromptLength limit on prompt tokens (keeps the last ones), 0 for none
 * @param shards          number of shards, or 0 to derive it from {@code targetShardRows}
 * @param targetShardRows rows per shard when {@code shards} is 0
 * @param promptTemplate  instruction prompt template text or preset name
 * @param implicitMarker  turn marker for implicit prompts ("" for TRL's plain rule)
 */
public record PrepareSettings(List<String> inputs, String tokenizer, String out, InputFormat format, int maxLength,
                             int maxPromptLength, TruncationMode truncationMode, int shards, int targetShardRows,
                             String promptTemplate, ColumnMap columnMap, String implicitMarker, boolean overwrite) {

    public PrepareSettings {
        inputs = List.copyOf(inputs);
        if (maxLength < 0 || maxPromptLength < 0 || shards < 0 || targetShardRows <= 0) {
            throw new IllegalArgumentException("lengths and shard counts must be positive");
        }
    }

    /** The parsed prompt template (presets resolved). */
    public PromptTemplate template() {
        return PromptTemplate.of(promptTemplate);
    }

    /** The settings recorded in the manifest (effective values, option names in snake_case). */
    public Map<String, Object> settings(InputFormat effectiveFormat, int effectiveShards) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format == null ? "auto" : format.code());
        m.put("effective_format", effectiveFormat.code());
        m.put("max_length", maxLength);
        m.put("max_prompt_length", maxPromptLength == 0 ? null : maxPromptLength);
        m.put("truncation_mode", truncationMode.option());
        m.put("shards", effectiveShards);
        m.put("target_shard_rows", shards > 0 ? null : targetShardRows);
        m.put("prompt_template", effectiveFormat == InputFormat.INSTRUCTION ? template().source() : null);
        m.put("column_map", new LinkedHashMap<>(columnMap.mapping()));
        m.put("implicit_prompt_marker", implicitMarker);
        m.put("length_buckets", "powers of two and 1.5x midpoints from 8, capped at max_length");
        m.put("shard_order", "rows ranked by (length_bucket, seq_len, id); shard = rank mod shards; sorted by rank within a shard");
        return m;
    }
}
