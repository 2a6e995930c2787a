package org.sparkdpo.jobs.cli.options;

import java.util.Collection;
import java.util.function.Predicate;

/**
 * A check on an option's final (typed) value, with the words used both in help and in the error
 * ("--lr: must be in [0, 1), got 1.5"). Checked once, after all sources are merged, so a bad file value that
 * the command line overrides is not an error.
 *
 * @param description completes "must ...", e.g. "be > 0"
 * @param test        true when the value is acceptable; only called with non-null values of the option's type
 */
public record Validator(String description, Predicate<Object> test) {

    /** Strictly greater than zero. */
    public static Validator positive() {
        return new Validator("be > 0", v -> number(v) > 0);
    }

    /** Zero or more. */
    public static Validator nonNegative() {
        return new Validator("be >= 0", v -> number(v) >= 0);
    }

    /** In the closed interval [min, max]. */
    public static Validator range(double min, double max) {
        return new Validator("be in [" + fmt(min) + ", " + fmt(max) + "]", v -> number(v) >= min && number(v) <= max);
    }

    /** A probability that leaves something to keep: [0, 1), e.g. dropout or a held-out fraction. */
    public static Validator probability() {
        return new Validator("be in [0, 1)", v -> number(v) >= 0 && number(v) < 1);
    }

    /** In the open interval (0, 1], e.g. a sampling fraction. */
    public static Validator fraction() {
        return new Validator("be in (0, 1]", v -> number(v) > 0 && number(v) <= 1);
    }

    /** A non-empty string or list. */
    public static Validator nonEmpty() {
        return new Validator("not be empty", v -> v instanceof Collection<?> c ? !c.isEmpty() : !v.toString().isEmpty());
    }

    /** Any condition, described for the help and error text ("must " + description). */
    public static Validator of(String description, Predicate<Object> test) {
        return new Validator(description, test);
    }

    boolean accepts(Object value) {
        return test.test(value);
    }

    private static double number(Object v) {
        if (v instanceof Number n) return n.doubleValue();
        throw new IllegalArgumentException("numeric validator applied to a non-numeric option value: " + v);
    }

    /** 1.0 as "1", 0.5 as "0.5": the bounds as a user would write them. */
    static String fmt(double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
