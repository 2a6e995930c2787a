package org.sparkdpo.prep.pair;

import org.sparkdpo.data.PairColumns;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkdpo.model.tokenizer.ChatMessage;

/**
 * Reads the pair (or SFT example) out of a record according to the format and column map, applying the row-level checks that do not
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

    public InputFormat format() {
        return format;
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

    /** Reads an SFT example ({@link InputFormat#sft()} formats). First failing field wins: prompt, completion. */
    public SftInput readSft(RecordFields f) throws Rejected {
        if (format == InputFormat.PROMPT_COMPLETION) return new SftInput.Text(text(f, "prompt"), text(f, "completion"));
        if (format != InputFormat.MESSAGES) throw new IllegalStateException(format + " is not an SFT format");
        String col = columns.column("messages");
        List<ChatMessage> all = messages(col, required(f, "messages"));
        ChatMessage last = all.get(all.size() - 1);
        if (!last.role().equals("assistant")) {
            throw new Rejected(RejectReason.EMPTY_COMPLETION, col + "[" + (all.size() - 1) + "] is the last message and is from '"
                    + last.role() + "'; the last message must be the assistant's answer to train on");
        }
        if (all.size() == 1) throw new Rejected(RejectReason.EMPTY_FIELD, col + " has no message before the assistant's answer");
        return new SftInput.Chat(List.copyOf(all.subList(0, all.size() - 1)), last);
    }

    /**
     * The format this row is written in when it is not the input's: the row lacks a column the input's format needs
     * and has every column another format needs (preference rows in SFT data, {@code messages} rows among
     * {@code prompt}/{@code completion} rows, ...). Null for a row of the input's format. A file must hold one
     * format: the job stops at such a row instead of rejecting it.
     */
    public String otherFormat(RecordFields f) throws Rejected {
        if (format == InputFormat.PRETOKENIZED || present(f, own())) return null;
        for (InputFormat other : new InputFormat[]{InputFormat.STANDARD, InputFormat.PROMPT_COMPLETION, InputFormat.MESSAGES}) {
            if (!other.sft() && !format.sft()) continue;      // preference formats differ in columns, not rows
            if (other != format && present(f, signature(other))) return other.sft() ? other.code() : "preference (chosen/rejected)";
        }
        return null;
    }

    private List<String> own() {
        return format.sft() ? signature(format) : format == InputFormat.STANDARD ? List.of("prompt", "chosen", "rejected")
                : List.of("chosen", "rejected");
    }

    private static List<String> signature(InputFormat f) {
        return switch (f) {
            case PROMPT_COMPLETION -> List.of("prompt", "completion");
            case MESSAGES -> List.of("messages");
            default -> List.of("chosen", "rejected");
        };
    }

    private boolean present(RecordFields f, List<String> roles) throws Rejected {
        for (String role : roles) if (f.get(columns.column(role)) == null) return false;
        return true;
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
