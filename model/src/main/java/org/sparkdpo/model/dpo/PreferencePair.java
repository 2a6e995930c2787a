package org.sparkdpo.model.dpo;

import org.sparkdpo.model.logprob.Completion;

/**
 * One tokenized preference pair with its reference log-probs (summed over completion tokens), as the trainer
 * and evaluator consume it. {@code refChosen}/{@code refRejected} are NaN when not yet computed.
 */
public record PreferencePair(String id, int[] promptIds, int[] chosenIds, int[] rejectedIds,
                             double refChosen, double refRejected) implements java.io.Serializable {
    public Completion chosen() {
        return new Completion(promptIds, chosenIds);
    }

    public Completion rejected() {
        return new Completion(promptIds, rejectedIds);
    }

    /** Tokens of the longer of the two sequences. */
    public int maxLength() {
        return promptIds.length + Math.max(chosenIds.length, rejectedIds.length);
    }

    /** Real tokens of both sequences (prompt counted twice, as it is run twice). */
    public int tokens() {
        return 2 * promptIds.length + chosenIds.length + rejectedIds.length;
    }
}
