package org.sparkdpo.jobs.cli.options;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Turns textual option values (command line, config file, defaults) into typed values, with user-facing errors. */
final class Values {
    private Values() {}

    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /** A value that does not fit its type; the message completes "--name: ...". */
    static final class BadValue extends Exception {
        BadValue(String message) {
            super(message);
        }
    }

    /**
     * Converts {@code raw} (a String, or for LIST a List of Strings) to Integer, Long, Double, Boolean, String or
     * List&lt;String&gt;. ENUM values match case-insensitively and come back in their declared spelling.
     */
    static Object convert(Object raw, OptionType type, List<String> choices) throws BadValue {
        if (type == OptionType.LIST) {
            if (raw instanceof List<?> l) return List.copyOf(l.stream().map(String::valueOf).toList());
            return splitList(raw.toString());
        }
        String s = raw.toString().trim();
        switch (type) {
            case STRING:
                return raw.toString();
            case PATH:
                if (s.isEmpty()) throw new BadValue("expected a path, got an empty value");
                return s;
            case INT:
                try {
                    if (INTEGER.matcher(s).matches()) return Integer.parseInt(s);
                } catch (NumberFormatException e) {
                    throw new BadValue("expected an integer between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE
                            + ", got '" + s + "'");
                }
                throw new BadValue("expected an integer, got '" + s + "'");
            case LONG:
                try {
                    if (INTEGER.matcher(s).matches()) return Long.parseLong(s);
                } catch (NumberFormatException e) {
                    throw new BadValue("expected a 64-bit integer, got '" + s + "'");
                }
                throw new BadValue("expected an integer, got '" + s + "'");
            case DOUBLE:
                if (DECIMAL.matcher(s).matches()) {
                    double d = Double.parseDouble(s);
                    if (!Double.isInfinite(d)) return d;
                }
                throw new BadValue("expected a number, got '" + s + "'");
            case BOOL:
                switch (s.toLowerCase(Locale.ROOT)) {
                    case "true": case "yes": case "on": case "1":
                        return true;
                    case "false": case "no": case "off": case "0":
                        return false;
                    default:
                        throw new BadValue("expected true or false, got '" + s + "'");
                }
            case ENUM:
                for (String c : choices) if (c.equalsIgnoreCase(s)) return c;
                String hint = Suggestions.closest(s, choices).map(c -> " (did you mean '" + c + "'?)").orElse("");
                throw new BadValue("expected one of " + String.join(", ", choices) + ", got '" + s + "'" + hint);
            default:
                throw new IllegalStateException("unhandled type " + type);
        }
    }

    /** "a, b,,c" to [a, b, c]: comma-separated, trimmed, empty items dropped (so "" is the empty list). */
    static List<String> splitList(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",", -1)) {
            String t = part.trim();
            if (!t.isEmpty()) out.add(t);
        }
        return List.copyOf(out);
    }

    /** How a typed value is shown to users (help defaults, range errors): lists comma-joined, doubles as given. */
    static String display(Object v) {
        if (v instanceof List<?> l) return String.join(",", l.stream().map(String::valueOf).toList());
        return String.valueOf(v);
    }
}
