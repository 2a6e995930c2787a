package org.sparkdpo.jobs.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Parses one command's arguments with picocli into the command object's annotated fields, in three layers:
 * the annotated defaults &lt; {@code --config} files ({@link ConfigFiles}, picocli's default-value provider) &lt;
 * the command line. Every problem of a run is collected (picocli's {@code collectErrors}) and thrown together as
 * one {@link UsageException} in our wording.
 */
public final class Cli {
    static final String CONFIG = "--config";
    private static final String COMMON = "common";
    private static final Pattern NEGATIVE_NUMBER = Pattern.compile("-\\d.*|-\\.\\d.*");

    private Cli() {}

    /** A picocli command line for {@code command} plus {@link CommonOptions}; {@code usageName} is "spark-dpo show". */
    static CommandLine commandLine(Command command, String usageName) {
        CommandLine cl = new CommandLine(command);
        requireFresh(cl.getCommandSpec());
        cl.addMixin(COMMON, new CommonOptions());
        cl.setCommandName(usageName);
        cl.setOverwrittenOptionsAllowed(true); // the last --x wins, as in most tools
        cl.setExpandAtFiles(false);            // "@x" is a path, not an argument file
        cl.setInterpolateVariables(false);     // "${...}" in values and templates is literal
        cl.getCommandSpec().parser().collectErrors(true);
        Converters.registerOn(cl);
        Help.install(cl, usageName, command.example());
        return cl;
    }

    /**
     * picocli resets an option without a default to the value its field held when the command line was built, so a
     * command object that was parsed before would carry its old values into the next run: refuse it.
     */
    private static void requireFresh(CommandSpec spec) {
        for (ArgSpec a : spec.args()) {
            Object v = a.initialValue();
            boolean zero = v == null || Boolean.FALSE.equals(v) || (v instanceof Number n && n.doubleValue() == 0)
                    || (v instanceof java.util.Collection<?> c && c.isEmpty());
            if (a.defaultValue() == null && !zero) {
                throw new IllegalStateException(spec.name() + ": this command object was already parsed (" + name(a) + " = " + v
                        + "); create a new one for each run");
            }
        }
    }

    static CommonOptions common(CommandLine cl) {
        return (CommonOptions) cl.getMixins().get(COMMON);
    }

    /**
     * Parses {@code args} into {@code command}'s fields, for code that builds one command's settings from an argument
     * list (the pipeline), so defaults come only from the option declarations.
     *
     * @throws UsageException on any problem, or when help is asked for
     */
    public static <C extends Command> C parse(C command, Object... args) {
        String[] a = new String[args.length];
        for (int i = 0; i < args.length; i++) a[i] = String.valueOf(args[i]);
        if (parse(commandLine(command, command.name()), a)) throw new UsageException("--help is not an option here");
        return command;
    }

    /**
     * Parses {@code args} into the command behind {@code cl}; returns true (and checks nothing) when {@code --help}
     * or {@code -h} is among the options.
     *
     * @throws UsageException with one line per problem
     */
    static boolean parse(CommandLine cl, String[] args) {
        CommandSpec spec = cl.getCommandSpec();
        Scan scan = Scan.of(spec, args);
        if (scan.help) return true;
        ConfigFiles config = ConfigFiles.read(spec, scan.configFiles);
        cl.setDefaultValueProvider(config);
        ParseResult result = cl.parseArgs(scan.kept().toArray(String[]::new));

        List<String> errors = new ArrayList<>(scan.errors);
        List<String> stray = new ArrayList<>();
        Set<ArgSpec> failed = new HashSet<>(config.failed());
        for (Exception e : result.errors()) {
            if (e instanceof UnmatchedArgumentException u) {
                for (String arg : u.getUnmatched()) {
                    stray.add("unexpected argument '" + arg + "'"
                            + (spec.positionalParameters().isEmpty() ? " (this command takes no arguments)" : ""));
                }
            } else if (e instanceof MissingParameterException m && m.getMissing() != null) {
                for (ArgSpec a : m.getMissing()) { // picocli's required is not used: this is always a missing value
                    failed.add(a);
                    errors.add(name(a) + ": missing value (" + Help.typeLabel(a) + ")");
                }
            } else if (e instanceof ParameterException p && p.getArgSpec() != null) {
                failed.add(p.getArgSpec());
                errors.add(message(p));
            } else {
                errors.add(e.getMessage());
            }
        }
        errors.addAll(config.errors());
        errors.addAll(stray);
        Check.Sources sources = new Check.Sources() {
            public String where(ArgSpec a) {
                if (onCommandLine(a)) return name(a);
                String file = a instanceof OptionSpec o ? config.origin(o) : null;
                return file != null ? file + ": key '" + ConfigFiles.key((OptionSpec) a) + "'" : "default of " + name(a);
            }

            public boolean onCommandLine(ArgSpec a) {
                return result.matchedArgs().contains(a);
            }

            public boolean inFile(ArgSpec a) {
                return a instanceof OptionSpec o && config.origin(o) != null;
            }
        };
        // after an error picocli may not have applied the defaults: then only command-line values are checked
        errors.addAll(Check.finalValues(spec, sources, failed, result.errors().isEmpty()));
        if (!errors.isEmpty()) throw new UsageException(errors);
        return false;
    }

    /** "--lr: expected a number, got 'abc'". */
    private static String message(ParameterException p) {
        ArgSpec a = p.getArgSpec();
        if (p.getCause() instanceof TypeConversionException t) return name(a) + ": " + t.getMessage();
        return name(a) + ": " + p.getMessage();
    }

    /** How messages name an argument given on the command line: "--lr", "argument PATH". */
    static String name(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : "argument " + a.paramLabel();
    }

    /** Every option's effective value by key, in declaration order: as a YAML/JSON file, a valid --config. */
    static Map<String, Object> effectiveOptions(CommandLine cl) {
        Map<String, Object> m = new LinkedHashMap<>();
        CommandSpec spec = cl.getCommandSpec();
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.longestName().equals(CONFIG)) continue;
            m.put(ConfigFiles.key(o), o.getValue());
        }
        for (var p : spec.positionalParameters()) {
            OptionSpec twin = Check.twinOf(spec, p);
            if (twin != null && p.getValue() != null) m.put(ConfigFiles.key(twin), p.getValue());
        }
        return m;
    }

    /**
     * A pass over the arguments before picocli: collects the {@code --config} files (they feed the defaults, which
     * picocli applies while parsing), notices {@code --help}, and takes out unknown options with a "did you mean"
     * and the value that follows them, so it is not reported again as a stray argument.
     */
    private static final class Scan {
        /** The arguments for picocli, grouped: an option with its value, or one bare argument. */
        final List<List<String>> groups = new ArrayList<>();
        /** The option of each group (null for bare arguments). */
        final List<OptionSpec> owners = new ArrayList<>();
        final List<String> configFiles = new ArrayList<>();
        final List<String> errors = new ArrayList<>();
        boolean help;

        static Scan of(CommandSpec spec, String[] args) {
            Scan s = new Scan();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--")) {
                    s.add(null, List.of(java.util.Arrays.copyOfRange(args, i, args.length)));
                    break;
                }
                if (!a.startsWith("-") || a.equals("-") || NEGATIVE_NUMBER.matcher(a).matches()) {
                    s.add(null, List.of(a));
                    continue;
                }
                int eq = a.indexOf('=');
                String name = eq >= 0 ? a.substring(0, eq) : a;
                boolean hasNext = eq < 0 && i + 1 < args.length;
                OptionSpec o = option(spec, name);
                if (o != null && o.usageHelp()) {
                    s.help = true;
                    continue;
                }
                if (o != null) {
                    boolean takesValue = o.arity().min() > 0 && eq < 0;
                    if (name.equals(CONFIG)) {
                        if (eq >= 0) s.configFiles.add(a.substring(eq + 1));
                        else if (hasNext && !args[i + 1].startsWith("--")) s.configFiles.add(args[i + 1]);
                    }
                    if (takesValue && hasNext && option(spec, args[i + 1]) == null) s.add(o, List.of(a, args[++i]));
                    else s.add(o, List.of(a));
                    continue;
                }
                s.errors.add(unknown(spec, name));
                if (hasNext && !args[i + 1].startsWith("--") && option(spec, args[i + 1]) == null) {
                    i++; // most likely its value: not a stray argument
                }
            }
            return s;
        }

        private void add(OptionSpec owner, List<String> args) {
            groups.add(args);
            owners.add(owner);
        }

        /**
         * What picocli parses. A list option given more than once keeps its last occurrence, so that the command line
         * replaces a value as it does for single values (picocli would collect all of them); --config collects.
         */
        List<String> kept() {
            List<String> out = new ArrayList<>();
            for (int g = 0; g < groups.size(); g++) {
                OptionSpec o = owners.get(g);
                boolean replacedLater = o != null && o.isMultiValue() && !o.longestName().equals(CONFIG)
                        && owners.subList(g + 1, owners.size()).contains(o);
                if (!replacedLater) out.addAll(groups.get(g));
            }
            return out;
        }

        /** The option called exactly {@code name} ("--lr", "--no-overwrite", "-h"), or null. */
        private static OptionSpec option(CommandSpec spec, String name) {
            OptionSpec o = spec.findOption(name);
            if (o != null && java.util.Arrays.asList(o.names()).contains(name)) return o;
            return spec.negatedOptionsMap().get(name);
        }

        private static String unknown(CommandSpec spec, String name) {
            if (name.startsWith("--no-")) {
                OptionSpec base = spec.findOption("--" + name.substring(5));
                if (base != null) return name + ": only flags can be negated; " + base.longestName() + " takes a value";
            }
            List<String> known = new ArrayList<>();
            for (OptionSpec o : spec.options()) known.add(o.longestName().substring(2));
            if (!name.startsWith("--")) {
                return "unknown option " + name + hint(name.substring(1), known) + "; options start with --";
            }
            return "unknown option " + name + hint(name.substring(2), known);
        }

        private static String hint(String name, List<String> known) {
            return Suggestions.closest(name, known).map(s -> " (did you mean --" + s + "?)").orElse("");
        }
    }
}
