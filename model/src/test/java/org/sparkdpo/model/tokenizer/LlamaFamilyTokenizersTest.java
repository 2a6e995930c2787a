package org.sparkdpo.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.model.TestFixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Chat prompts of the Llama-family tokenizers end to end (template, special tokens, post-processor): Mistral
 * (post-processor adds {@code <s>}, the template writes it too), Qwen2 (ChatML, no BOS at all) and Llama 3.1 (date
 * header, {@code <|begin_of_text|>} from the template only). Tokenizer folders are built from the GPT-2 fixture's
 * BPE plus each family's special tokens, so no second vocabulary is committed.
 */
class LlamaFamilyTokenizersTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    /** GPT-2 BPE + {@code specials} as added tokens from id 50257; {@code bos} prepended by a TemplateProcessing if set. */
    private Path tokenizer(String name, List<String> specials, String bos, Map<String, String> config, String template)
            throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        ObjectNode tok = (ObjectNode) M.readTree(TestFixtures.tinyGpt2().resolve("tokenizer.json").toFile());
        ArrayNode added = (ArrayNode) tok.get("added_tokens");
        for (int i = 0; i < specials.size(); i++) {
            added.addObject().put("id", 50257 + i).put("content", specials.get(i)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        if (bos != null) {
            int bosId = 50257 + specials.indexOf(bos);
            ObjectNode tp = M.createObjectNode().put("type", "TemplateProcessing");
            tp.putArray("single").add(special(bos)).add(sequence("A"));
            tp.putArray("pair").add(special(bos)).add(sequence("A")).add(special(bos)).add(sequence("B"));
            ObjectNode st = tp.putObject("special_tokens").putObject(bos);
            st.put("id", bos);
            st.putArray("ids").add(bosId);
            st.putArray("tokens").add(bos);
            ObjectNode post = M.createObjectNode().put("type", "Sequence");
            post.putArray("processors").add(tok.get("post_processor")).add(tp);
            tok.set("post_processor", post);
        }
        Files.writeString(dir.resolve("tokenizer.json"), M.writeValueAsString(tok));
        ObjectNode cfg = M.createObjectNode();
        config.forEach(cfg::put);
        cfg.put("chat_template", Templates.text(template));
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        Files.writeString(dir.resolve("tokenizer_config.json"), M.writeValueAsString(cfg));
        return dir;
    }

    private static ObjectNode special(String id) {
        ObjectNode n = M.createObjectNode();
        n.putObject("SpecialToken").put("id", id).put("type_id", 0);
        return n;
    }

    private static ObjectNode sequence(String id) {
        ObjectNode n = M.createObjectNode();
        n.putObject("Sequence").put("id", id).put("type_id", 0);
        return n;
    }

    private static long count(int[] ids, int id) {
        return Arrays.stream(ids).filter(x -> x == id).count();
    }

    @Test
    void mistralPromptHasOneBosAndEosAfterEachAnswer() throws IOException {
        int bos = 50257, eos = 50258;
        try (HfTokenizer tok = HfTokenizer.load(tokenizer("mistral", List.of("<s>", "</s>"), "<s>",
                Map.of("bos_token", "<s>", "eos_token", "</s>"), "mistral"))) {
            List<ChatMessage> conv = List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"), ChatMessage.user("Why?"));
            String text = tok.renderChat(conv, true);
            assertEquals("<s>[INST] Hi [/INST]Hello!</s>[INST] Why? [/INST]", text);
            int[] ids = tok.encodeChatPrompt(conv, true);
            assertEquals(bos, ids[0]);
            assertEquals(1, count(ids, bos), "the post-processor's <s> is not added on top of the template's");
            assertEquals(1, count(ids, eos));
            assertEquals(text, tok.decode(ids));
            assertEquals(2, count(tok.encode(text, true), bos), "what encodeChatPrompt avoids");
            assertEquals(OptionalInt.of(eos), tok.eosTokenId());
        }
    }

    @Test
    void qwen2ChatMlHasNoBosAndSpecialTurnMarkers() throws IOException {
        int imStart = 50257, imEnd = 50258;
        try (HfTokenizer tok = HfTokenizer.load(tokenizer("qwen2", List.of("<|im_start|>", "<|im_end|>"), null,
                Map.of("eos_token", "<|im_end|>", "pad_token", "<|endoftext|>"), "qwen2"))) {
            List<ChatMessage> conv = List.of(ChatMessage.user("Hi"));
            String text = tok.renderChat(conv, true);
            assertTrue(text.startsWith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"), text);
            int[] ids = tok.encodeChatPrompt(conv, true);
            assertEquals(imStart, ids[0], "no BOS: the conversation starts with <|im_start|>");
            assertEquals(3, count(ids, imStart), "system, user and the generation prompt");
            assertEquals(2, count(ids, imEnd));
            assertArrayEquals(tok.encode(text, false), tok.encode(text, true), "Qwen2's post-processor adds nothing");
            assertEquals(text, tok.decode(ids));
            assertEquals(OptionalInt.empty(), tok.bosTokenId());
            assertEquals(OptionalInt.of(imEnd), tok.eosTokenId());
            assertEquals(OptionalInt.of(50256), tok.padTokenId());
        }
    }

    @Test
    void llama31PromptHasOneBeginOfTextAndTheDateHeader() throws IOException {
        List<String> specials = List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
        try (HfTokenizer tok = HfTokenizer.load(tokenizer("llama31", specials, "<|begin_of_text|>",
                Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"), "llama3_1"))) {
            List<ChatMessage> conv = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));
            String text = tok.renderChat(conv, true, Map.of("date_string", "01 Jan 2025"));
            assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                    + "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\nBe brief.<|eot_id|>"
                    + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                    + "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
            int[] ids = tok.encodeChatPrompt(conv, true);
            assertEquals(50257, ids[0]);
            assertEquals(1, count(ids, 50257));
            assertEquals(3, count(ids, 50258));
            assertEquals(2, count(ids, 50260));
        }
    }
}
