package org.sparkdpo.model.tokenizer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.*;
import static org.sparkdpo.model.tokenizer.Llama3StyleTokenizer.*;

/** A tokenizer whose post-processor adds BOS and whose chat template writes BOS: exactly one BOS must come out. */
class Llama3StyleTokenizerTest {
    @TempDir
    static Path tmp;

    private static HfTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        tok = HfTokenizer.load(Llama3StyleTokenizer.create(tmp));
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static long count(int[] ids, int id) {
        return Arrays.stream(ids).filter(x -> x == id).count();
    }

    @Test
    void postProcessorBosOnlyWithSpecialTokens() {
        assertArrayEquals(new int[] {15496, 995}, tok.encode("Hello world"));
        assertArrayEquals(new int[] {BEGIN_OF_TEXT, 15496, 995}, tok.encode("Hello world", true));
        // special-token text is always matched, independent of addSpecialTokens
        assertArrayEquals(new int[] {BEGIN_OF_TEXT, 15496}, tok.encode("<|begin_of_text|>Hello"));
        assertEquals("<|begin_of_text|>Hello world", tok.decode(new int[] {BEGIN_OF_TEXT, 15496, 995}));
    }

    @Test
    void specialsFromAddedTokenObjects() {
        assertEquals(50261, tok.vocabSize());
        assertEquals(OptionalInt.of(BEGIN_OF_TEXT), tok.bosTokenId());
        assertEquals(OptionalInt.of(EOT), tok.eosTokenId());
        assertEquals("<|begin_of_text|>", tok.bosToken());
        assertEquals("<|eot_id|>", tok.eosToken());
        assertEquals(OptionalInt.of(START_HEADER), tok.tokenId("<|start_header_id|>"));
        assertNull(tok.config().modelMaxLength(), "1e30 means no limit");
        assertTrue(tok.config().addBosToken());
    }

    @Test
    void chatPromptHasExactlyOneBos() {
        List<ChatMessage> conv = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"));
        String text = tok.renderChat(conv, true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", text);

        int[] ids = tok.encodeChatPrompt(conv, true);
        assertEquals(BEGIN_OF_TEXT, ids[0]);
        assertEquals(1, count(ids, BEGIN_OF_TEXT));
        assertEquals(3, count(ids, START_HEADER));
        assertEquals(3, count(ids, END_HEADER));
        assertEquals(2, count(ids, EOT));
        assertEquals(text, tok.decode(ids));
        // the pitfall encodeChatPrompt avoids: letting the post-processor add its BOS too
        assertEquals(2, count(tok.encode(text, true), BEGIN_OF_TEXT));
    }
}
