package org.sparkdpo.prep.pair;

import java.util.List;
import org.sparkdpo.model.tokenizer.ChatMessage;

/** An SFT example as read from a row, before tokenization: text, or a conversation and the answer that ends it. */
public sealed interface SftInput {
    /** {@code prompt}/{@code completion} text. */
    record Text(String prompt, String completion) implements SftInput {}

    /** {@code messages}: every message before the last is the prompt; the last (the assistant's) is the completion. */
    record Chat(List<ChatMessage> prompt, ChatMessage completion) implements SftInput {}
}
