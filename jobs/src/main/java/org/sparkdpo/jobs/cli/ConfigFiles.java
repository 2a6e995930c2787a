package org.sparkdpo.jobs.cli;

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
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.TypeConversionException;

/**
 * The middle layer of defaults &lt; {@code --config} files &lt; command line: the values of one command's config
 * files (YAML {@code .yaml}/{@code .yml} or JSON {@code .json}; top-level keys are option names without
 * {@code --}; later files win), served to picocli as its {@link IDefaultValueProvider}, which picocli consults
 * before an option's annotated default and only for options not given on the command line.
 *
 * <p>Every value is checked here with the option's converter, so a bad value is reported with its file and key and
 * picocli only ever sees good ones. Problems are collected in {@link #errors()}, one line each.
 */
final class ConfigFiles implements IDefaultValueProvider {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> origins = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();
    private final Set<ArgSpec> failed = new HashSet<>();
    private final CommandSpec spec;

    private ConfigFiles(CommandSpec spec) {
        this.spec = spec;
    }

    /** Reads {@code files} in order for the options of {@code spec}. */
    static ConfigFiles read(CommandSpec spec, List<String> files) {
        ConfigFiles c = new ConfigFiles(spec);
        for (String f : files) c.readFile(f);
        return c;
    }

    /** The option's key in files: its long name without the dashes. */
    static String key(OptionSpec o) {
        return o.longestName().substring(2);
    }

    @Override
    public String defaultValue(ArgSpec a) {
        return a instanceof OptionSpec o ? values.get(key(o)) : null;
    }

    /** The file that set this option, or null. */
    String origin(OptionSpec o) {
        return origins.get(key(o));
    }

    List<String> errors() {
        return errors;
    }

    /** Options whose file value was rejected (their errors are already in {@link #errors()}). */
    Set<ArgSpec> failed() {
        return failed;
    }

    private void readFile(String file) {
        String lower = file.toLowerCase(Locale.ROOT);
        boolean yaml = lower.endsWith(".yaml") || lower.endsWith(".yml");
        if (!yaml && !lower.endsWith(".json")) {
            errors.add("--config " + file + ": unknown format; use a .yaml, .yml or .json file");
            return;
        }
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
            errors.add("--config " + file + ": no such file");
            return;
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
            return;
        } catch (IOException e) {
            errors.add(file + ": cannot read: " + e.getMessage());
            return;
        }
        if (root == null || root.isMissingNode() || root.isNull()) return; // empty file
        if (!root.isObject()) {
            errors.add(file + ": expected option names as top-level keys, got " + (root.isArray() ? "a list" : "a single value"));
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            readKey(file, field.getKey(), field.getValue());
        }
    }

    private void readKey(String file, String key, JsonNode node) {
        String where = file + ": key '" + key + "'";
        if (key.equals("config")) {
            errors.add(where + ": a config file cannot name other config files");
            return;
        }
        OptionSpec o = key.startsWith("-") ? null : spec.findOption("--" + key);
        if (o == null || o.usageHelp()) {
            errors.add(file + ": unknown key '" + key + "'" + Suggestions.closest(key, keys())
                    .map(s -> " (did you mean '" + s + "'?)").orElse(""));
            return;
        }
        if (node.isNull()) return; // "key:" with no value means unset
        String text;
        try {
            text = text(o, node);
        } catch (IllegalArgumentException | TypeConversionException e) {
            errors.add(where + ": " + e.getMessage());
            failed.add(o);
            values.remove(key);
            origins.remove(key);
            return;
        }
        failed.remove(o);
        values.put(key, text);
        origins.put(key, file);
    }

    /** The value as picocli should read it: lists joined with commas, scalars in their canonical form. */
    private static String text(OptionSpec o, JsonNode node) {
        if (node.isObject()) throw new IllegalArgumentException("nested objects are not supported; give a plain value or a list");
        if (node.isArray()) {
            if (!o.isMultiValue()) {
                throw new IllegalArgumentException("expected a single value (" + Help.typeLabel(o) + "), got a list");
            }
            List<String> items = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isValueNode() || item.isNull()) throw new IllegalArgumentException("list items must be plain values");
                items.add(item.asText());
            }
            return String.join(",", items);
        }
        return o.isMultiValue() ? node.asText() : Converters.canonical(o.type(), node.asText());
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (OptionSpec o : spec.options()) if (!o.usageHelp() && !o.longestName().equals("--config")) keys.add(key(o));
        return keys;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
