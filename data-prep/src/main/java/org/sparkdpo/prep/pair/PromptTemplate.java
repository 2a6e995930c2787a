package org.sparkdpo.prep.pair;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The prompt of an instruction dataset row, built from a plain-text template: {@code {field}} inserts a field (a
 * role of the {@link ColumnMap} such as {@code instruction}/{@code input}, or any column name), {@code [[...]]} marks
 * an optional section that is dropped when a field inside it is null or blank, and {@code {{}/{@code }}} write
 * literal braces. Deliberately not Jinja: instruction prompts need substitution and one optional block, and this
 * keeps whitespace exactly as written.
 */
public final class PromptTemplate implements Serializable {
    /** The Alpaca prompt used in rasbt's LLMs-from-scratch DPO notebook; the Input section only when input is set. */
    public static final String ALPACA = "Below is an instruction that describes a task. Write a response that "
            + "appropriately completes the request.\n\n### Instruction:\n{instruction}[[\n\n### Input:\n{input}]]"
            + "\n\n### Response:\n";
    /** Names accepted instead of a template text. */
    public static final Map<String, String> PRESETS = Map.of("alpaca", ALPACA);

    private final String source;
    private final List<Part> parts;

    /** A literal, a field, or an optional section of parts. */
    private sealed interface Part extends Serializable permits Literal, Field, Section {}

    private record Literal(String text) implements Part {}

    private record Field(String name) implements Part {}

    private record Section(List<Part> parts) implements Part {}

    private PromptTemplate(String source, List<Part> parts) {
        this.source = source;
        this.parts = parts;
    }

    /** A preset name ({@link #PRESETS}) or a template text. */
    public static PromptTemplate of(String presetOrTemplate) {
        String text = PRESETS.getOrDefault(presetOrTemplate, presetOrTemplate);
        return parse(text);
    }

    /**
     * Parses a template text.
     *
     * @throws IllegalArgumentException on unbalanced braces or brackets, an empty field name, nested sections
     */
    public static PromptTemplate parse(String text) {
        List<Part> top = new ArrayList<>();
        List<Part> current = top;
        StringBuilder lit = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (text.startsWith("{{", i) || text.startsWith("}}", i)) {
                lit.append(c);
                i += 2;
            } else if (c == '{') {
                int end = text.indexOf('}', i);
                if (end < 0) throw new IllegalArgumentException("prompt template: '{' at " + i + " is never closed");
                String name = text.substring(i + 1, end).trim();
                if (name.isEmpty() || name.contains("{")) {
                    throw new IllegalArgumentException("prompt template: bad field name at " + i + ": '" + text.substring(i, end + 1) + "'");
                }
                flush(lit, current);
                current.add(new Field(name));
                i = end + 1;
            } else if (c == '}') {
                throw new IllegalArgumentException("prompt template: '}' at " + i + " has no '{' (write '}}' for a literal brace)");
            } else if (text.startsWith("[[", i)) {
                if (current != top) throw new IllegalArgumentException("prompt template: optional sections [[...]] cannot nest");
                flush(lit, current);
                current = new ArrayList<>();
                i += 2;
            } else if (text.startsWith("]]", i) && current != top) {
                flush(lit, current);
                top.add(new Section(List.copyOf(current)));
                current = top;
                i += 2;
            } else {
                lit.append(c);
                i++;
            }
        }
        if (current != top) throw new IllegalArgumentException("prompt template: '[[' is never closed by ']]'");
        flush(lit, current);
        return new PromptTemplate(text, List.copyOf(top));
    }

    private static void flush(StringBuilder lit, List<Part> into) {
        if (lit.length() > 0) into.add(new Literal(lit.toString()));
        lit.setLength(0);
    }

    /** The template text (a preset's full text, not its name). */
    public String source() {
        return source;
    }

    /** Fields outside optional sections: every row must have them. */
    public Set<String> requiredFields() {
        Set<String> out = new LinkedHashSet<>();
        for (Part p : parts) if (p instanceof Field f) out.add(f.name());
        return out;
    }

    /** Every field the template uses. */
    public Set<String> fields() {
        Set<String> out = new LinkedHashSet<>();
        collect(parts, out);
        return out;
    }

    private static void collect(List<Part> parts, Set<String> out) {
        for (Part p : parts) {
            if (p instanceof Field f) out.add(f.name());
            else if (p instanceof Section s) collect(s.parts(), out);
        }
    }

    /** Looks up a field's value: plain Java (String, Number, Boolean, List, Map) or null. */
    @FunctionalInterface
    public interface Values {
        Object get(String field) throws Rejected;
    }

    /**
     * Renders the prompt. Strings are inserted as they are, numbers and booleans as text.
     *
     * @throws Rejected null_field / empty_field for a required field that is null / blank, wrong_type for a list
     *                  or object
     */
    public String render(Values values) throws Rejected {
        StringBuilder b = new StringBuilder();
        for (Part p : parts) {
            if (p instanceof Literal l) {
                b.append(l.text());
            } else if (p instanceof Field f) {
                String v = text(f.name(), values.get(f.name()));
                if (v == null) throw new Rejected(RejectReason.NULL_FIELD, f.name() + " is null");
                if (v.isBlank()) throw new Rejected(RejectReason.EMPTY_FIELD, f.name() + " is empty");
                b.append(v);
            } else if (p instanceof Section s) {
                StringBuilder sec = new StringBuilder();
                boolean keep = true;
                for (Part q : s.parts()) {
                    if (q instanceof Literal l) {
                        sec.append(l.text());
                    } else if (q instanceof Field f) {
                        String v = text(f.name(), values.get(f.name()));
                        if (v == null || v.isBlank()) keep = false;
                        else sec.append(v);
                    }
                }
                if (keep) b.append(sec);
            }
        }
        return b.toString();
    }

    private static String text(String field, Object v) throws Rejected {
        if (v == null || v instanceof String) return (String) v;
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        throw new Rejected(RejectReason.WRONG_TYPE, field + " is " + Kinds.of(v) + ", expected text");
    }

    @Override
    public String toString() {
        return source;
    }
}
