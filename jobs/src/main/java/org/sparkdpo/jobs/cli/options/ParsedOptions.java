package org.sparkdpo.jobs.cli.options;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The effective, typed option values of one run, after defaults, config files and the command line were merged.
 * Getters throw {@link IllegalArgumentException} for names the command did not declare or the wrong type (a
 * programming error), and {@link IllegalStateException} for an optional option without a value (check with
 * {@link #has}).
 */
public final class ParsedOptions {
    /** Where a value came from, as reported by {@link #origin}. */
    public static final String DEFAULT = "default";
    public static final String COMMAND_LINE = "command line";

    private final Map<String, OptionSpec> specs;
    private final Map<String, Object> values;
    private final Map<String, String> origins;
    private final List<String> configFiles;
    private final boolean helpRequested;

    ParsedOptions(Map<String, OptionSpec> specs, Map<String, Object> values, Map<String, String> origins,
                  List<String> configFiles, boolean helpRequested) {
        this.specs = specs;
        this.values = values;
        this.origins = origins;
        this.configFiles = List.copyOf(configFiles);
        this.helpRequested = helpRequested;
    }

    /** True when {@code --help} was given; then nothing else was checked and values may be incomplete. */
    public boolean helpRequested() {
        return helpRequested;
    }

    /** True when the option has a value (given, or defaulted). */
    public boolean has(String name) {
        spec(name);
        return values.get(name) != null;
    }

    public String getString(String name) {
        return (String) get(name, OptionType.STRING, OptionType.PATH, OptionType.ENUM);
    }

    /** A PATH option (same as {@link #getString}, reads better at call sites). */
    public String getPath(String name) {
        return (String) get(name, OptionType.PATH);
    }

    public int getInt(String name) {
        return (Integer) get(name, OptionType.INT);
    }

    /** A LONG option (INT options are widened). */
    public long getLong(String name) {
        return ((Number) get(name, OptionType.LONG, OptionType.INT)).longValue();
    }

    public double getDouble(String name) {
        return (Double) get(name, OptionType.DOUBLE);
    }

    public boolean getBool(String name) {
        return (Boolean) get(name, OptionType.BOOL);
    }

    @SuppressWarnings("unchecked")
    public List<String> getList(String name) {
        return (List<String>) get(name, OptionType.LIST);
    }

    /** An ENUM option's value as declared ("foo-bar"). */
    public String getEnum(String name) {
        return (String) get(name, OptionType.ENUM);
    }

    /** An ENUM option's value as a constant of {@code e}: "foo-bar" maps to FOO_BAR. */
    public <E extends Enum<E>> E getEnum(String name, Class<E> e) {
        String v = getEnum(name);
        return Enum.valueOf(e, v.toUpperCase(Locale.ROOT).replace('-', '_'));
    }

    /** "default", "command line", or the config file's path. */
    public String origin(String name) {
        spec(name);
        return origins.get(name);
    }

    /** The {@code --config} files read, in order. */
    public List<String> configFiles() {
        return configFiles;
    }

    /**
     * Every declared option with its effective value (null when unset), in declaration order; for run summaries and
     * manifests. Written as YAML it is a valid {@code --config} file (null means unset there).
     */
    public Map<String, Object> asMap() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    @Override
    public String toString() {
        return values.toString();
    }

    private OptionSpec spec(String name) {
        OptionSpec s = specs.get(name);
        if (s == null) throw new IllegalArgumentException("no option named '" + name + "' is declared");
        return s;
    }

    private Object get(String name, OptionType... allowed) {
        OptionSpec s = spec(name);
        if (!List.of(allowed).contains(s.type())) {
            throw new IllegalArgumentException("option '" + name + "' is " + s.type() + ", not " + List.of(allowed));
        }
        Object v = values.get(name);
        if (v == null) throw new IllegalStateException("option '" + name + "' has no value (check has() first)");
        return v;
    }
}
