package org.sparkdpo.jobs.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * A word-level Hugging Face {@code tokenizer.json} for a closed vocabulary (the synthetic task's words): Whitespace
 * pre-tokenizer (words and runs of punctuation), one id per word, {@code <unk>} for anything else, and the special
 * tokens {@code <pad>} (0), {@code <eos>} (1), {@code <unk>} (2). Decoding joins tokens with single spaces, so text
 * written as space-separated words round-trips exactly. The chat template joins the messages' contents. Loaded by the same {@code HfTokenizer} as any model's.
 */
public final class TaskTokenizer {
    public static final String PAD = "<pad>", EOS = "<eos>", UNK = "<unk>";
    public static final List<String> SPECIALS = List.of(PAD, EOS, UNK);
    /** Messages' contents in order, space-separated: a one-message conversation encodes like its text. */
    public static final String CHAT_TEMPLATE = "{% for message in messages %}{{ message['content'] }} {% endfor %}";

    private TaskTokenizer() {}

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}; returns the vocabulary size. */
    public static int write(Path dir, Collection<String> words, int modelMaxLength) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        ObjectNode vocab = json.createObjectNode();
        int id = 0;
        for (String s : SPECIALS) {
            added.addObject().put("id", id).put("content", s).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
            vocab.put(s, id++);
        }
        for (String w : words) {
            if (SPECIALS.contains(w) || vocab.has(w)) continue;
            vocab.put(w, id++);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "Whitespace");
        root.putNull("post_processor");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        model.set("vocab", vocab);
        model.put("unk_token", UNK);
        Files.createDirectories(dir);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer.json").toFile(), root);
        ObjectNode cfg = json.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.put("eos_token", EOS);
        cfg.put("pad_token", PAD);
        cfg.put("unk_token", UNK);
        cfg.put("model_max_length", modelMaxLength);
        cfg.put("clean_up_tokenization_spaces", false);
        cfg.put("chat_template", CHAT_TEMPLATE);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), cfg);
        return id;
    }
}
