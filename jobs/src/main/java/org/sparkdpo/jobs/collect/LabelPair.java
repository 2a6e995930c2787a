package org.sparkdpo.jobs.collect;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Two answers to one prompt, waiting for a person's preference. {@code answerA}/{@code answerB} are content slots:
 * which one is shown first is decided per annotator by {@link ShownOrder}, so "A" never means "shown left".
 *
 * @param pairId  stable across reruns (the prompt's id with a model, or the pairs file's id / a content hash)
 * @param prompt  a {@code String}, or a {@code List<Map<String,String>>} of {role, content} messages for a conversation
 * @param model   the model folder that wrote the answers, or null (pairs given by file)
 * @param adapter the adapter folder, or null
 */
public record LabelPair(String pairId, Object prompt, String answerA, String answerB, String model, String adapter) {
    public LabelPair {
        Objects.requireNonNull(pairId, "pairId");
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(answerA, "answerA");
        Objects.requireNonNull(answerB, "answerB");
        if (!(prompt instanceof String) && !(prompt instanceof List<?>)) {
            throw new IllegalArgumentException("prompt must be text or a list of {role, content} messages");
        }
    }

    /** Whether the prompt is a conversation (a list of messages); the dataset then uses the conversational form. */
    public boolean conversational() {
        return prompt instanceof List<?>;
    }

    /** The conversation's messages (empty for a text prompt). */
    @SuppressWarnings("unchecked")
    public List<Map<String, String>> messages() {
        return conversational() ? (List<Map<String, String>>) prompt : List.of();
    }

    /** The text a person reads as the prompt: the text itself, or the conversation as "role: content" lines. */
    public String promptText() {
        if (!conversational()) return (String) prompt;
        StringBuilder b = new StringBuilder();
        for (Map<String, String> m : messages()) {
            if (b.length() > 0) b.append('\n');
            b.append(m.get("role")).append(": ").append(m.get("content"));
        }
        return b.toString();
    }

    /** The answer in content slot A or B. */
    public String answer(Choice slot) {
        return switch (slot) {
            case CHOSEN_A -> answerA;
            case CHOSEN_B -> answerB;
            default -> throw new IllegalArgumentException("not an answer slot: " + slot);
        };
    }
}
