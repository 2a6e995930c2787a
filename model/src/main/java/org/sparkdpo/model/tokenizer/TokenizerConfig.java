package org.sparkdpo.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparkdpo.model.config.InvalidConfigException;
import org.sparkdpo.model.config.JsonFields;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;

/**
 * The parts of {@code tokenizer_config.json} that change how text becomes ids: special tokens, whether the slow
 * tokenizer would add BOS/EOS, the chat template and the model's context length. Hugging Face writes special tokens
 * either as plain strings or as AddedToken objects ({@code {"content": ..., "lstrip": ...}}); both are accepted.
 *
 * @param chatTemplate the Jinja chat template: {@code chat_template.jinja} in the folder if present (newer
 *     transformers), else {@code chat_template} here (a string, or a list of {name, template} of which "default" is
 *     taken), else {@code chat_template} in {@code chat_template.json}; null if none
 * @param modelMaxLength null if absent, not a positive integer, or absurd (HF writes int(1e30) for "no limit")
 * @param raw the whole file as plain Java maps/lists/strings/numbers, unmodifiable; empty if the file is absent
 */
public record TokenizerConfig(String bosToken, String eosToken, String padToken, String unkToken, boolean addBosToken,
                              boolean addEosToken, String chatTemplate, Integer modelMaxLength, Map<String, Object> raw) {

    public static final String FILE_NAME = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE_FILE = "chat_template.jinja";
    public static final String CHAT_TEMPLATE_JSON = "chat_template.json";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public TokenizerConfig {
        raw = raw == null ? Map.of() : Collections.unmodifiableMap(raw);
    }

    /** A config with nothing set, used when a model folder has no tokenizer_config.json. */
    public static TokenizerConfig empty() {
        return new TokenizerConfig(null, null, null, null, false, false, null, null, Map.of());
    }

    /**
     * Reads {@code modelDir/tokenizer_config.json} (empty config if absent) and the chat template files beside it.
     *
     * @throws NoSuchFileException if {@code modelDir} itself does not exist
     * @throws InvalidConfigException if a file is present but malformed; the message names file and field
     */
    public static TokenizerConfig load(Path modelDir) throws IOException {
        if (!Files.isDirectory(modelDir)) throw new NoSuchFileException(modelDir.toString(), null, "model folder not found");
        Path file = modelDir.resolve(FILE_NAME);
        TokenizerConfig cfg = Files.exists(file) ? parse(JsonFields.read(file)) : empty();

        Path jinja = modelDir.resolve(CHAT_TEMPLATE_FILE);
        String template = cfg.chatTemplate();
        if (Files.exists(jinja)) {
            template = Files.readString(jinja, StandardCharsets.UTF_8);
        } else if (template == null && Files.exists(modelDir.resolve(CHAT_TEMPLATE_JSON))) {
            JsonFields json = JsonFields.read(modelDir.resolve(CHAT_TEMPLATE_JSON));
            template = chatTemplateOf(json);
        }
        return cfg.withChatTemplate(template);
    }

    /** Parses an already-read tokenizer_config.json. */
    public static TokenizerConfig parse(JsonFields json) throws InvalidConfigException {
        ObjectNode root = json.root();
        @SuppressWarnings("unchecked")
        Map<String, Object> raw = MAPPER.convertValue(root, Map.class);
        return new TokenizerConfig(token(json, "bos_token"), token(json, "eos_token"), token(json, "pad_token"),
                token(json, "unk_token"), json.booleanOr("add_bos_token", false), json.booleanOr("add_eos_token", false),
                chatTemplateOf(json), modelMaxLength(root.get("model_max_length")), raw);
    }

    /** Same config with another chat template. */
    public TokenizerConfig withChatTemplate(String template) {
        return new TokenizerConfig(bosToken, eosToken, padToken, unkToken, addBosToken, addEosToken, template,
                modelMaxLength, raw);
    }

    private static String token(JsonFields json, String key) throws InvalidConfigException {
        if (!json.has(key)) return null;
        JsonNode n = json.root().get(key);
        if (n.isTextual()) return n.textValue();
        if (n.isObject()) {
            JsonNode content = n.get("content");
            if (content != null && content.isTextual()) return content.textValue();
            throw json.error(key, "AddedToken object without a string 'content': " + n);
        }
        throw json.error(key, "expected a string or an AddedToken object {\"content\": ...}, got " + n);
    }

    private static String chatTemplateOf(JsonFields json) throws InvalidConfigException {
        if (!json.has("chat_template")) return null;
        JsonNode n = json.root().get("chat_template");
        if (n.isTextual()) return n.textValue();
        if (n.isArray()) {
            StringBuilder names = new StringBuilder();
            for (JsonNode t : n) {
                JsonNode name = t.get("name");
                JsonNode tpl = t.get("template");
                if (name == null || !name.isTextual() || tpl == null || !tpl.isTextual()) {
                    throw json.error("chat_template", "list entries must be {\"name\": string, \"template\": string}, got " + t);
                }
                if (name.textValue().equals("default")) return tpl.textValue();
                names.append(names.length() == 0 ? "" : ", ").append(name.textValue());
            }
            throw json.error("chat_template", "a list of named templates without a 'default' one (names: " + names + ")");
        }
        throw json.error("chat_template", "expected a string or a list of {name, template}, got " + n.getNodeType());
    }

    private static Integer modelMaxLength(JsonNode n) {
        if (n == null || !n.isNumber()) return null;
        if (n.isIntegralNumber()) {
            BigInteger v = n.bigIntegerValue();
            return v.signum() > 0 && v.bitLength() < 32 ? v.intValue() : null;
        }
        double d = n.doubleValue();
        return d > 0 && d <= Integer.MAX_VALUE && d == Math.rint(d) ? (int) d : null;
    }
}
