package org.sparkdpo.jobs.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.jobs.common.Sha256;

/**
 * The JSON-lines form of {@link LabelPair}: {@code pair_id, prompt, answer_a, answer_b, model, adapter}, as in the
 * {@code PREFS.jsonl.answers} file and the {@code --pairs FILE} input. In a pairs file {@code pair_id} may be given
 * as {@code id} or left out (then it is a hash of prompt and answers, stable across reruns), the prompt may be given
 * as {@code messages}, and {@code model}/{@code adapter} are optional. A bad line fails naming file and line.
 */
public final class PairLines {
    static final ObjectMapper JSON = new ObjectMapper();

    private PairLines() {}

    /** Reads a {@code --pairs} file: every non-blank line must be a valid pair; ids must be unique. */
    public static List<LabelPair> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new JobFailedException("pairs file " + file + " does not exist");
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, LabelPair> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            String where = file + ":" + (i + 1);
            LabelPair p = parse(lines.get(i), where);
            if (out.putIfAbsent(p.pairId(), p) != null) {
                throw new JobFailedException(where + ": pair id '" + p.pairId() + "' is used twice");
            }
        }
        if (out.isEmpty()) throw new JobFailedException("pairs file " + file + " holds no pairs");
        return new ArrayList<>(out.values());
    }

    /** One pair line; {@code where} ("file:line") prefixes every error. */
    public static LabelPair parse(String line, String where) {
        JsonNode row;
        try {
            row = JSON.readTree(line);
        } catch (IOException e) {
            throw new JobFailedException(where + ": not a JSON object");
        }
        if (row == null || !row.isObject()) throw new JobFailedException(where + ": not a JSON object");
        Object prompt = prompt(row.has("prompt") ? row.get("prompt") : row.get("messages"), where);
        String a = requiredText(row, "answer_a", where), b = requiredText(row, "answer_b", where);
        String id = optionalText(row, "pair_id", where);
        if (id == null) id = optionalText(row, "id", where);
        if (id == null) id = contentId(row.has("prompt") ? row.get("prompt") : row.get("messages"), a, b);
        if (id.isEmpty()) throw new JobFailedException(where + ": pair_id is empty");
        return new LabelPair(id, prompt, a, b, optionalText(row, "model", where), optionalText(row, "adapter", where));
    }

    /** A stable id from the content: the first 16 hex digits of sha-256(prompt JSON, answer_a, answer_b). */
    static String contentId(JsonNode prompt, String a, String b) {
        return Sha256.of(prompt.toString() + "\u0000" + a + "\u0000" + b).substring(0, 16);
    }

    private static Object prompt(JsonNode v, String where) {
        if (v != null && v.isTextual() && !v.asText().isEmpty()) return v.asText();
        if (v == null || !v.isArray() || v.isEmpty()) {
            throw new JobFailedException(where + ": 'prompt' must be non-empty text or a non-empty list of {role, content} messages");
        }
        List<Map<String, String>> messages = new ArrayList<>();
        for (JsonNode m : v) {
            JsonNode role = m.get("role"), content = m.get("content");
            if (!m.isObject() || role == null || !role.isTextual() || content == null || !content.isTextual()) {
                throw new JobFailedException(where + ": message " + messages.size() + " is not {\"role\": text, \"content\": text}");
            }
            messages.add(Map.of("role", role.asText(), "content", content.asText()));
        }
        return List.copyOf(messages);
    }

    private static String requiredText(JsonNode row, String field, String where) {
        String v = optionalText(row, field, where);
        if (v == null) throw new JobFailedException(where + ": no '" + field + "' (text)");
        return v;
    }

    private static String optionalText(JsonNode row, String field, String where) {
        JsonNode v = row.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isValueNode() || v.isBinary()) throw new JobFailedException(where + ": '" + field + "' must be text");
        return v.asText();
    }

    /** The prompt as JSON: text, or the list of {role, content} messages. */
    public static JsonNode promptJson(LabelPair p) {
        if (!p.conversational()) return JSON.getNodeFactory().textNode((String) p.prompt());
        ArrayNode arr = JSON.createArrayNode();
        for (Map<String, String> m : p.messages()) arr.addObject().put("role", m.get("role")).put("content", m.get("content"));
        return arr;
    }

    /** The answers-file line of a pair (no trailing newline). */
    public static String line(LabelPair p) {
        ObjectNode o = JSON.createObjectNode();
        o.put("pair_id", p.pairId());
        o.set("prompt", promptJson(p));
        o.put("answer_a", p.answerA());
        o.put("answer_b", p.answerB());
        o.put("model", p.model());
        o.put("adapter", p.adapter());
        return o.toString();
    }
}
