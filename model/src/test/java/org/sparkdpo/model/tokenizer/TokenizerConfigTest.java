package org.sparkdpo.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.config.InvalidConfigException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path dirWith(String tokenizerConfigJson) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "m");
        if (tokenizerConfigJson != null) Files.writeString(dir.resolve("tokenizer_config.json"), tokenizerConfigJson);
        return dir;
    }

    @Test
    void stringForm() throws IOException {
        TokenizerConfig c = TokenizerConfig.load(TestFixtures.tinyGpt2());
        assertEquals("<|endoftext|>", c.bosToken());
        assertEquals("<|endoftext|>", c.eosToken());
        assertEquals("<|endoftext|>", c.unkToken());
        assertNull(c.padToken());
        assertFalse(c.addBosToken());
        assertFalse(c.addEosToken());
        assertEquals(128, c.modelMaxLength());
        assertNull(c.chatTemplate());
        assertEquals(false, c.raw().get("add_prefix_space"));
    }

    @Test
    void addedTokenObjectFormAndNulls() throws IOException {
        TokenizerConfig c = TokenizerConfig.load(dirWith("""
                {"add_bos_token": true, "add_eos_token": false,
                 "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false, "normalized": false},
                 "eos_token": {"content": "</s>"},
                 "pad_token": null, "unk_token": "<unk>",
                 "model_max_length": 1000000000000000019884624838656,
                 "added_tokens_decoder": {"0": {"content": "<unk>", "special": true}}}
                """));
        assertEquals("<s>", c.bosToken());
        assertEquals("</s>", c.eosToken());
        assertNull(c.padToken());
        assertEquals("<unk>", c.unkToken());
        assertTrue(c.addBosToken());
        assertNull(c.modelMaxLength(), "int(1e30) means no limit");
        assertNull(TokenizerConfig.load(dirWith("{\"model_max_length\": 1e30}")).modelMaxLength());
        assertNull(TokenizerConfig.load(dirWith("{\"model_max_length\": -1}")).modelMaxLength());
        assertEquals(131072, TokenizerConfig.load(dirWith("{\"model_max_length\": 131072}")).modelMaxLength());
    }

    @Test
    void absentFileGivesEmptyConfigButMissingFolderIsAnError() throws IOException {
        TokenizerConfig c = TokenizerConfig.load(dirWith(null));
        assertEquals(TokenizerConfig.empty(), c);
        assertTrue(c.raw().isEmpty());
        Path nowhere = tmp.resolve("nowhere");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> TokenizerConfig.load(nowhere));
        assertTrue(e.getMessage().contains(nowhere.toString()));
    }

    @Test
    void malformedEntriesNameFileAndField() throws IOException {
        Path dir = dirWith("{\"eos_token\": {\"lstrip\": true}}");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TokenizerConfig.load(dir));
        assertEquals("eos_token", e.field());
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString()), e.getMessage());
        assertEquals("bos_token", assertThrows(InvalidConfigException.class,
                () -> TokenizerConfig.load(dirWith("{\"bos_token\": 5}"))).field());
        assertEquals("add_bos_token", assertThrows(InvalidConfigException.class,
                () -> TokenizerConfig.load(dirWith("{\"add_bos_token\": \"yes\"}"))).field());
    }

    @Test
    void chatTemplateForms() throws IOException {
        ObjectNode n = M.createObjectNode();
        n.putArray("chat_template")
                .add(M.createObjectNode().put("name", "tool_use").put("template", "TOOLS"))
                .add(M.createObjectNode().put("name", "default").put("template", "DEFAULT"));
        assertEquals("DEFAULT", TokenizerConfig.load(dirWith(n.toString())).chatTemplate());

        n.putArray("chat_template").add(M.createObjectNode().put("name", "rag").put("template", "RAG"));
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> TokenizerConfig.load(dirWith(n.toString())));
        assertEquals("chat_template", e.field());
        assertTrue(e.getMessage().contains("rag"), e.getMessage());

        // chat_template.jinja (newer transformers) wins over tokenizer_config.json
        Path dir = dirWith("{\"chat_template\": \"OLD\", \"eos_token\": \"</s>\"}");
        assertEquals("OLD", TokenizerConfig.load(dir).chatTemplate());
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ messages[0].content }}{{ eos_token }}\n");
        TokenizerConfig c = TokenizerConfig.load(dir);
        assertEquals("{{ messages[0].content }}{{ eos_token }}\n", c.chatTemplate());
        assertEquals("</s>", c.eosToken());

        // chat_template.json (processor style) is the last resort
        Path proc = dirWith(null);
        Files.writeString(proc.resolve("chat_template.json"), "{\"chat_template\": \"PROC\"}");
        assertEquals("PROC", TokenizerConfig.load(proc).chatTemplate());
    }

    @Test
    void chatTemplateJinjaFileIsUsedForRendering() throws IOException {
        Path dir = Files.createTempDirectory(tmp, "jinja");
        Files.copy(TestFixtures.tinyGpt2().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(TestFixtures.tinyGpt2().resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("chat_template.jinja"),
                "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}\n");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            List<ChatMessage> conv = List.of(ChatMessage.user("Hi"));
            assertEquals("user: Hi\nassistant:", t.renderChat(conv, true));
            assertArrayEquals(t.encode("user: Hi\nassistant:"), t.encodeChatPrompt(conv, true));
        }
    }

    @Test
    void truncationAndPaddingInTokenizerJsonAreIgnored() throws IOException {
        ObjectNode tok = (ObjectNode) M.readTree(TestFixtures.tinyGpt2().resolve("tokenizer.json").toFile());
        tok.putObject("truncation").put("direction", "Right").put("max_length", 8).put("strategy", "LongestFirst").put("stride", 0);
        tok.putObject("padding").put("strategy", "BatchLongest").put("direction", "Right").putNull("pad_to_multiple_of")
                .put("pad_id", 50256).put("pad_type_id", 0).put("pad_token", "<|endoftext|>");
        tok.with("padding").putObject("strategy").put("Fixed", 64);
        Path dir = Files.createTempDirectory(tmp, "trunc");
        Files.writeString(dir.resolve("tokenizer.json"), M.writeValueAsString(tok));
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            String text = "hello world ".repeat(20).trim();
            assertEquals(40, t.encode(text).length);
            assertEquals(40, t.encode(text, true).length);
            assertEquals(1, t.encode("hello").length);
        }
    }
}
