package org.sparkdpo.model.generate;

/**
 * Next-token logits for a batch of sequences that grow by one token per step. {@link #prefill} starts a batch from
 * its prompts; {@link #step} appends one token to every sequence (finished sequences still get a token, whose logits
 * the caller ignores). Two implementations compute the same function: {@link KvCacheDecoder} (keys and values of
 * earlier positions kept per layer, one position computed per step) and {@link FullForwardDecoder} (the whole
 * sequence recomputed each step through the training/scoring forward pass), which serves as its reference.
 *
 * <p>Not thread-safe; one batch at a time per decoder.
 */
public interface Decoder {
    /**
     * Starts a batch: the logits [S][V] of the token after each prompt (float64 copies of the model-dtype values).
     *
     * @param prompts       non-empty token-id sequences
     * @param maxNewTokens  how many tokens will be generated at most, so at most {@code maxNewTokens - 1} calls
     *                      of {@link #step} follow (the last generated token is never fed back)
     */
    double[][] prefill(int[][] prompts, int maxNewTokens);

    /** Appends {@code tokens[i]} to sequence i and returns the logits [S][V] of the token after it. */
    double[][] step(int[] tokens);
}
