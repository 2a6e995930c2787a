package org.sparkdpo.prep.pair;

import java.util.Arrays;

/**
 * Token ids of one SFT example: the prompt and the completion trained on.
 *
 * @param truncated true when truncation shortened either
 */
public record TokenizedCompletion(int[] prompt, int[] completion, boolean truncated) {
    public TokenizedCompletion(int[] prompt, int[] completion) {
        this(prompt, completion, false);
    }

    /** prompt + completion: the width this example needs in a batch. */
    public int seqLen() {
        return prompt.length + completion.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizedCompletion c && truncated == c.truncated && Arrays.equals(prompt, c.prompt)
                && Arrays.equals(completion, c.completion);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(prompt) + Arrays.hashCode(completion);
    }

    @Override
    public String toString() {
        return "TokenizedCompletion[prompt=" + Arrays.toString(prompt) + ", completion=" + Arrays.toString(completion)
                + (truncated ? ", truncated" : "") + "]";
    }
}
