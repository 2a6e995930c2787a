package org.sparkdpo.prep.pair;

import java.util.Arrays;

/**
 * Token ids of one preference pair: the prompt and the two completions that follow it.
 *
 * @param truncated true when truncation shortened any of the three
 */
public record TokenizedPair(int[] prompt, int[] chosen, int[] rejected, boolean truncated) {
    public TokenizedPair(int[] prompt, int[] chosen, int[] rejected) {
        this(prompt, chosen, rejected, false);
    }

    /** The longer of prompt+chosen and prompt+rejected: the width this pair needs in a batch. */
    public int seqLen() {
        return prompt.length + Math.max(chosen.length, rejected.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenizedPair p && truncated == p.truncated && Arrays.equals(prompt, p.prompt)
                && Arrays.equals(chosen, p.chosen) && Arrays.equals(rejected, p.rejected);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(prompt) + Arrays.hashCode(chosen)) + Arrays.hashCode(rejected);
    }

    @Override
    public String toString() {
        return "TokenizedPair[prompt=" + Arrays.toString(prompt) + ", chosen=" + Arrays.toString(chosen)
                + ", rejected=" + Arrays.toString(rejected) + (truncated ? ", truncated" : "") + "]";
    }
}
