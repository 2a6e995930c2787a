package org.sparkdpo.prep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdpo.common.options.OptionSpec;
import org.sparkdpo.common.options.OptionsException;
import org.sparkdpo.common.options.ParsedOptions;
import org.sparkdpo.common.options.Validator;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.ImplicitPrompt;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PromptTemplate;
import org.sparkdpo.prep.pair.TruncationMode;

/**
 * Settings of one {@code prepare} run; {@link #specs()} declares them as command-line options (the CLI command is a
 * thin wrapper) and tests build them with {@link #of} and the {@code with...} methods.
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
public record PrepareOptions(List<String> inputs, String tokenizer, String out, InputFormat format, int maxLength,
                             int maxPromptLength, TruncationMode truncationMode, int shards, int targetShardRows,
                             String promptTemplate, ColumnMap columnMap, String implicitMarker, boolean overwrite) {

    public static final int DEFAULT_MAX_LENGTH = 1024;
    public static final int DEFAULT_TARGET_SHARD_ROWS = 100_000;

    public PrepareOptions {
        inputs = List.copyOf(inputs);
        if (maxLength < 0 || maxPromptLength < 0 || shards < 0 || targetShardRows <= 0) {
            throw new IllegalArgumentException("lengths and shard counts must be positive");
        }
    }

    /** Defaults for everything but the paths. */
    public static PrepareOptions of(List<String> inputs, String tokenizer, String out) {
        return new PrepareOptions(inputs, tokenizer, out, null, DEFAULT_MAX_LENGTH, 0, TruncationMode.KEEP_START, 0,
                DEFAULT_TARGET_SHARD_ROWS, "alpaca", ColumnMap.identity(), ImplicitPrompt.HH_ASSISTANT, false);
    }

    public PrepareOptions withFormat(InputFormat f) {
        return new PrepareOptions(inputs, tokenizer, out, f, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, promptTemplate, columnMap, implicitMarker, overwrite);
    }

    public PrepareOptions withLengths(int maxLength, int maxPromptLength, TruncationMode mode) {
        return new PrepareOptions(inputs, tokenizer, out, format, maxLength, maxPromptLength, mode, shards,
                targetShardRows, promptTemplate, columnMap, implicitMarker, overwrite);
    }

    /** {@code shards} > 0 fixes the count; otherwise {@code targetShardRows} rows per shard. */
    public PrepareOptions withShards(int shards, int targetShardRows) {
        return new PrepareOptions(inputs, tokenizer, out, format, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, promptTemplate, columnMap, implicitMarker, overwrite);
    }

    public PrepareOptions withPromptTemplate(String template) {
        return new PrepareOptions(inputs, tokenizer, out, format, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, template, columnMap, implicitMarker, overwrite);
    }

    public PrepareOptions withColumnMap(ColumnMap map) {
        return new PrepareOptions(inputs, tokenizer, out, format, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, promptTemplate, map, implicitMarker, overwrite);
    }

    public PrepareOptions withImplicitMarker(String marker) {
        return new PrepareOptions(inputs, tokenizer, out, format, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, promptTemplate, columnMap, marker, overwrite);
    }

    public PrepareOptions withOverwrite(boolean overwrite) {
        return new PrepareOptions(inputs, tokenizer, out, format, maxLength, maxPromptLength, truncationMode, shards,
                targetShardRows, promptTemplate, columnMap, implicitMarker, overwrite);
    }

    /** The parsed prompt template (presets resolved). */
    public PromptTemplate template() {
        return PromptTemplate.of(promptTemplate);
    }

    /** The command-line options, with defaults and checks; help text is what users read. */
    public static List<OptionSpec> specs() {
        List<String> formats = new ArrayList<>(List.of("auto"));
        for (InputFormat f : InputFormat.values()) formats.add(f.code());
        return List.of(
                OptionSpec.ofList("input", "Input files, folders or globs on any Hadoop path: Parquet, JSON Lines (.jsonl)"
                        + " or JSON array files (.json); comma-separated.").asRequired().withValidator(Validator.nonEmpty()),
                OptionSpec.ofPath("tokenizer", "Model folder holding tokenizer.json (and tokenizer_config.json); optional"
                        + " only for pretokenized input."),
                OptionSpec.ofPath("out", "Output folder (must not exist unless --overwrite); written atomically.").asRequired(),
                OptionSpec.ofEnum("format", "Input format; auto detects it from the columns.", formats.toArray(String[]::new))
                        .withDefault("auto"),
                OptionSpec.ofInt("max-length", "Max tokens of prompt+completion (TRL max_length); 0 for no limit.")
                        .withDefault(DEFAULT_MAX_LENGTH).withValidator(Validator.nonNegative()),
                OptionSpec.ofInt("max-prompt-length", "Max prompt tokens; longer prompts keep their last tokens (older TRL"
                        + " max_prompt_length). Not set: no prompt limit.").withValidator(Validator.positive()),
                OptionSpec.ofEnum("truncation-mode", "keep_start cuts the end of the completion, keep_end the start of the"
                        + " prompt (TRL truncation_mode).", "keep_start", "keep_end").withDefault("keep_start"),
                OptionSpec.ofInt("shards", "Number of output shards (exclusive with --target-shard-rows).")
                        .withValidator(Validator.positive()),
                OptionSpec.ofInt("target-shard-rows", "Rows per shard when --shards is not given (default "
                        + DEFAULT_TARGET_SHARD_ROWS + ").").withValidator(Validator.positive()),
                OptionSpec.ofString("prompt-template", "Instruction prompt: 'alpaca' or a template with {field} placeholders"
                        + " and [[optional sections]]; \\n and \\t are read as newline and tab.").withDefault("alpaca"),
                OptionSpec.ofList("column-map", "Input column per role, e.g. prompt=question,chosen=good; roles: "
                        + String.join(", ", ColumnMap.ROLES) + "."),
                OptionSpec.ofString("implicit-prompt-marker", "For implicit prompts, cut after the last occurrence of this"
                        + " marker in the shared prefix; empty for TRL's plain longest-common-prefix rule.")
                        .withDefault("\\n\\nAssistant:"),
                OptionSpec.ofBool("overwrite", "Replace an existing output folder."));
    }

    /** Options from a parsed command line; cross-option problems raise {@link OptionsException}. */
    public static PrepareOptions from(ParsedOptions o) {
        List<String> errors = new ArrayList<>();
        if (o.has("shards") && o.has("target-shard-rows")) errors.add("--shards and --target-shard-rows exclude each other");
        String format = o.getEnum("format");
        if (!o.has("tokenizer") && !format.equals(InputFormat.PRETOKENIZED.code())) {
            errors.add("missing required option --tokenizer (only --format pretokenized can do without)");
        }
        ColumnMap map = ColumnMap.identity();
        try {
            if (o.has("column-map")) map = ColumnMap.parse(o.getList("column-map"));
        } catch (IllegalArgumentException e) {
            errors.add("--column-map: " + e.getMessage());
        }
        String template = unescape(o.getString("prompt-template"));
        try {
            PromptTemplate.of(template);
        } catch (IllegalArgumentException e) {
            errors.add("--prompt-template: " + e.getMessage());
        }
        int maxLength = o.getInt("max-length");
        int maxPrompt = o.has("max-prompt-length") ? o.getInt("max-prompt-length") : 0;
        if (maxLength > 0 && maxPrompt >= maxLength) {
            errors.add("--max-prompt-length (" + maxPrompt + ") must be below --max-length (" + maxLength + ")");
        }
        if (!errors.isEmpty()) throw new OptionsException(errors);
        return new PrepareOptions(o.getList("input"), o.has("tokenizer") ? o.getPath("tokenizer") : null, o.getPath("out"),
                format.equals("auto") ? null : InputFormat.of(format), maxLength, maxPrompt,
                TruncationMode.of(o.getEnum("truncation-mode")), o.has("shards") ? o.getInt("shards") : 0,
                o.has("target-shard-rows") ? o.getInt("target-shard-rows") : DEFAULT_TARGET_SHARD_ROWS, template, map,
                unescape(o.getString("implicit-prompt-marker")), o.getBool("overwrite"));
    }

    /** "\n", "\t" and "\\" escapes as typed on a command line. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(i + 1);
                if (n == 'n' || n == 't' || n == '\\') {
                    b.append(n == 'n' ? '\n' : n == 't' ? '\t' : '\\');
                    i++;
                    continue;
                }
            }
            b.append(c);
        }
        return b.toString();
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
