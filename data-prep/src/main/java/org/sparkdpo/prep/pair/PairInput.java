package org.sparkdpo.prep.pair;

import java.util.List;
import org.sparkdpo.model.tokenizer.ChatMessage;

/** A preference pair as read from a row, before tokenization: text, messages, or ids. */
public sealed interface PairInput {
    /** Plain text (standard, implicit after the split, instruction after the template). */
    record Text(String prompt, String chosen, String rejected) implements PairInput {}

    /** Conversations; the prompt ends with the turn the completions answer. */
    record Chat(List<ChatMessage> prompt, List<ChatMessage> chosen, List<ChatMessage> rejected) implements PairInput {}

    /** Pre-tokenized ids, used as they are. */
    record Ids(int[] prompt, int[] chosen, int[] rejected) implements PairInput {}
}
