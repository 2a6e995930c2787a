package org.sparkdpo.prep.pair;

import java.util.List;
import org.sparkdpo.model.tokenizer.ChatMessage;

/**
 * Splits implicit-prompt pairs into prompt and completions, as TRL's {@code extract_prompt} does: the prompt is the
 * longest common prefix of chosen and rejected. For text, when the prefix contains the turn marker (by default
 * {@code "\n\nAssistant:"}, as in Anthropic HH-RLHF transcripts) the cut is right after its last occurrence, so both
 * completions start at the final assistant turn even when they begin with the same words; otherwise TRL's rule
 * applies (the cut moves back over one space).
 */
public final class ImplicitPrompt {
    /** HH-RLHF's assistant turn marker. */
    public static final String HH_ASSISTANT = "\n\nAssistant:";

    private ImplicitPrompt() {}

    /** A split text pair. */
    public record TextSplit(String prompt, String chosen, String rejected) {}

    /** A split conversation pair. */
    public record MessageSplit(List<ChatMessage> prompt, List<ChatMessage> chosen, List<ChatMessage> rejected) {}

    /**
     * @param marker the turn marker to cut after, or "" for TRL's plain rule
     * @throws Rejected empty_field when the two share no prefix to serve as a prompt
     */
    public static TextSplit split(String chosen, String rejected, String marker) throws Rejected {
        int n = Math.min(chosen.length(), rejected.length());
        int lcp = 0;
        while (lcp < n && chosen.charAt(lcp) == rejected.charAt(lcp)) lcp++;
        int cut;
        int m = marker.isEmpty() ? -1 : chosen.lastIndexOf(marker, lcp - marker.length());
        if (m >= 0 && m + marker.length() <= lcp) {
            cut = m + marker.length();
        } else if (lcp < n) {
            cut = lcp > 0 && chosen.charAt(lcp - 1) == ' ' ? lcp - 1 : lcp;
        } else {
            cut = n - 1; // one is a prefix of the other: TRL keeps the shorter one's last character as its completion
        }
        if (cut > 0 && Character.isHighSurrogate(chosen.charAt(cut - 1))) cut--; // never split a surrogate pair
        if (cut <= 0) {
            throw new Rejected(RejectReason.EMPTY_FIELD, "prompt: chosen and rejected share no prefix to use as the prompt");
        }
        return new TextSplit(chosen.substring(0, cut), chosen.substring(cut), rejected.substring(cut));
    }

    /**
     * The common leading messages are the prompt; each side's remaining messages its completion.
     *
     * @throws Rejected empty_field without common messages, empty_completion when one side has nothing left
     */
    public static MessageSplit split(List<ChatMessage> chosen, List<ChatMessage> rejected) throws Rejected {
        int n = Math.min(chosen.size(), rejected.size());
        int k = 0;
        while (k < n && chosen.get(k).equals(rejected.get(k))) k++;
        if (k == 0) throw new Rejected(RejectReason.EMPTY_FIELD, "prompt: chosen and rejected share no leading messages");
        if (k == chosen.size() || k == rejected.size()) {
            throw new Rejected(RejectReason.EMPTY_COMPLETION, (k == chosen.size() ? "chosen" : "rejected")
                    + " has no messages after the shared prompt");
        }
        return new MessageSplit(List.copyOf(chosen.subList(0, k)), List.copyOf(chosen.subList(k, chosen.size())),
                List.copyOf(rejected.subList(k, rejected.size())));
    }
}
