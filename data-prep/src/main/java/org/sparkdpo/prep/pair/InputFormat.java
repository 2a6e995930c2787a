package org.sparkdpo.prep.pair;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.data.PairColumns;

/**
 * The dataset layouts the job understands, named as in TRL's docs: five preference layouts and two SFT layouts
 * ({@link #sft()}), which give SFT shards ({@link PairColumns#SFT_OUTPUT}) instead of pairs. The lower-case name is used by
 * {@code --format} and written to {@code manifest.json}.
 */
public enum InputFormat {
    /** {@code prompt}, {@code chosen}, {@code rejected} strings. */
    STANDARD,
    /** {@code chosen} and {@code rejected} strings only: the prompt is their shared prefix. */
    IMPLICIT,
    /** {@code chosen}, {@code rejected} (and optionally {@code prompt}) as lists of {@code {role, content}} messages. */
    CONVERSATIONAL,
    /** {@code prompt_ids}, {@code chosen_ids}, {@code rejected_ids} integer arrays, used as they are. */
    PRETOKENIZED,
    /** Instruction datasets: a prompt template over fields such as {@code instruction} and {@code input}. */
    INSTRUCTION,
    /** SFT: {@code prompt} and {@code completion} strings (TRL's prompt-completion type). */
    PROMPT_COMPLETION,
    /**
     * SFT: {@code messages}, a list of {@code {role, content}} (TRL's conversational language-modeling type); the
     * last message is the assistant's answer to train on, the messages before it are the prompt.
     */
    MESSAGES;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static InputFormat of(String code) {
        return valueOf(code.trim().toUpperCase(Locale.ROOT));
    }

    /** True when completions come from a chat template, which writes its own end-of-turn tokens (no EOS appended). */
    public boolean conversational() {
        return this == CONVERSATIONAL || this == MESSAGES;
    }

    /** True for SFT data: one completion per prompt. */
    public boolean sft() {
        return this == PROMPT_COMPLETION || this == MESSAGES;
    }

    /** The columns {@code prepare} writes for this format, in order. */
    public List<String> outputColumns() {
        return sft() ? PairColumns.SFT_OUTPUT : PairColumns.OUTPUT;
    }

    /** Types of {@link #outputColumns()}. */
    public StructType outputSchema() {
        return sft() ? PairColumns.sftOutputSchema() : PairColumns.outputSchema();
    }
}
