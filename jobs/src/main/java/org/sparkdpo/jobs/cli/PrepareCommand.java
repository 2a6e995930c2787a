package org.sparkdpo.jobs.cli;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.options.OptionSpec;
import org.sparkdpo.jobs.cli.options.OptionsException;
import org.sparkdpo.jobs.cli.options.ParsedOptions;
import org.sparkdpo.jobs.cli.options.Validator;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareProgress;
import org.sparkdpo.prep.PrepareSettings;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PromptTemplate;
import org.sparkdpo.prep.pair.TruncationMode;

/**
 * {@code prepare}: preference data to tokenized, length-sorted shards; the options (and their defaults) of
 * {@link PrepareJob}, which takes {@link PrepareSettings}. Progress and the final counts go to stderr; stdout stays
 * empty.
 */
public final class PrepareCommand implements Command {
    /** Rows per shard when neither --shards nor --target-shard-rows is given. */
    static final int TARGET_SHARD_ROWS = 100_000;

    @Override
    public String name() {
        return "prepare";
    }

    @Override
    public String summary() {
        return "Tokenize preference data (Parquet/JSON) into length-sorted Parquet shards with a manifest and rejects.";
    }

    @Override
    public List<OptionSpec> options() {
        return specs();
    }

    @Override
    public String example() {
        return "--input data/pairs.jsonl --tokenizer models/gpt2 --out data/prepared/train --max-length 512";
    }

    @Override
    public int run(ParsedOptions opts) throws Exception {
        PrepareSettings settings = settings(opts);
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo prepare");
        PrepareJob.run(spark, settings, PrepareProgress.printingTo(System.err));
        return ExitCodes.OK;
    }

    /** The command-line options, with defaults and checks; help text is what users read. */
    static List<OptionSpec> specs() {
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
                        .withDefault(1024).withValidator(Validator.nonNegative()),
                OptionSpec.ofInt("max-prompt-length", "Max prompt tokens; longer prompts keep their last tokens (older TRL"
                        + " max_prompt_length). Not set: no prompt limit.").withValidator(Validator.positive()),
                OptionSpec.ofEnum("truncation-mode", "keep_start cuts the end of the completion, keep_end the start of the"
                        + " prompt (TRL truncation_mode).", "keep_start", "keep_end").withDefault("keep_start"),
                OptionSpec.ofInt("shards", "Number of output shards (exclusive with --target-shard-rows).")
                        .withValidator(Validator.positive()),
                OptionSpec.ofInt("target-shard-rows", "Rows per shard when --shards is not given (default 100000).").withValidator(Validator.positive()),
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
    static PrepareSettings settings(ParsedOptions o) {
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
        return new PrepareSettings(o.getList("input"), o.has("tokenizer") ? o.getPath("tokenizer") : null, o.getPath("out"),
                format.equals("auto") ? null : InputFormat.of(format), maxLength, maxPrompt,
                TruncationMode.of(o.getEnum("truncation-mode")), o.has("shards") ? o.getInt("shards") : 0,
                o.has("target-shard-rows") ? o.getInt("target-shard-rows") : TARGET_SHARD_ROWS, template, map,
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
}
