package org.sparkdpo.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparkdpo.model.TestFixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Builds a tiny Llama-3-style tokenizer folder from the GPT-2 fixture (so the repo holds no second 2 MB vocab):
 * GPT-2's BPE plus the Llama 3 special tokens as added tokens 50257..50260, a post-processor that, like Llama 3's,
 * is {@code Sequence[ByteLevel, TemplateProcessing]} prepending {@code <|begin_of_text|>}, and a tokenizer_config.json
 * with Llama 3's chat template and its special tokens in AddedToken-object form.
 */
final class Llama3StyleTokenizer {
    static final int BEGIN_OF_TEXT = 50257;
    static final int START_HEADER = 50258;
    static final int END_HEADER = 50259;
    static final int EOT = 50260;
    private static final String[] SPECIALS = {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};

    private Llama3StyleTokenizer() {}

    static Path create(Path parent) throws IOException {
        ObjectMapper m = new ObjectMapper();
        Path dir = Files.createDirectories(parent.resolve("llama3-style"));
        ObjectNode tok = (ObjectNode) m.readTree(TestFixtures.tinyGpt2().resolve("tokenizer.json").toFile());
        ArrayNode added = (ArrayNode) tok.get("added_tokens");
        for (int i = 0; i < SPECIALS.length; i++) {
            added.addObject().put("id", BEGIN_OF_TEXT + i).put("content", SPECIALS[i]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode template = m.createObjectNode().put("type", "TemplateProcessing");
        ArrayNode single = template.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<|begin_of_text|>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = template.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<|begin_of_text|>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<|begin_of_text|>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = template.putObject("special_tokens").putObject("<|begin_of_text|>");
        bos.put("id", "<|begin_of_text|>");
        bos.putArray("ids").add(BEGIN_OF_TEXT);
        bos.putArray("tokens").add("<|begin_of_text|>");
        ObjectNode post = m.createObjectNode().put("type", "Sequence");
        post.putArray("processors").add(tok.get("post_processor")).add(template);
        tok.set("post_processor", post);
        Files.writeString(dir.resolve("tokenizer.json"), m.writeValueAsString(tok));

        ObjectNode cfg = m.createObjectNode();
        cfg.put("add_bos_token", true); // informational for slow tokenizers; the fast one uses the post-processor
        cfg.putObject("bos_token").put("__type", "AddedToken").put("content", "<|begin_of_text|>").put("lstrip", false)
                .put("normalized", false).put("rstrip", false).put("single_word", false);
        cfg.putObject("eos_token").put("__type", "AddedToken").put("content", "<|eot_id|>").put("lstrip", false)
                .put("normalized", false).put("rstrip", false).put("single_word", false);
        cfg.put("chat_template", Templates.text("llama3").stripTrailing());
        cfg.put("model_max_length", 1000000000000000019884624838656.0); // what HF writes for "no limit"
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        Files.writeString(dir.resolve("tokenizer_config.json"), m.writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
        return dir;
    }
}
