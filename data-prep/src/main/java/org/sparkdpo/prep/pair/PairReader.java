package org.sparkdpo.prep.pair;

import org.sparkdpo.data.PairColumns;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkdpo.model.tokenizer.ChatMessage;

/**
 * Reads the pair out of a record according to the format and column map, applying the row-level checks that do not
 * need a tokenizer: nulls, types, blank fields, identical chosen/rejected, implicit-prompt extraction and the
 * instruction prompt template. First failing field wins, in the order prompt, chosen, rejected.
 */
public final class PairReader implements Serializable {
    private final InputFormat format;
    private final ColumnMap columns;
    private final PromptTemplate template;
    private final String marker;

    /**
     * @param template the instruction prompt template (used by {@link InputFormat#INSTRUCTION} only)
     * @param marker   implicit-prompt turn marker ("" for TRL's plain rule)
     */
    public PairReader(InputFormat format, ColumnMap columns, PromptTemplate template, String marker) {
        this.format = format;
        this.columns = columns;
        this.template = template;
        this.marker = marker;
    }

    public PairInput read(RecordFields f) throws Rejected {
        switch (format) {
            case STANDARD: {
                String p = text(f, "prompt");
                return textPair(p, text(f, "chosen"), text(f, "rejected"));
            }
            case IMPLICIT: {
                String c = text(f, "chosen");
                String r = text(f, "rejected");
                distinct(c.equals(r));
                ImplicitPrompt.TextSplit s = ImplicitPrompt.split(c, r, marker);
                return new PairInput.Text(s.prompt(), s.chosen(), s.rejected());
            }
            case INSTRUCTION: {
                String p = template.render(field -> f.get(columns.column(field)));
                return textPair(p, text(f, "chosen"), text(f, "rejected"));
            }
            case CONVERSATIONAL:
                return chat(f);
            case PRETOKENIZED: {
                int[] p = ids(f, PairColumns.PROMPT_IDS);
                int[] c = ids(f, PairColumns.CHOSEN_IDS);
                int[] r = ids(f, PairColumns.REJECTED_IDS);
                distinct(java.util.Arrays.equals(c, r));
                return new PairInput.Ids(p, c, r);
            }
            default:
                throw new IllegalStateException("unhandled format " + format);
        }
    }

    private static PairInput textPair(String p, String c, String r) throws Rejected {
        distinct(c.equals(r));
        return new PairInput.Text(p, c, r);
    }

    private static void distinct(boolean same) throws Rejected {
        if (same) throw new Rejected(RejectReason.CHOSEN_EQUALS_REJECTED, "chosen and rejected are identical");
    }

    private Object required(RecordFields f, String role) throws Rejected {
        String col = columns.column(role);
        Object v = f.get(col);
        if (v == null) throw new Rejected(RejectReason.NULL_FIELD, col + " is null");
        return v;
    }

    private String text(RecordFields f, String role) throws Rejected {
        String col = columns.column(role);
        Object v = required(f, role);
        if (!(v instanceof String s)) throw new Rejected(RejectReason.WRONG_TYPE, col + " is " + Kinds.of(v) + ", expected text");
        if (s.isBlank()) throw new Rejected(RejectReason.EMPTY_FIELD, col + " is empty");
        return s;
    }

    private int[] ids(RecordFields f, String role) throws Rejected {
        String col = columns.column(role);
        Object v = required(f, role);
        if (!(v instanceof List<?> list)) {
            throw new Rejected(RejectReason.WRONG_TYPE, col + " is " + Kinds.of(v) + ", expected a list of token ids");
        }
        if (list.isEmpty()) throw new Rejected(RejectReason.EMPTY_FIELD, col + " is empty");
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object x = list.get(i);
            if (x == null) throw new Rejected(RejectReason.NULL_FIELD, col + "[" + i + "] is null");
            if (!(x instanceof Long || x instanceof Integer || x instanceof Short || x instanceof Byte)) {
                throw new Rejected(RejectReason.WRONG_TYPE, col + "[" + i + "] is " + Kinds.of(x) + " (" + x + "), expected an integer id");
            }
            long id = ((Number) x).longValue();
            if (id < 0 || id > Integer.MAX_VALUE) {
                throw new Rejected(RejectReason.ID_OUT_OF_VOCAB, col + "[" + i + "] = " + id + " is not a valid token id");
            }
            out[i] = (int) id;
        }
        return out;
    }

    private PairInput chat(RecordFields f) throws Rejected {
        String promptCol = columns.column("prompt");
        Object promptValue = f.get(promptCol);
        List<ChatMessage> prompt = promptValue instanceof List<?> ? messages(promptCol, promptValue) : null;
        List<ChatMessage> c = messages(columns.column("chosen"), required(f, "chosen"));
        List<ChatMessage> r = messages(columns.column("rejected"), required(f, "rejected"));
        distinct(c.equals(r));
        if (prompt == null) { // no conversational prompt: implicit, as TRL's maybe_extract_prompt
            ImplicitPrompt.MessageSplit s = ImplicitPrompt.split(c, r);
            return new PairInput.Chat(s.prompt(), s.chosen(), s.rejected());
        }
        return new PairInput.Chat(prompt, c, r);
    }

    private static List<ChatMessage> messages(String col, Object v) throws Rejected {
        if (v == null) throw new Rejected(RejectReason.NULL_FIELD, col + " is null");
        if (!(v instanceof List<?> list)) {
            throw new Rejected(RejectReason.WRONG_TYPE, col + " is " + Kinds.of(v) + ", expected a list of {role, content} messages");
        }
        if (list.isEmpty()) throw new Rejected(RejectReason.EMPTY_FIELD, col + " has no messages");
        List<ChatMessage> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String where = col + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new Rejected(RejectReason.WRONG_TYPE, where + " is " + Kinds.of(list.get(i)) + ", expected a {role, content} message");
            }
            Object role = m.get("role");
            Object content = m.get("content");
            if (role == null) throw new Rejected(RejectReason.NULL_FIELD, where + ".role is null");
            if (content == null) throw new Rejected(RejectReason.NULL_FIELD, where + ".content is null");
            if (!(role instanceof String rs)) throw new Rejected(RejectReason.WRONG_TYPE, where + ".role is " + Kinds.of(role) + ", expected text");
            if (!(content instanceof String cs)) {
                throw new Rejected(RejectReason.WRONG_TYPE, where + ".content is " + Kinds.of(content) + ", expected text");
            }
            if (rs.isBlank()) throw new Rejected(RejectReason.EMPTY_FIELD, where + ".role is empty");
            out.add(new ChatMessage(rs, cs));
        }
        return out;
    }
}
