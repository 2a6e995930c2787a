package org.sparkdpo.jobs.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Value converters with the messages users see ("expected an integer, got '1.5'"), registered on every command
 * line and used to check config-file values before picocli sees them, so both sources fail the same way.
 */
final class Converters {
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /** By option type; primitives and their boxes share one converter. */
    static final Map<Class<?>, ITypeConverter<?>> BY_TYPE = new LinkedHashMap<>();

    static {
        put(int.class, Integer.class, Converters::toInt);
        put(long.class, Long.class, Converters::toLong);
        put(double.class, Double.class, Converters::toDouble);
        put(boolean.class, Boolean.class, Converters::toBoolean);
    }

    private Converters() {}

    private static <T> void put(Class<?> primitive, Class<T> boxed, ITypeConverter<T> c) {
        BY_TYPE.put(primitive, c);
        BY_TYPE.put(boxed, c);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static void registerOn(CommandLine cl) {
        for (Map.Entry<Class<?>, ITypeConverter<?>> e : BY_TYPE.entrySet()) {
            cl.registerConverter((Class) e.getKey(), (ITypeConverter) e.getValue());
        }
    }

    /**
     * {@code text} as a value of {@code type} in canonical form ("yes" to "true", "5e-6" to "5.0E-6"), or
     * unchanged for types without a converter here (text, paths, choices).
     *
     * @throws TypeConversionException with the user-facing reason
     */
    static String canonical(Class<?> type, String text) {
        ITypeConverter<?> c = BY_TYPE.get(type);
        if (c == null) return text;
        try {
            return String.valueOf(c.convert(text));
        } catch (TypeConversionException e) {
            throw e;
        } catch (Exception e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    static Integer toInt(String raw) {
        String s = raw.trim();
        if (!INTEGER.matcher(s).matches()) throw new TypeConversionException("expected an integer, got '" + s + "'");
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("expected an integer between " + Integer.MIN_VALUE + " and "
                    + Integer.MAX_VALUE + ", got '" + s + "'");
        }
    }

    static Long toLong(String raw) {
        String s = raw.trim();
        if (!INTEGER.matcher(s).matches()) throw new TypeConversionException("expected an integer, got '" + s + "'");
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("expected a 64-bit integer, got '" + s + "'");
        }
    }

    static Double toDouble(String raw) {
        String s = raw.trim();
        if (DECIMAL.matcher(s).matches()) {
            double d = Double.parseDouble(s);
            if (!Double.isInfinite(d)) return d;
        }
        throw new TypeConversionException("expected a number, got '" + s + "'");
    }

    static Boolean toBoolean(String raw) {
        String s = raw.trim();
        switch (s.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1":
                return true;
            case "false": case "no": case "off": case "0":
                return false;
            default:
                throw new TypeConversionException("expected true or false, got '" + s + "'");
        }
    }
}
