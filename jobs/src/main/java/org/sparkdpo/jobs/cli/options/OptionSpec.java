package org.sparkdpo.jobs.cli.options;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One option of a command, declared as data so that parsing, config files, validation, help and run manifests all
 * come from the same declaration. Build with the static factories and the {@code with...}/{@code as...} methods:
 *
 * <pre>{@code
 * OptionSpec.ofInt("max-length", "Maximum tokens per example").withDefault(512).withValidator(Validator.positive())
 * OptionSpec.ofPath("input", "Parquet file or folder").asPositional().asRequired()
 * }</pre>
 *
 * @param name         kebab-case ("max-length"): {@code --max-length} on the command line, key in config files
 * @param type         how values are parsed and which getter reads them
 * @param choices      the allowed values of an {@link OptionType#ENUM} option, empty otherwise
 * @param defaultValue the default in its textual form (parsed like a command-line value), or null for none
 * @param required     a value must come from a file or the command line (only without a default)
 * @param positional   may also be given as a bare argument (positionals fill in declaration order)
 * @param help         one sentence for {@code --help}
 * @param validator    checked on the final value, or null
 */
public record OptionSpec(String name, OptionType type, List<String> choices, String defaultValue, boolean required,
                         boolean positional, String help, Validator validator) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");
    /** Names the parser handles itself. */
    static final List<String> RESERVED = List.of("config", "help");

    public OptionSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("option name must be kebab-case (e.g. max-length): " + name);
        }
        if (RESERVED.contains(name) || name.startsWith("no-")) {
            throw new IllegalArgumentException("option name is reserved: " + name);
        }
        if (type == null) throw new IllegalArgumentException(name + ": type is required");
        choices = choices == null ? List.of() : List.copyOf(choices);
        if ((type == OptionType.ENUM) == choices.isEmpty()) {
            throw new IllegalArgumentException(name + ": ENUM options need choices, other types must have none");
        }
        if (required && defaultValue != null) {
            throw new IllegalArgumentException(name + ": an option with a default cannot be required");
        }
        if (type == OptionType.BOOL && positional) {
            throw new IllegalArgumentException(name + ": a BOOL option cannot be positional");
        }
        help = help == null ? "" : help;
        if (defaultValue != null) {
            try {
                Values.convert(OptionType.LIST == type ? Values.splitList(defaultValue) : defaultValue, type, choices);
            } catch (Values.BadValue e) {
                throw new IllegalArgumentException(name + ": default " + e.getMessage(), e);
            }
        }
    }

    public static OptionSpec ofString(String name, String help) {
        return of(name, OptionType.STRING, help);
    }

    public static OptionSpec ofInt(String name, String help) {
        return of(name, OptionType.INT, help);
    }

    public static OptionSpec ofLong(String name, String help) {
        return of(name, OptionType.LONG, help);
    }

    public static OptionSpec ofDouble(String name, String help) {
        return of(name, OptionType.DOUBLE, help);
    }

    /** A flag: {@code --name} sets it, {@code --no-name} clears it; defaults to false. */
    public static OptionSpec ofBool(String name, String help) {
        return new OptionSpec(name, OptionType.BOOL, List.of(), "false", false, false, help, null);
    }

    public static OptionSpec ofPath(String name, String help) {
        return of(name, OptionType.PATH, help);
    }

    public static OptionSpec ofList(String name, String help) {
        return of(name, OptionType.LIST, help);
    }

    public static OptionSpec ofEnum(String name, String help, String... choices) {
        return new OptionSpec(name, OptionType.ENUM, Arrays.asList(choices), null, false, false, help, null);
    }

    /**
     * An ENUM whose choices are the constants of {@code e} in kebab-case (FOO_BAR becomes "foo-bar"); read it back
     * with {@link ParsedOptions#getEnum(String, Class)}.
     */
    public static <E extends Enum<E>> OptionSpec ofEnum(String name, String help, Class<E> e) {
        List<String> choices = new ArrayList<>();
        for (E c : e.getEnumConstants()) choices.add(c.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        return new OptionSpec(name, OptionType.ENUM, choices, null, false, false, help, null);
    }

    public static OptionSpec of(String name, OptionType type, String help) {
        return new OptionSpec(name, type, List.of(), null, false, false, help, null);
    }

    /** A copy with this default; lists may be given as a Collection, enum constants as the constant. */
    public OptionSpec withDefault(Object value) {
        String text;
        if (value == null) text = null;
        else if (value instanceof Collection<?> c) text = String.join(",", c.stream().map(String::valueOf).toList());
        else if (value instanceof Enum<?> e) text = e.name().toLowerCase(Locale.ROOT).replace('_', '-');
        else text = String.valueOf(value);
        return new OptionSpec(name, type, choices, text, required, positional, help, validator);
    }

    /** A copy that must be given (in a file or on the command line). */
    public OptionSpec asRequired() {
        return new OptionSpec(name, type, choices, defaultValue, true, positional, help, validator);
    }

    /** A copy that also takes a bare (positional) argument. */
    public OptionSpec asPositional() {
        return new OptionSpec(name, type, choices, defaultValue, required, true, help, validator);
    }

    public OptionSpec withValidator(Validator v) {
        return new OptionSpec(name, type, choices, defaultValue, required, positional, help, v);
    }

    /** How the option is shown as a bare argument in usage: "PATH" for "path", "INPUT_DIR" for "input-dir". */
    String positionalLabel() {
        return name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The placeholder after {@code --name} in help: "INT", "a|b|c", "" for flags. */
    String metavar() {
        return type == OptionType.ENUM ? String.join("|", choices) : type.metavar();
    }
}
