package org.sparkdpo.model.logprob;

/**
 * Per-sequence completion log-probs in TRL's convention: {@code sums[i]} is the summed log-prob of sequence i's
 * completion tokens, {@code counts[i]} their number, {@code logitSums[i]} the sum of all vocabulary logits over
 * those positions (for TRL's {@code logits/chosen} metric), {@code tokenLogps[i]} the per-token values.
 */
public record CompletionScores(double[] sums, int[] counts, double[] logitSums, double[][] tokenLogps) {
    public double mean(int i) {
        return sums[i] / counts[i];
    }

    public int size() {
        return sums.length;
    }
}
