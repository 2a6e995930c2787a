package org.sparkdpo.jobs.cli;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Annotation;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Rules on an option's <em>final</em> value, declared next to its {@code @Option} and checked once after defaults,
 * config files and the command line are merged (so a bad file value that the command line overrides is no error).
 * picocli has no range checks, and its {@code required} would only describe the command line, while a required
 * option may come from a config file. The same words appear in {@code --help} ("must be > 0") and in errors
 * ("--lr: must be > 0, got 0").
 */
public final class Check {
    private Check() {}

    /** A value must come from a config file or the command line. A positional is also satisfied by its same-named option. */
    @Retention(RUNTIME) @Target(FIELD) public @interface Required {}

    /** Strictly greater than zero. */
    @Retention(RUNTIME) @Target(FIELD) public @interface Positive {}

    /** At least {@code value}. */
    @Retention(RUNTIME) @Target(FIELD) public @interface Min { double value(); }

    /** In [min, max], or [min, max) with {@code maxOpen}. */
    @Retention(RUNTIME) @Target(FIELD) public @interface Range { double min(); double max(); boolean maxOpen() default false; }

    /** One of these spellings, matched case-insensitively and stored as declared. */
    @Retention(RUNTIME) @Target(FIELD) public @interface OneOf { String[] value(); }

    /** A list that must have at least one item. */
    @Retention(RUNTIME) @Target(FIELD) public @interface NotEmpty {}

    /** Where a value came from, for messages: "--lr", "argument PATH", "conf/train.yaml: key 'lr'". */
    interface Sources {
        String where(ArgSpec a);

        boolean onCommandLine(ArgSpec a);

        boolean inFile(ArgSpec a);
    }

    static <A extends Annotation> A get(ArgSpec a, Class<A> type) {
        return a.userObject() instanceof AnnotatedElement e ? e.getAnnotation(type) : null;
    }

    static boolean required(ArgSpec a) {
        return get(a, Required.class) != null;
    }

    /** The declared choices, or an empty list. */
    static List<String> choices(ArgSpec a) {
        OneOf o = get(a, OneOf.class);
        return o == null ? List.of() : List.of(o.value());
    }

    /** What a value "must" satisfy, completing "must ...": "be > 0", "be in [0, 1)", "not be empty"; null if nothing. */
    static String rule(ArgSpec a) {
        if (get(a, Positive.class) != null) return "be > 0";
        Min min = get(a, Min.class);
        if (min != null) return "be >= " + fmt(min.value());
        Range r = get(a, Range.class);
        if (r != null) return "be in [" + fmt(r.min()) + ", " + fmt(r.max()) + (r.maxOpen() ? ")" : "]");
        if (get(a, NotEmpty.class) != null) return "not be empty";
        return null;
    }

    private static boolean accepts(ArgSpec a, Object v) {
        if (v instanceof Collection<?> c) return get(a, NotEmpty.class) == null || !c.isEmpty();
        if (!(v instanceof Number n)) return true;
        double d = n.doubleValue();
        Min min = get(a, Min.class);
        Range r = get(a, Range.class);
        if (get(a, Positive.class) != null && d <= 0) return false;
        if (min != null && d < min.value()) return false;
        return r == null || (d >= r.min() && (r.maxOpen() ? d < r.max() : d <= r.max()));
    }

    /**
     * Checks (and normalises: list items trimmed, empty items dropped, choices in their declared spelling) every
     * argument's final value; returns one line per problem. {@code failed} arguments already have an error. Unless
     * {@code complete}, values not given on the command line are not known and only their presence is checked.
     */
    static List<String> finalValues(CommandSpec spec, Sources sources, Set<ArgSpec> failed, boolean complete) {
        List<String> errors = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (ArgSpec a : spec.args()) {
            if (failed.contains(a)) continue;
            OptionSpec twin = a instanceof PositionalParamSpec p ? twinOf(spec, p) : null;
            if (required(a) && !given(sources, a) && (twin == null || !given(sources, twin))) {
                if (a instanceof OptionSpec o) missing.add("missing required option " + o.longestName());
                else missing.add("missing required argument " + a.paramLabel() + (twin == null ? "" : " (or " + twin.longestName() + ")"));
                continue;
            }
            if (!complete && !sources.onCommandLine(a)) continue;
            normaliseList(a);
            Object v = a.getValue();
            if (v == null) continue;
            if (twin != null && sources.onCommandLine(a) && sources.onCommandLine(twin)) {
                errors.add(a.paramLabel() + " given twice: as argument '" + v + "' and as " + twin.longestName());
                continue;
            }
            String problem = problem(a, v);
            if (problem != null) errors.add(sources.where(a) + ": " + problem);
        }
        missing.addAll(errors);
        return missing;
    }

    private static String problem(ArgSpec a, Object v) {
        if (v instanceof String s && "PATH".equals(a.paramLabel()) && s.isBlank()) return "expected a path, got an empty value";
        List<String> choices = choices(a);
        if (!choices.isEmpty()) {
            String s = v.toString().trim();
            for (String c : choices) {
                if (c.equalsIgnoreCase(s)) {
                    a.setValue(c);
                    return null;
                }
            }
            return "expected one of " + String.join(", ", choices) + ", got '" + s + "'"
                    + Suggestions.closest(s, choices).map(c -> " (did you mean '" + c + "'?)").orElse("");
        }
        if (!accepts(a, v)) return "must " + rule(a) + ", got " + display(v);
        return null;
    }

    private static boolean given(Sources sources, ArgSpec a) {
        return sources.onCommandLine(a) || sources.inFile(a);
    }

    /** The option named like positional {@code p} ({@code --path} for PATH), through which it may also be given. */
    static OptionSpec twinOf(CommandSpec spec, PositionalParamSpec p) {
        return spec.findOption("--" + p.paramLabel().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    }

    @SuppressWarnings("unchecked")
    private static void normaliseList(ArgSpec a) {
        if (!(a.getValue() instanceof List<?> list) || list.stream().anyMatch(x -> !(x instanceof String))) return;
        List<String> clean = new ArrayList<>();
        for (String s : (List<String>) list) {
            if (!s.isBlank()) clean.add(s.trim());
        }
        if (!clean.equals(list)) a.setValue(clean);
    }

    /** How a value is shown in messages and help: lists comma-joined. */
    static String display(Object v) {
        if (v instanceof Collection<?> c) return String.join(",", c.stream().map(String::valueOf).toList());
        return String.valueOf(v);
    }

    /** 1.0 as "1", 0.5 as "0.5": bounds as a user would write them. */
    static String fmt(double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
