package org.sparkdpo.jobs.cli.options;

import java.util.ArrayList;
import java.util.List;

/** Renders {@code --help} from the same specs the parser uses, so help can never drift from behaviour. */
public final class HelpFormatter {
    private static final int COLUMN = 26;

    private HelpFormatter() {}

    /**
     * The full help of one command.
     *
     * @param command "spark-dpo show": how users invoke it, used in the usage and example lines
     * @param example one example invocation without the command prefix ("out/pairs --limit 5"), or null to
     *                derive one from the required options
     */
    public static String format(String command, String summary, List<OptionSpec> specs, String example) {
        StringBuilder b = new StringBuilder();
        b.append("Usage: ").append(command);
        for (OptionSpec s : specs) {
            if (s.positional()) b.append(' ').append(s.required() ? s.positionalLabel() : "[" + s.positionalLabel() + "]");
        }
        b.append(" [options]\n\n").append(summary).append("\n");

        List<OptionSpec> positional = specs.stream().filter(OptionSpec::positional).toList();
        if (!positional.isEmpty()) {
            b.append("\nArguments:\n");
            for (OptionSpec s : positional) {
                line(b, s.positionalLabel(), s.help() + " (" + details(s) + "; or --" + s.name() + ")");
            }
        }
        b.append("\nOptions:\n");
        for (OptionSpec s : specs) {
            if (s.positional()) continue;
            String meta = s.metavar();
            line(b, "--" + s.name() + (meta.isEmpty() ? "" : " " + meta), s.help() + " (" + details(s) + ")");
        }
        line(b, "--config FILE", "Read option values from a YAML or JSON file whose top-level keys are option names;"
                + " repeatable, later files win, the command line wins over files.");
        line(b, "--help", "Print this help.");
        b.append("\nExample:\n  ").append(command).append(' ')
                .append(example != null ? example : defaultExample(specs)).append('\n');
        return b.toString();
    }

    /** "int; default: 20; must be >= 0", "path; required", "flag; default: false". */
    static String details(OptionSpec s) {
        List<String> parts = new ArrayList<>();
        parts.add(s.type().label());
        if (s.required()) parts.add("required");
        else if (s.defaultValue() != null) parts.add("default: " + (s.defaultValue().isEmpty() ? "\"\"" : s.defaultValue()));
        else parts.add("default: none");
        if (s.validator() != null) parts.add("must " + s.validator().description());
        return String.join("; ", parts);
    }

    /** The required options filled with placeholders: "PATH --model PATH". */
    static String defaultExample(List<OptionSpec> specs) {
        List<String> words = new ArrayList<>();
        for (OptionSpec s : specs) {
            if (!s.required()) continue;
            if (s.positional()) words.add(s.positionalLabel().toLowerCase());
            else words.add("--" + s.name() + " " + (s.type() == OptionType.ENUM ? s.choices().get(0) : s.metavar()));
        }
        return String.join(" ", words);
    }

    private static void line(StringBuilder b, String left, String right) {
        b.append("  ").append(left);
        if (left.length() + 2 < COLUMN) b.append(" ".repeat(COLUMN - left.length() - 2));
        else b.append('\n').append(" ".repeat(COLUMN));
        b.append(right).append('\n');
    }
}
