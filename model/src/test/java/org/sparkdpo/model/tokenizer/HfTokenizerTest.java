package org.sparkdpo.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.model.TestFixtures;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** The GPT-2 tokenizer against the oracle's 39 cases, plus loading, ids and failure messages. */
class HfTokenizerTest {
    private static HfTokenizer tok;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        tok = HfTokenizer.load(TestFixtures.tinyGpt2());
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).intValue();
        return out;
    }

    @Test
    void all39OracleCases() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(TestFixtures.oracleGpt2().resolve("tokenizer_cases.json").toFile()).get("cases");
        assertEquals(39, cases.size());
        int special = 0;
        for (JsonNode c : cases) {
            String name = c.get("name").asText();
            String text = c.get("text").asText();
            int[] expected = ints(c.get("ids"));
            if (c.get("special_token_split").asBoolean()) {
                special++;
                assertTrue(Arrays.stream(expected).anyMatch(id -> id == 50256), name);
            }
            assertArrayEquals(expected, tok.encode(text), name);
            assertArrayEquals(expected, tok.encode(text, true), name + " (GPT-2's post-processor adds nothing)");
            assertEquals(text, tok.decode(expected), name + " decode");
        }
        assertTrue(special > 0);
    }

    @Test
    void specialTokensAndSizes() {
        assertEquals(50257, tok.vocabSize());
        assertEquals(OptionalInt.of(50256), tok.eosTokenId());
        assertEquals(OptionalInt.of(50256), tok.bosTokenId());
        assertEquals(OptionalInt.empty(), tok.padTokenId());
        assertEquals("<|endoftext|>", tok.eosToken());
        assertEquals("<|endoftext|>", tok.bosToken());
        assertEquals(OptionalInt.of(50256), tok.tokenId("<|endoftext|>"));
        assertEquals(OptionalInt.of(995), tok.tokenId(" world"));
        assertEquals(OptionalInt.empty(), tok.tokenId("Hello world"));
        TokenizerConfig c = tok.config();
        assertEquals(128, c.modelMaxLength());
        assertFalse(c.addBosToken());
        assertNull(c.chatTemplate());
        assertEquals("GPT2Tokenizer", c.raw().get("tokenizer_class"));
    }

    @Test
    void fingerprintIsSha256OfTheFile() throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(TestFixtures.tinyGpt2().resolve("tokenizer.json"))) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        assertEquals(HexFormat.of().formatHex(md.digest()), tok.fingerprint());
    }

    @Test
    void longInputIsNeitherTruncatedNorPadded() {
        String text = "hello world ".repeat(3000).trim();
        int[] ids = tok.encode(text);
        assertEquals(6000, ids.length);
        assertEquals(6000, tok.encode(text, true).length);
        assertEquals(text, tok.decode(ids));
        assertEquals(0, tok.encode("").length);
    }

    @Test
    void concurrentEncodeMatchesSequential() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) texts.add("Sample " + i + " with ümlauts and <|endoftext|> tokens " + "x".repeat(i % 17));
        List<int[]> expected = new ArrayList<>();
        for (String t : texts) expected.add(tok.encode(t));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> got = new ArrayList<>();
            for (String t : texts) got.add(pool.submit(() -> tok.encode(t)));
            for (int i = 0; i < texts.size(); i++) assertArrayEquals(expected.get(i), got.get(i).get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void noChatTemplateIsAClearError() {
        ChatTemplateException e = assertThrows(ChatTemplateException.class,
                () -> tok.renderChat(List.of(ChatMessage.user("hi")), true));
        assertTrue(e.getMessage().contains(TestFixtures.tinyGpt2().toAbsolutePath().normalize().toString())
                && e.getMessage().contains("no chat template"), e.getMessage());
        assertFalse(tok.hasChatTemplate());
    }

    @Test
    void missingFolderOrFile() throws IOException {
        Path nowhere = tmp.resolve("no-such-model");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> HfTokenizer.load(nowhere));
        assertTrue(e.getMessage().contains(nowhere.toString()) && e.getMessage().contains("does not exist"), e.getMessage());

        Path emptyDir = Files.createDirectories(tmp.resolve("empty-model"));
        NoSuchFileException f = assertThrows(NoSuchFileException.class, () -> HfTokenizer.load(emptyDir));
        assertTrue(f.getMessage().contains("no tokenizer.json in tokenizer folder " + emptyDir), f.getMessage());

        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}");
        IOException b = assertThrows(IOException.class, () -> HfTokenizer.load(broken));
        assertTrue(b.getMessage().contains(broken.resolve("tokenizer.json").toString()), b.getMessage());
    }

    @Test
    void closedTokenizerFailsClearly() throws IOException {
        HfTokenizer t = HfTokenizer.load(TestFixtures.tinyGpt2());
        assertArrayEquals(new int[] {15496}, t.encode("Hello"));
        t.close();
        t.close(); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.encode("Hello"));
        assertTrue(e.getMessage().contains("closed"));
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() {
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {50257}));
        assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {-1}));
    }

    @Test
    void idsFallBackToConfigJson() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("no-tokenizer-config"));
        Files.copy(TestFixtures.tinyGpt2().resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"bos_token_id\": 50256,"
                + " \"eos_token_id\": [50256, 13], \"pad_token_id\": null}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(OptionalInt.of(50256), t.eosTokenId());
            assertEquals(OptionalInt.of(50256), t.bosTokenId());
            assertEquals(OptionalInt.empty(), t.padTokenId());
            assertNull(t.eosToken());
            assertEquals(tok.fingerprint(), t.fingerprint());
        }
    }
}
