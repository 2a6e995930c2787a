package org.sparkdpo.prep.pair;

/** TRL's {@code truncation_mode}: which end of prompt+completion survives when it exceeds {@code max_length}. */
public enum TruncationMode {
    /** Keep the first tokens: the completion loses its end (TRL's current default). */
    KEEP_START("keep_start"),
    /** Keep the last tokens: the prompt loses its beginning. */
    KEEP_END("keep_end");

    private final String option;

    TruncationMode(String option) {
        this.option = option;
    }

    /** The spelling used by the option and the manifest ("keep_start"). */
    public String option() {
        return option;
    }

    public static TruncationMode of(String option) {
        for (TruncationMode m : values()) if (m.option.equalsIgnoreCase(option)) return m;
        throw new IllegalArgumentException("unknown truncation mode '" + option + "' (keep_start or keep_end)");
    }
}
