package org.sparkdpo.model.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Typed, validating access to the fields of one Hugging Face JSON object. Every error names the file and the field,
 * because users edit these files by hand and need to know exactly what to fix.
 */
public final class JsonFields {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private final ObjectNode root;

    private JsonFields(Path file, ObjectNode root) {
        this.file = file;
        this.root = root;
    }

    /** Reads {@code file}, which must hold a JSON object. */
    public static JsonFields read(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "file not found");
        JsonNode node;
        try (InputStream in = Files.newInputStream(file)) {
            node = MAPPER.readTree(in);
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException(file, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) throw new InvalidConfigException(file, null, "expected a JSON object at the top level");
        return new JsonFields(file, (ObjectNode) node);
    }

    public Path file() {
        return file;
    }

    public ObjectNode root() {
        return root;
    }

    /** True if the key is present with a non-null value. */
    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    public InvalidConfigException error(String field, String problem) {
        return new InvalidConfigException(file, field, problem);
    }

    /** A required integer (JSON number with an integral value that fits an int). */
    public int requiredInt(String key) throws InvalidConfigException {
        if (!has(key)) throw error(key, "required field is missing");
        return toInt(key, root.get(key));
    }

    /** A required integer that must be at least 1. */
    public int requiredPositiveInt(String key) throws InvalidConfigException {
        int v = requiredInt(key);
        if (v <= 0) throw error(key, "must be positive, got " + v);
        return v;
    }

    /** An optional integer; null when absent or JSON null. */
    public Integer optionalInt(String key) throws InvalidConfigException {
        return has(key) ? toInt(key, root.get(key)) : null;
    }

    /** An integer or, as newer configs write for models with several stop tokens, a list of them (the first is returned). */
    public OptionalInt intOrFirstOfList(String key) throws InvalidConfigException {
        if (!has(key)) return OptionalInt.empty();
        JsonNode n = root.get(key);
        if (n.isArray()) {
            if (n.isEmpty()) return OptionalInt.empty();
            return OptionalInt.of(toInt(key + "[0]", n.get(0)));
        }
        return OptionalInt.of(toInt(key, n));
    }

    public double doubleOr(String key, double dflt) throws InvalidConfigException {
        if (!has(key)) return dflt;
        JsonNode n = root.get(key);
        if (!n.isNumber()) throw error(key, "expected a number, got " + n);
        return n.doubleValue();
    }

    public boolean booleanOr(String key, boolean dflt) throws InvalidConfigException {
        if (!has(key)) return dflt;
        JsonNode n = root.get(key);
        if (!n.isBoolean()) throw error(key, "expected true or false, got " + n);
        return n.booleanValue();
    }

    public String stringOr(String key, String dflt) throws InvalidConfigException {
        if (!has(key)) return dflt;
        JsonNode n = root.get(key);
        if (!n.isTextual()) throw error(key, "expected a string, got " + n);
        return n.textValue();
    }

    private int toInt(String key, JsonNode n) throws InvalidConfigException {
        if (n.isIntegralNumber() && n.canConvertToInt()) return n.intValue();
        if (n.isFloatingPointNumber() && n.doubleValue() == Math.rint(n.doubleValue())
                && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
            return (int) n.doubleValue();
        }
        throw error(key, "expected an integer, got " + n);
    }
}
