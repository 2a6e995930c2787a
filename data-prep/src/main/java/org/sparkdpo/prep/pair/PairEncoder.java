package org.sparkdpo.prep.pair;

import org.sparkdpo.data.PairColumns;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparkdpo.model.tokenizer.ChatMessage;
import org.sparkdpo.model.tokenizer.ChatTemplateException;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/**
 * Turns a {@link PairInput} into token ids the way TRL's DPO trainer does, without duplicated specials:
 * <ul>
 *   <li>Text: prompt and each completion are encoded separately without the post-processor's specials; EOS is
 *       appended to each completion unless it already ends with EOS. If the tokenizer's post-processor adds BOS
 *       (Llama-style), the prompt starts with one BOS: added when missing, never doubled.</li>
 *   <li>Chat: the prompt is rendered with the chat template and the generation prompt (its last message must be
 *       from user or tool), prompt+chosen and prompt+rejected without it; the completions are the rendered
 *       suffixes after the common rendered prefix (TRL's {@code apply_chat_template}). Each piece is encoded without
 *       specials: the template writes BOS and end-of-turn tokens itself, so nothing is added.</li>
 *   <li>Ids: used as they are; with a tokenizer, every id must be below its vocabulary size.</li>
 * </ul>
 * Thread-safe; one per tokenizer.
 */
public final class PairEncoder {
    private final HfTokenizer tokenizer;
    private final int eos;
    private final int bos;
    private final boolean prependsBos;

    /** @param tokenizer null only for pre-tokenized input without a tokenizer (no vocabulary check) */
    public PairEncoder(HfTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.eos = tokenizer == null ? -1 : tokenizer.eosTokenId().orElse(-1);
        this.bos = tokenizer == null ? -1 : tokenizer.bosTokenId().orElse(-1);
        this.prependsBos = tokenizer != null && addsBos(tokenizer, bos);
    }

    /** True when encoding with specials puts BOS in front of text that has none (the tokenizer's own convention). */
    static boolean addsBos(HfTokenizer tok, int bos) {
        if (bos < 0) return false;
        int[] with = tok.encode("a", true);
        int[] without = tok.encode("a", false);
        return with.length == without.length + 1 && with[0] == bos
                && Arrays.equals(Arrays.copyOfRange(with, 1, with.length), without);
    }

    /** The BOS a prompt is expected to start with (-1 when prompts carry no BOS), kept by truncation. */
    public int promptBos() {
        return prependsBos ? bos : -1;
    }

    /**
     * A text prompt's ids as training sees them: encoded without specials, with one leading BOS when the tokenizer
     * adds BOS. Generation encodes text prompts with this too, so a model is prompted the way it was trained.
     */
    public int[] encodePrompt(String prompt) {
        int[] p = tokenizer.encode(prompt, false);
        if (prependsBos && (p.length == 0 || p[0] != bos)) p = prepend(bos, p);
        return p;
    }

    /** A text completion's ids as training sees them: encoded without specials, EOS appended unless already there. */
    public int[] encodeCompletion(String completion) {
        return withEos(tokenizer.encode(completion, false));
    }

    public TokenizedPair encode(PairInput in) throws Rejected {
        if (in instanceof PairInput.Ids ids) return checked(ids);
        if (in instanceof PairInput.Text t) {
            return new TokenizedPair(encodePrompt(t.prompt()), withEos(tokenizer.encode(t.chosen(), false)), withEos(tokenizer.encode(t.rejected(), false)));
        }
        PairInput.Chat c = (PairInput.Chat) in;
        ChatText text = render(c);
        return new TokenizedPair(tokenizer.encode(text.prompt(), false), tokenizer.encode(text.chosen(), false),
                tokenizer.encode(text.rejected(), false));
    }

    /**
     * An SFT example's ids, encoded like a pair's (text: prompt without specials plus BOS rule, completion with EOS;
     * chat: the prompt messages rendered with the generation prompt, the completion = the rendered text after it).
     */
    public TokenizedCompletion encode(SftInput in) throws Rejected {
        if (in instanceof SftInput.Text t) return new TokenizedCompletion(encodePrompt(t.prompt()), encodeCompletion(t.completion()));
        SftInput.Chat c = (SftInput.Chat) in;
        String[] text = render(c.prompt(), List.of(List.of(c.completion())), "completion");
        return new TokenizedCompletion(tokenizer.encode(text[0], false), tokenizer.encode(text[1], false));
    }

    /** A conversation rendered and split into prompt and completion texts. */
    record ChatText(String prompt, String chosen, String rejected) {}

    ChatText render(PairInput.Chat c) throws Rejected {
        String[] t = render(c.prompt(), List.of(c.chosen(), c.rejected()), "chosen", "rejected");
        return new ChatText(t[0], t[1], t[2]);
    }

    /**
     * Renders {@code prompt} with the generation prompt and prompt+completion for each completion; returns the
     * common rendered prefix (the prompt text) followed by each completion's rendered suffix.
     */
    private String[] render(List<ChatMessage> prompt, List<List<ChatMessage>> completions, String... names) throws Rejected {
        String last = prompt.get(prompt.size() - 1).role();
        if (!last.equals("user") && !last.equals("tool")) {
            throw new Rejected(RejectReason.TEMPLATE_ERROR, "the prompt's last message is from '" + last
                    + "'; it must be from user or tool so the generation prompt can follow");
        }
        String p;
        String[] full = new String[completions.size()];
        try {
            p = tokenizer.renderChat(prompt, true);
            for (int i = 0; i < full.length; i++) full[i] = tokenizer.renderChat(concat(prompt, completions.get(i)), false);
        } catch (ChatTemplateException e) {
            throw new Rejected(RejectReason.TEMPLATE_ERROR, "chat template: " + e.getMessage());
        }
        int n = p.length();
        for (String f : full) n = Math.min(n, commonPrefix(p, f));
        if (n < p.length() && n > 0 && Character.isHighSurrogate(p.charAt(n - 1))) n--;
        String[] out = new String[full.length + 1];
        out[0] = p.substring(0, n);
        for (int i = 0; i < full.length; i++) {
            out[i + 1] = full[i].substring(n);
            if (out[i + 1].isEmpty()) {
                throw new Rejected(RejectReason.EMPTY_COMPLETION, "the chat template renders nothing for " + names[i]);
            }
        }
        return out;
    }

    private TokenizedPair checked(PairInput.Ids ids) throws Rejected {
        if (tokenizer != null) {
            int vocab = tokenizer.vocabSize();
            check(ids.prompt(), PairColumns.PROMPT_IDS, vocab);
            check(ids.chosen(), PairColumns.CHOSEN_IDS, vocab);
            check(ids.rejected(), PairColumns.REJECTED_IDS, vocab);
        }
        return new TokenizedPair(ids.prompt(), ids.chosen(), ids.rejected());
    }

    private static void check(int[] ids, String what, int vocab) throws Rejected {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= vocab) {
                throw new Rejected(RejectReason.ID_OUT_OF_VOCAB, what + "[" + i + "] = " + ids[i]
                        + " is not below the vocabulary size " + vocab);
            }
        }
    }

    private int[] withEos(int[] ids) {
        if (eos < 0 || (ids.length > 0 && ids[ids.length - 1] == eos)) return ids;
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    private static int[] prepend(int first, int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = first;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static List<ChatMessage> concat(List<ChatMessage> a, List<ChatMessage> b) {
        List<ChatMessage> out = new ArrayList<>(a.size() + b.size());
        out.addAll(a);
        out.addAll(b);
        return out;
    }

    static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }
}
