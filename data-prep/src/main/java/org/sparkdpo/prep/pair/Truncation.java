package org.sparkdpo.prep.pair;

import java.io.Serializable;
import java.util.Arrays;

/**
 * TRL's truncation (of preference pairs and of SFT examples), applied once here so training and precompute read ids that already fit:
 * <ol>
 *   <li>{@code max_prompt_length} (older TRL): a longer prompt keeps its <em>last</em> tokens.</li>
 *   <li>{@code max_length} on prompt+completion, per completion. {@code keep_start} keeps the first tokens, so each
 *       completion loses its end; {@code keep_end} keeps the last tokens, so the prompt (shared by both
 *       completions) loses as many leading tokens as the longer completion needs.</li>
 * </ol>
 * Unlike TRL, a prompt that starts with BOS keeps it when tokens are dropped from its start (models are trained
 * with BOS at position 0). A pair that cannot keep at least one prompt token and one token of each completion is
 * rejected as {@code too_long}; completions that become identical are rejected as {@code chosen_equals_rejected}.
 *
 * @param maxLength       limit on prompt+completion, 0 for none
 * @param maxPromptLength limit on the prompt, 0 for none
 * @param bos             the BOS id to keep at the start, or -1
 */
public record Truncation(int maxLength, int maxPromptLength, TruncationMode mode, int bos) implements Serializable {

    public Truncation {
        if (maxLength < 0 || maxPromptLength < 0) throw new IllegalArgumentException("limits must be >= 0");
        if (maxLength > 0 && maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("max-prompt-length (" + maxPromptLength + ") must be below max-length (" + maxLength + ")");
        }
    }

    /**
     * @throws Rejected empty_field (no prompt tokens), empty_completion (a completion without tokens), too_long,
     *                  chosen_equals_rejected
     */
    public TokenizedPair apply(TokenizedPair in) throws Rejected {
        Cut c = cut(in.prompt(), new int[][]{in.chosen(), in.rejected()}, new String[]{"chosen", "rejected"}, in.truncated());
        if (c.truncated() && Arrays.equals(c.completions()[0], c.completions()[1])) {
            throw new Rejected(RejectReason.CHOSEN_EQUALS_REJECTED, "chosen and rejected are identical after truncation");
        }
        return new TokenizedPair(c.prompt(), c.completions()[0], c.completions()[1], c.truncated());
    }

    /** The same rules for an SFT example's one completion. @throws Rejected empty_field, empty_completion, too_long */
    public TokenizedCompletion apply(TokenizedCompletion in) throws Rejected {
        Cut c = cut(in.prompt(), new int[][]{in.completion()}, new String[]{"completion"}, in.truncated());
        return new TokenizedCompletion(c.prompt(), c.completions()[0], c.truncated());
    }

    /** A prompt and its completions after truncation. */
    private record Cut(int[] prompt, int[][] completions, boolean truncated) {}

    private Cut cut(int[] p, int[][] comps, String[] names, boolean cut) throws Rejected {
        if (p.length == 0) throw new Rejected(RejectReason.EMPTY_FIELD, "prompt has no tokens");
        int longest = 0;
        for (int i = 0; i < comps.length; i++) {
            if (comps[i].length == 0) throw new Rejected(RejectReason.EMPTY_COMPLETION, names[i] + " has no tokens");
            longest = Math.max(longest, comps[i].length);
        }
        if (maxPromptLength > 0 && p.length > maxPromptLength) {
            p = keepLast(p, maxPromptLength);
            cut = true;
        }
        if (maxLength > 0) {
            if (mode == TruncationMode.KEEP_START) {
                int room = maxLength - p.length;
                if (room <= 0) {
                    throw new Rejected(RejectReason.TOO_LONG, "prompt has " + p.length + " tokens: max-length " + maxLength
                            + " leaves no room for the completion (keep_start)");
                }
                if (longest > room) {
                    comps = comps.clone();
                    for (int i = 0; i < comps.length; i++) comps[i] = Arrays.copyOf(comps[i], Math.min(room, comps[i].length));
                    cut = true;
                }
            } else {
                int excess = p.length + longest - maxLength;
                if (excess > 0) {
                    if (p.length - excess < 1) {
                        throw new Rejected(RejectReason.TOO_LONG, "a completion has " + longest + " tokens: max-length "
                                + maxLength + " leaves no room for the prompt (keep_end)");
                    }
                    p = keepLast(p, p.length - excess);
                    cut = true;
                }
            }
        }
        return new Cut(p, comps, cut);
    }

    /** The last {@code n} tokens, keeping a leading BOS in front of the last n-1 (n >= 1). */
    int[] keepLast(int[] ids, int n) {
        if (n >= ids.length) return ids;
        if (bos >= 0 && ids[0] == bos && n >= 2) {
            int[] out = new int[n];
            out[0] = bos;
            System.arraycopy(ids, ids.length - (n - 1), out, 1, n - 1);
            return out;
        }
        return Arrays.copyOfRange(ids, ids.length - n, ids.length);
    }
}
