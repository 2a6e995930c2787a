package org.sparkdpo.model.tokenizer;

import java.util.Objects;

/**
 * One turn of a conversation, as in TRL's conversational datasets ({@code {"role": ..., "content": ...}}).
 * Templates see it as a dict, so both {@code message['role']} and {@code message.role} work.
 *
 * @param role e.g. "system", "user", "assistant"; never null
 * @param content the text; null is allowed (HF tool-call turns) and renders as an empty string
 */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
