package org.sparkdpo.prep.pair;

import java.util.Locale;

/**
 * The preference dataset layouts the job understands, named as in TRL's docs. The lower-case name is used by
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
    INSTRUCTION;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static InputFormat of(String code) {
        return valueOf(code.trim().toUpperCase(Locale.ROOT));
    }

    /** True when completions come from a chat template, which writes its own end-of-turn tokens (no EOS appended). */
    public boolean conversational() {
        return this == CONVERSATIONAL;
    }
}
