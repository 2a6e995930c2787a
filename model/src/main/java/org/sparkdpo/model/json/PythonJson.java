package org.sparkdpo.model.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes JSON the way Python's {@code json.dumps(obj, indent=2, sort_keys=True)} does, so files this system
 * writes for the Python world (adapter_config.json, manifests) look exactly like the ones PEFT and friends write.
 */
public final class PythonJson {
    private static final ObjectMapper SCALARS = new ObjectMapper();

    private PythonJson() {}

    /** Maps, lists and scalars (String, Number, Boolean, null) as indented JSON with sorted keys. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        append(sb, value, 0);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object v, int depth) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
            sb.append("{\n");
            int i = 0;
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                indent(sb, depth + 1);
                sb.append(scalar(e.getKey())).append(": ");
                append(sb, e.getValue(), depth + 1);
                sb.append(++i < sorted.size() ? ",\n" : "\n");
            }
            indent(sb, depth);
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            if (c.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            int i = 0;
            for (Object x : c) {
                indent(sb, depth + 1);
                append(sb, x, depth + 1);
                sb.append(++i < c.size() ? ",\n" : "\n");
            }
            indent(sb, depth);
            sb.append(']');
        } else {
            sb.append(scalar(v));
        }
    }

    private static String scalar(Object v) {
        if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            return d.isNaN() ? "NaN" : (d > 0 ? "Infinity" : "-Infinity");
        }
        try {
            return SCALARS.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + v + " as JSON", e);
        }
    }

    private static void indent(StringBuilder sb, int depth) {
        sb.append("  ".repeat(depth));
    }
}
