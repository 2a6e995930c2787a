package org.sparkdpo.model.json;

import java.util.Map;
import java.util.TreeMap;

/**
 * JSON as Python's {@code json.dumps(obj, ensure_ascii=False, ...)} writes it, in the two forms this system needs:
 * files for the Python world ({@link #write}: {@code indent=2, sort_keys=True}, as PEFT writes adapter_config.json)
 * and the chat-template {@code tojson} filter ({@link #dumps}: insertion order, separators ", " and ": ", or "," and
 * ": " with an indent). Jinja's and jinjava's own {@code tojson} differ (HTML escaping, compact separators), which
 * would change tool-use prompts.
 *
 * <p>Maps, iterables, strings, numbers, booleans and null; any other value is written as its {@code toString()}.
 * NaN and infinities are written as Python writes them ({@code NaN}, {@code Infinity}).
 */
public final class PythonJson {
    private PythonJson() {}

    /** {@code json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)}. */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value, 2, true, 0);
        return b.toString();
    }

    /** {@code json.dumps(value, indent=indent, ensure_ascii=False)}, keys in insertion order; {@code indent} null is compact. */
    public static String dumps(Object value, Integer indent) {
        StringBuilder b = new StringBuilder();
        write(b, value, indent, false, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, Integer indent, boolean sortKeys, int depth) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean x) {
            b.append(x ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            number(b, ((Number) v).doubleValue(), v);
        } else if (v instanceof Number) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            Map<?, ?> entries = m;
            if (sortKeys) {
                Map<String, Object> sorted = new TreeMap<>();
                m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
                entries = sorted;
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries.entrySet()) {
                if (!first) b.append(indent == null ? ", " : ",");
                first = false;
                newline(b, indent, depth + 1);
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), indent, sortKeys, depth + 1);
            }
            if (!first) newline(b, indent, depth);
            b.append('}');
        } else if (v instanceof Iterable<?> it) {
            b.append('[');
            boolean first = true;
            for (Object o : it) {
                if (!first) b.append(indent == null ? ", " : ",");
                first = false;
                newline(b, indent, depth + 1);
                write(b, o, indent, sortKeys, depth + 1);
            }
            if (!first) newline(b, indent, depth);
            b.append(']');
        } else {
            string(b, v.toString());
        }
    }

    private static void number(StringBuilder b, double d, Object original) {
        if (Double.isNaN(d)) b.append("NaN");
        else if (Double.isInfinite(d)) b.append(d > 0 ? "Infinity" : "-Infinity");
        else if (d == Math.rint(d) && Math.abs(d) < 1e16) b.append((long) d).append(".0");
        else b.append(original);
    }

    private static void newline(StringBuilder b, Integer indent, int depth) {
        if (indent == null) return;
        b.append('\n');
        b.append(" ".repeat(indent * depth));
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
