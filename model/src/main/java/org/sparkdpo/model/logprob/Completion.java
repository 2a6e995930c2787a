package org.sparkdpo.model.logprob;

/**
 * A prompt and a completion as token ids; only completion tokens are scored (TRL's completion mask).
 * The first token of the sequence is never scored, as nothing predicts it.
 */
public record Completion(int[] promptIds, int[] completionIds) implements java.io.Serializable {
    public Completion {
        if (completionIds.length == 0) throw new IllegalArgumentException("a completion needs at least one token");
        if (promptIds.length == 0) throw new IllegalArgumentException("a prompt needs at least one token");
    }

    public int length() {
        return promptIds.length + completionIds.length;
    }
}
