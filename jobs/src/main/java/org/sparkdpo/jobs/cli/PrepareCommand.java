package org.sparkdpo.jobs.cli;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareProgress;
import org.sparkdpo.prep.PrepareSettings;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PromptTemplate;
import org.sparkdpo.prep.pair.TruncationMode;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code prepare}: preference data to tokenized, length-sorted shards; the options (and their defaults) of
 * {@link PrepareJob}, which takes {@link PrepareSettings}. Progress and the final counts go to stderr; stdout stays
 * empty.
 */
@CommandLine.Command(name = "prepare",
        description = "Tokenize preference or SFT data (Parquet/JSON) into length-sorted Parquet shards with a _manifest.json and _rejects/.")
public final class PrepareCommand implements Command {
    /** Rows per shard when neither --shards nor --target-shard-rows is given. */
    static final int TARGET_SHARD_ROWS = 100_000;

    @Option(names = "--input", split = ",", description = "Input files, folders or globs on any Hadoop path: Parquet,"
            + " JSON Lines (.jsonl) or JSON array files (.json); comma-separated.")
    @Check.Required @Check.NotEmpty List<String> input;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Model folder holding tokenizer.json (and"
            + " tokenizer_config.json); optional only for pretokenized input.")
    String tokenizer;

    @Option(names = "--out", paramLabel = "PATH", description = "Output folder (must not exist unless --overwrite); written atomically.")
    @Check.Required String out;

    @Option(names = "--format", defaultValue = "auto", description = "Input format; auto detects it from the columns (prompt_completion and messages are SFT data for sft).")
    @Check.OneOf({"auto", "standard", "implicit", "conversational", "pretokenized", "instruction", "prompt_completion", "messages"}) String format;

    @Option(names = "--max-length", defaultValue = "1024",
            description = "Max tokens of prompt+completion (TRL max_length); 0 for no limit.")
    @Check.Min(0) int maxLength;

    @Option(names = "--max-prompt-length", description = "Max prompt tokens; longer prompts keep their last tokens (older TRL"
            + " max_prompt_length). Not set: no prompt limit.")
    @Check.Positive Integer maxPromptLength;

    @Option(names = "--truncation-mode", defaultValue = "keep_start", description = "keep_start cuts the end of the"
            + " completion, keep_end the start of the prompt (TRL truncation_mode).")
    @Check.OneOf({"keep_start", "keep_end"}) String truncationMode;

    @Option(names = "--shards", description = "Number of output shards (exclusive with --target-shard-rows).")
    @Check.Positive Integer shards;

    @Option(names = "--target-shard-rows", description = "Rows per shard when --shards is not given (default 100000).")
    @Check.Positive Integer targetShardRows;

    @Option(names = "--prompt-template", defaultValue = "alpaca", description = "Instruction prompt: 'alpaca' or a template"
            + " with {field} placeholders and [[optional sections]]; \\n and \\t are read as newline and tab.")
    String promptTemplate;

    @Option(names = "--column-map", split = ",", description = "Input column per role, e.g. prompt=question,chosen=good;"
            + " roles: prompt, chosen, rejected, id, instruction, input, completion, messages, prompt_ids, chosen_ids, rejected_ids.")
    List<String> columnMap;

    @Option(names = "--implicit-prompt-marker", defaultValue = "\\n\\nAssistant:", description = "For implicit prompts,"
            + " cut after the last occurrence of this marker in the shared prefix; empty for TRL's plain"
            + " longest-common-prefix rule.")
    String implicitPromptMarker;

    @Option(names = "--overwrite", negatable = true, arity = "0..1", fallbackValue = "true",
            description = "Replace an existing output folder.")
    boolean overwrite;

    @Override
    public String example() {
        return "--input data/pairs.jsonl --tokenizer models/gpt2 --out data/prepared/train --max-length 512";
    }

    @Override
    public Integer call() throws Exception {
        PrepareSettings settings = settings();
        SparkSession spark = SparkSessions.getOrCreate("spark-dpo prepare");
        PrepareJob.run(spark, settings, PrepareProgress.printingTo(System.err));
        return ExitCodes.OK;
    }

    /** The job's settings from the parsed options; cross-option problems raise {@link UsageException}. */
    PrepareSettings settings() {
        List<String> errors = new ArrayList<>();
        if (shards != null && targetShardRows != null) errors.add("--shards and --target-shard-rows exclude each other");
        if (tokenizer == null && !format.equals(InputFormat.PRETOKENIZED.code())) {
            errors.add("missing required option --tokenizer (only --format pretokenized can do without)");
        }
        ColumnMap map = ColumnMap.identity();
        try {
            if (columnMap != null) map = ColumnMap.parse(columnMap);
        } catch (IllegalArgumentException e) {
            errors.add("--column-map: " + e.getMessage());
        }
        String template = unescape(promptTemplate);
        try {
            PromptTemplate.of(template);
        } catch (IllegalArgumentException e) {
            errors.add("--prompt-template: " + e.getMessage());
        }
        int maxPrompt = maxPromptLength != null ? maxPromptLength : 0;
        if (maxLength > 0 && maxPrompt >= maxLength) {
            errors.add("--max-prompt-length (" + maxPrompt + ") must be below --max-length (" + maxLength + ")");
        }
        if (!errors.isEmpty()) throw new UsageException(errors);
        return new PrepareSettings(input, tokenizer, out, format.equals("auto") ? null : InputFormat.of(format), maxLength,
                maxPrompt, TruncationMode.of(truncationMode), shards != null ? shards : 0,
                targetShardRows != null ? targetShardRows : TARGET_SHARD_ROWS, template, map,
                unescape(implicitPromptMarker), overwrite);
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
