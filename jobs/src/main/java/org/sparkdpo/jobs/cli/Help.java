package org.sparkdpo.jobs.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IHelpSectionRenderer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The {@code --help} layout, installed as picocli help sections: usage line, summary, arguments, options (each with
 * its type, default and rule, from the same annotations that drive parsing and checks), then an example.
 */
final class Help {
    private static final int COLUMN = 26;

    private Help() {}

    /** Makes {@code cl.usage(...)} print our layout; {@code usageName} is "spark-dpo show". */
    static void install(CommandLine cl, String usageName, String example) {
        Map<String, IHelpSectionRenderer> sections = new LinkedHashMap<>();
        sections.put("usage", h -> "Usage: " + usageName + synopsis(h.commandSpec()) + " [options]\n\n");
        sections.put("summary", h -> String.join("\n", h.commandSpec().usageMessage().description()) + "\n");
        sections.put("arguments", h -> arguments(h.commandSpec()));
        sections.put("options", h -> options(h.commandSpec()));
        sections.put("example", h -> "\nExample:\n  " + usageName + " "
                + (example != null ? example : defaultExample(h.commandSpec())) + "\n");
        cl.setHelpSectionMap(sections);
        cl.setHelpSectionKeys(new ArrayList<>(sections.keySet()));
    }

    private static String synopsis(CommandSpec spec) {
        StringBuilder b = new StringBuilder();
        for (PositionalParamSpec p : spec.positionalParameters()) {
            b.append(' ').append(Check.required(p) ? p.paramLabel() : "[" + p.paramLabel() + "]");
        }
        return b.toString();
    }

    private static String arguments(CommandSpec spec) {
        if (spec.positionalParameters().isEmpty()) return "";
        StringBuilder b = new StringBuilder("\nArguments:\n");
        for (PositionalParamSpec p : spec.positionalParameters()) {
            OptionSpec twin = Check.twinOf(spec, p);
            String details = twin == null ? details(p) : details(p).replaceFirst("^[a-z]+", typeLabel(twin)) + "; or " + twin.longestName();
            line(b, p.paramLabel(), description(p) + " (" + details + ")");
        }
        return b.toString();
    }

    /**
     * Declaration order, except that the training-loop options a command inherits ({@link LoopOptions}) follow the
     * command's own options (picocli lists a superclass's options first).
     */
    static java.util.List<OptionSpec> inDisplayOrder(CommandSpec spec) {
        java.util.List<OptionSpec> loop = new java.util.ArrayList<>();
        java.util.List<OptionSpec> rest = new java.util.ArrayList<>();
        for (OptionSpec o : spec.options()) (declaredIn(o, LoopOptions.class) ? loop : rest).add(o);
        Class<?> own = spec.userObject() == null ? null : spec.userObject().getClass();
        int at = 0;
        while (at < rest.size() && own != null && declaredIn(rest.get(at), own)) at++;
        rest.addAll(at, loop);
        return rest;
    }

    private static boolean declaredIn(OptionSpec o, Class<?> c) {
        return o.userObject() instanceof java.lang.reflect.Field f && f.getDeclaringClass() == c;
    }

    private static String options(CommandSpec spec) {
        StringBuilder b = new StringBuilder("\nOptions:\n");
        for (OptionSpec o : inDisplayOrder(spec)) {
            if (o.hidden()) continue;
            boolean common = o.usageHelp() || o.longestName().equals(Cli.CONFIG);
            String meta = metavar(o);
            line(b, o.longestName() + (meta.isEmpty() ? "" : " " + meta), description(o) + (common ? "" : " (" + details(o) + ")"));
        }
        return b.toString();
    }

    private static String description(ArgSpec a) {
        return String.join(" ", a.description());
    }

    /** "int; default: 20; must be >= 0", "path; required", "flag; default: false". */
    static String details(ArgSpec a) {
        List<String> parts = new ArrayList<>();
        parts.add(typeLabel(a));
        if (Check.required(a)) parts.add("required");
        else if (a.defaultValue() != null) parts.add("default: " + (a.defaultValue().isEmpty() ? "\"\"" : a.defaultValue()));
        else if (isFlag(a)) parts.add("default: false");
        else parts.add("default: none");
        String rule = Check.rule(a);
        if (rule != null) parts.add("must " + rule);
        return String.join("; ", parts);
    }

    static boolean isFlag(ArgSpec a) {
        return a.type() == boolean.class || a.type() == Boolean.class;
    }

    /** The type as help and messages name it: int, long, number, flag, path, choice, list, text. */
    static String typeLabel(ArgSpec a) {
        Class<?> t = a.type();
        if (t == int.class || t == Integer.class) return "int";
        if (t == long.class || t == Long.class) return "long";
        if (t == double.class || t == Double.class) return "number";
        if (isFlag(a)) return "flag";
        if (Collection.class.isAssignableFrom(t)) return "list";
        if (!Check.choices(a).isEmpty()) return "choice";
        return "PATH".equals(a.paramLabel()) ? "path" : "text";
    }

    /** The placeholder after the option name: "INT", "a|b|c", "A,B,...", "" for flags; an explicit paramLabel wins. */
    static String metavar(ArgSpec a) {
        if (isFlag(a)) return "";
        if (!a.paramLabel().startsWith("<")) return a.paramLabel();
        if (!Check.choices(a).isEmpty()) return String.join("|", Check.choices(a));
        return switch (typeLabel(a)) {
            case "int" -> "INT";
            case "long" -> "LONG";
            case "number" -> "NUM";
            case "list" -> "A,B,...";
            default -> "TEXT";
        };
    }

    /** The required options filled with placeholders: "path --model PATH". */
    static String defaultExample(CommandSpec spec) {
        List<String> words = new ArrayList<>();
        for (ArgSpec a : spec.args()) {
            if (!Check.required(a)) continue;
            if (a instanceof PositionalParamSpec p) {
                words.add(p.paramLabel().toLowerCase(java.util.Locale.ROOT));
            } else {
                List<String> choices = Check.choices(a);
                words.add(((OptionSpec) a).longestName() + " " + (choices.isEmpty() ? metavar(a) : choices.get(0)));
            }
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
