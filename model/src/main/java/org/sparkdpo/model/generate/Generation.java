package org.sparkdpo.model.generate;

/**
 * The result for one prompt.
 *
 * @param index        the prompt's position in the request
 * @param promptIds    the prompt as given
 * @param tokenIds     the generated ids, including the stop token when {@code finishReason} is {@link FinishReason#EOS}
 * @param text         the decoded generated ids without a final stop token (special tokens otherwise kept), or null
 *                     when the generator has no tokenizer
 * @param finishReason why generation stopped
 */
public record Generation(int index, int[] promptIds, int[] tokenIds, String text, FinishReason finishReason) {}
