package org.sparkdpo.jobs.cli.options;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Merges an option's sources, lowest to highest precedence: the spec's default, then {@code --config FILE}s (YAML
 * or JSON by extension, top-level keys are option names, repeatable: later files win), then the command line
 * ({@code --name value}, {@code --name=value}, {@code --flag}, {@code --no-flag}, bare positional arguments,
 * {@code --} ending options). Every problem found is collected and thrown together as one
 * {@link OptionsException}; {@code --help}/{@code -h} short-circuits everything and only sets
 * {@link ParsedOptions#helpRequested()}.
 */
public final class OptionParser {
    private static final Pattern NEGATIVE_NUMBER = Pattern.compile("-\\d.*|-\\.\\d.*");

    private OptionParser() {}

    /**
     * Parses {@code args} against {@code specs}.
     *
     * @throws OptionsException         with one line per user error
     * @throws IllegalArgumentException when the specs themselves are inconsistent (duplicate names)
     */
    public static ParsedOptions parse(List<OptionSpec> specs, String[] args) {
        Map<String, OptionSpec> byName = index(specs);
        Run run = new Run(byName);
        run.readCommandLine(args);

        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        for (OptionSpec s : specs) {
            Object d = null;
            if (s.defaultValue() != null) {
                try {
                    d = Values.convert(s.type() == OptionType.LIST ? Values.splitList(s.defaultValue()) : s.defaultValue(),
                            s.type(), s.choices());
                } catch (Values.BadValue e) {
                    throw new IllegalStateException("unreachable: defaults are checked when the spec is built", e);
                }
            }
            values.put(s.name(), d);
            origins.put(s.name(), d == null ? null : ParsedOptions.DEFAULT);
        }
        if (run.help) return new ParsedOptions(byName, values, origins, run.configFiles, true);

        for (String file : run.configFiles) {
            for (Map.Entry<String, Object> e : run.readConfigFile(file).entrySet()) {
                values.put(e.getKey(), e.getValue());
                origins.put(e.getKey(), file);
            }
        }
        run.assignPositionals();
        for (Map.Entry<String, Object> e : run.cliValues.entrySet()) {
            values.put(e.getKey(), e.getValue());
            origins.put(e.getKey(), ParsedOptions.COMMAND_LINE);
        }
        for (OptionSpec s : specs) {
            if (run.failed.contains(s.name())) continue;
            Object v = values.get(s.name());
            if (v == null) {
                if (s.required()) {
                    run.errors.add(s.positional()
                            ? "missing required argument " + s.positionalLabel() + " (or --" + s.name() + ")"
                            : "missing required option --" + s.name());
                }
            } else if (s.validator() != null && !s.validator().accepts(v)) {
                run.errors.add(run.where(s.name(), origins.get(s.name())) + ": must " + s.validator().description()
                        + ", got " + Values.display(v));
            }
        }
        if (!run.errors.isEmpty()) throw new OptionsException(run.errors);
        return new ParsedOptions(byName, values, origins, run.configFiles, false);
    }

    private static Map<String, OptionSpec> index(List<OptionSpec> specs) {
        Map<String, OptionSpec> byName = new LinkedHashMap<>();
        for (OptionSpec s : specs) {
            if (byName.put(s.name(), s) != null) throw new IllegalArgumentException("option declared twice: " + s.name());
        }
        for (OptionSpec s : specs) {
            if (byName.containsKey("no-" + s.name())) throw new IllegalArgumentException("ambiguous: no-" + s.name());
        }
        return byName;
    }

    /** State of one parse: what the command line gave, and every error so far. */
    private static final class Run {
        final Map<String, OptionSpec> byName;
        final List<String> errors = new ArrayList<>();
        final Set<String> failed = new HashSet<>();
        final List<String> configFiles = new ArrayList<>();
        final Map<String, Object> cliValues = new LinkedHashMap<>();
        final List<String> positionals = new ArrayList<>();
        final Set<String> positionalNames = new HashSet<>();
        final Set<String> givenOnCommandLine = new HashSet<>();
        boolean help;

        Run(Map<String, OptionSpec> byName) {
            this.byName = byName;
        }

        void readCommandLine(String[] args) {
            boolean onlyPositionals = false;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (onlyPositionals || !a.startsWith("-") || a.equals("-") || NEGATIVE_NUMBER.matcher(a).matches()) {
                    positionals.add(a);
                    continue;
                }
                if (a.equals("--")) {
                    onlyPositionals = true;
                    continue;
                }
                if (a.equals("--help") || a.equals("-h")) {
                    help = true;
                    continue;
                }
                if (!a.startsWith("--")) {
                    errors.add("unknown option " + a + hint(a.substring(1)) + "; options start with --");
                    continue;
                }
                String body = a.substring(2);
                int eq = body.indexOf('=');
                String name = eq >= 0 ? body.substring(0, eq) : body;
                String value = eq >= 0 ? body.substring(eq + 1) : null;
                boolean takesNext = value == null && i + 1 < args.length && !args[i + 1].startsWith("--");

                if (name.equals("config")) {
                    if (value == null && !takesNext) errors.add("--config: missing value (a .yaml, .yml or .json file)");
                    else configFiles.add(value != null ? value : args[++i]);
                    continue;
                }
                OptionSpec spec = byName.get(name);
                if (spec == null && name.startsWith("no-") && byName.containsKey(name.substring(3))) {
                    OptionSpec base = byName.get(name.substring(3));
                    givenOnCommandLine.add(base.name());
                    if (base.type() != OptionType.BOOL) {
                        errors.add("--" + name + ": only flags can be negated; --" + base.name() + " takes a value");
                    } else if (value != null) {
                        errors.add("--" + name + ": takes no value");
                    } else {
                        cliValues.put(base.name(), false);
                    }
                    continue;
                }
                if (spec == null) {
                    errors.add("unknown option --" + name + hint(name));
                    if (takesNext) i++; // most likely its value: do not report it again as a stray argument
                    continue;
                }
                givenOnCommandLine.add(name);
                if (spec.type() == OptionType.BOOL && value == null) {
                    cliValues.put(name, true);
                    continue;
                }
                if (value == null) {
                    if (!takesNext) {
                        errors.add("--" + name + ": missing value (" + spec.type().label() + ")");
                        failed.add(name);
                        continue;
                    }
                    value = args[++i];
                }
                convertInto(spec, value, "--" + name);
            }
        }

        void assignPositionals() {
            List<OptionSpec> slots = byName.values().stream().filter(OptionSpec::positional).toList();
            for (int i = 0; i < positionals.size(); i++) {
                String arg = positionals.get(i);
                if (i >= slots.size()) {
                    errors.add("unexpected argument '" + arg + "'"
                            + (slots.isEmpty() ? " (this command takes no arguments)" : ""));
                    continue;
                }
                OptionSpec s = slots.get(i);
                if (givenOnCommandLine.contains(s.name())) {
                    errors.add(s.positionalLabel() + " given twice: as argument '" + arg + "' and as --" + s.name());
                    failed.add(s.name());
                    continue;
                }
                positionalNames.add(s.name());
                givenOnCommandLine.add(s.name());
                convertInto(s, arg, "argument " + s.positionalLabel());
            }
        }

        /** Reads one config file into typed values; problems go to {@link #errors}. */
        Map<String, Object> readConfigFile(String file) {
            Map<String, Object> out = new LinkedHashMap<>();
            String lower = file.toLowerCase(Locale.ROOT);
            boolean yaml = lower.endsWith(".yaml") || lower.endsWith(".yml");
            if (!yaml && !lower.endsWith(".json")) {
                errors.add("--config " + file + ": unknown format; use a .yaml, .yml or .json file");
                return out;
            }
            Path p = Path.of(file);
            if (!Files.isRegularFile(p)) {
                errors.add("--config " + file + ": no such file");
                return out;
            }
            ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
            mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            JsonNode root;
            try {
                root = mapper.readTree(p.toFile());
            } catch (JsonProcessingException e) {
                String loc = e.getLocation() == null ? ""
                        : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
                errors.add(file + ": invalid " + (yaml ? "YAML" : "JSON") + loc + ": " + firstLine(e.getOriginalMessage()));
                return out;
            } catch (IOException e) {
                errors.add(file + ": cannot read: " + e.getMessage());
                return out;
            }
            if (root == null || root.isMissingNode() || root.isNull()) return out; // empty file
            if (!root.isObject()) {
                errors.add(file + ": expected option names as top-level keys, got " + kind(root));
                return out;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String key = field.getKey();
                JsonNode node = field.getValue();
                String where = file + ": key '" + key + "'";
                OptionSpec spec = byName.get(key);
                if (key.equals("config")) {
                    errors.add(where + ": a config file cannot name other config files");
                    continue;
                }
                if (spec == null) {
                    errors.add(file + ": unknown key '" + key + "'"
                            + Suggestions.closest(key, byName.keySet()).map(s -> " (did you mean '" + s + "'?)").orElse(""));
                    continue;
                }
                if (node.isNull()) continue; // "key:" with no value means unset
                Object raw;
                if (node.isObject()) {
                    errors.add(where + ": nested objects are not supported; give a plain value or a list");
                    failed.add(key);
                    continue;
                } else if (node.isArray()) {
                    if (spec.type() != OptionType.LIST) {
                        errors.add(where + ": expected a single value (" + spec.type().label() + "), got a list");
                        failed.add(key);
                        continue;
                    }
                    List<String> items = new ArrayList<>();
                    boolean ok = true;
                    for (JsonNode item : node) {
                        if (!item.isValueNode() || item.isNull()) ok = false;
                        else items.add(item.asText());
                    }
                    if (!ok) {
                        errors.add(where + ": list items must be plain values");
                        failed.add(key);
                        continue;
                    }
                    raw = items;
                } else {
                    raw = node.asText();
                }
                try {
                    out.put(key, Values.convert(raw, spec.type(), spec.choices()));
                    failed.remove(key);
                } catch (Values.BadValue e) {
                    errors.add(where + ": " + e.getMessage());
                    failed.add(key);
                }
            }
            return out;
        }

        /** How errors name the source of a value: "--lr", "argument PATH", "conf.yaml: key 'lr'". */
        String where(String name, String origin) {
            if (ParsedOptions.COMMAND_LINE.equals(origin)) {
                return positionalNames.contains(name) ? "argument " + byName.get(name).positionalLabel() : "--" + name;
            }
            if (ParsedOptions.DEFAULT.equals(origin)) return "default of --" + name;
            return origin + ": key '" + name + "'";
        }

        private void convertInto(OptionSpec spec, String value, String label) {
            try {
                cliValues.put(spec.name(), Values.convert(value, spec.type(), spec.choices()));
                failed.remove(spec.name());
            } catch (Values.BadValue e) {
                errors.add(label + ": " + e.getMessage());
                cliValues.remove(spec.name());
                failed.add(spec.name());
            }
        }

        private String hint(String name) {
            List<String> known = new ArrayList<>(byName.keySet());
            known.add("config");
            known.add("help");
            return Suggestions.closest(name, known).map(s -> " (did you mean --" + s + "?)").orElse("");
        }
    }

    private static String kind(JsonNode n) {
        return n.isArray() ? "a list" : "a single value";
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
