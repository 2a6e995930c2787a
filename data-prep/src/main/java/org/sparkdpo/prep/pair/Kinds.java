package org.sparkdpo.prep.pair;

import java.util.List;
import java.util.Map;

/** Names the type of a plain Java record value the way users know it from JSON, for reject details. */
final class Kinds {
    private Kinds() {}

    static String of(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return "a string";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Number) return "a number";
        if (v instanceof List<?>) return "a list";
        if (v instanceof Map<?, ?>) return "an object";
        if (v instanceof byte[]) return "binary";
        return "a " + v.getClass().getSimpleName();
    }
}
