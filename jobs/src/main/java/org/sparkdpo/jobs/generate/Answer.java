package org.sparkdpo.jobs.generate;

import org.sparkdpo.model.generate.FinishReason;

/**
 * One generated answer.
 *
 * @param promptIds     the prompt as the model saw it
 * @param completionIds the generated ids, with the stop token when {@code finishReason} is EOS (what a reward scores)
 * @param completion    the decoded text without the stop token
 */
public record Answer(PromptFile.Prompt prompt, int[] promptIds, int[] completionIds, String completion,
                     FinishReason finishReason) {
    /** "eos" or "length". */
    public String finishReasonName() {
        return finishReason.label();
    }
}
