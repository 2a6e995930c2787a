package org.sparkdpo.prep.pair;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.model.tokenizer.ChatMessage;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.model.tokenizer.PrepTokenizers;
import org.sparkdpo.prep.PrepFixtures;

class PairEncoderTest {
    static HfTokenizer gpt2;
    static HfTokenizer llama;

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        gpt2 = PrepFixtures.load(PrepFixtures.gpt2());
        llama = PrepFixtures.load(PrepTokenizers.llama3Style(dir));
    }

    @Test
    void textPairsGetEosAndNoBosWithGpt2() throws Rejected {
        int eos = gpt2.eosTokenId().getAsInt();
        TokenizedPair t = new PairEncoder(gpt2).encode(new PairInput.Text("The sky is", " blue", " green"));
        assertArrayEquals(gpt2.encode("The sky is"), t.prompt());
        assertArrayEquals(PrepFixtures.concat(gpt2.encode(" blue"), eos), t.chosen());
        assertArrayEquals(PrepFixtures.concat(gpt2.encode(" green"), eos), t.rejected());
        // a completion that already ends with EOS does not get a second one
        t = new PairEncoder(gpt2).encode(new PairInput.Text("The sky is", " blue<|endoftext|>", " green"));
        assertArrayEquals(PrepFixtures.concat(gpt2.encode(" blue"), eos), t.chosen());
    }

    @Test
    void llamaStylePromptsStartWithExactlyOneBos() throws Rejected {
        int bos = PrepTokenizers.BEGIN_OF_TEXT;
        PairEncoder enc = new PairEncoder(llama);
        assertEquals(bos, enc.promptBos());
        TokenizedPair t = enc.encode(new PairInput.Text("Hi", " a", " b"));
        assertArrayEquals(PrepFixtures.concat(new int[] {bos}, llama.encode("Hi")), t.prompt());
        assertArrayEquals(PrepFixtures.concat(llama.encode(" a"), PrepTokenizers.EOT), t.chosen());
        t = enc.encode(new PairInput.Text("<|begin_of_text|>Hi", " a", " b"));
        assertArrayEquals(PrepFixtures.concat(new int[] {bos}, llama.encode("Hi")), t.prompt());
    }

    @Test
    void conversationsAreRenderedWithTheTemplateAndSplitAfterTheGenerationPrompt() throws Rejected {
        List<ChatMessage> prompt = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Sky color?"));
        List<ChatMessage> chosen = List.of(ChatMessage.assistant("Blue."));
        List<ChatMessage> rejected = List.of(ChatMessage.assistant("Green!"));
        TokenizedPair t = new PairEncoder(llama).encode(new PairInput.Chat(prompt, chosen, rejected));

        String p = llama.renderChat(prompt, true);
        String pc = llama.renderChat(List.of(prompt.get(0), prompt.get(1), chosen.get(0)), false);
        String pr = llama.renderChat(List.of(prompt.get(0), prompt.get(1), rejected.get(0)), false);
        assertEquals(p, pc.substring(0, p.length()));
        assertArrayEquals(llama.encode(p), t.prompt());
        assertArrayEquals(llama.encode(pc.substring(p.length())), t.chosen());
        assertArrayEquals(llama.encode(pr.substring(p.length())), t.rejected());
        // one BOS (from the template), completions end with the template's end-of-turn, no EOS added
        assertEquals(PrepTokenizers.BEGIN_OF_TEXT, t.prompt()[0]);
        assertEquals(1, java.util.Arrays.stream(t.prompt()).filter(i -> i == PrepTokenizers.BEGIN_OF_TEXT).count());
        assertEquals(PrepTokenizers.EOT, t.chosen()[t.chosen().length - 1]);
        assertEquals(1, java.util.Arrays.stream(t.chosen()).filter(i -> i == PrepTokenizers.EOT).count());
    }

    @Test
    void conversationProblemsAreTemplateErrors() {
        PairEncoder enc = new PairEncoder(llama);
        Rejected r = assertThrows(Rejected.class, () -> enc.encode(new PairInput.Chat(
                List.of(ChatMessage.user("q"), ChatMessage.assistant("partial")), List.of(ChatMessage.assistant("a")),
                List.of(ChatMessage.assistant("b")))));
        assertEquals(RejectReason.TEMPLATE_ERROR, r.reason());
        Rejected none = assertThrows(Rejected.class, () -> new PairEncoder(gpt2).encode(new PairInput.Chat(
                List.of(ChatMessage.user("q")), List.of(ChatMessage.assistant("a")), List.of(ChatMessage.assistant("b")))));
        assertEquals(RejectReason.TEMPLATE_ERROR, none.reason());
    }

    @Test
    void pretokenizedIdsAreCheckedAgainstTheVocabulary() throws Rejected {
        int[] p = {1, 2};
        int[] c = {3};
        int[] r = {gpt2.vocabSize() - 1};
        TokenizedPair t = new PairEncoder(gpt2).encode(new PairInput.Ids(p, c, r));
        assertArrayEquals(r, t.rejected());
        Rejected e = assertThrows(Rejected.class,
                () -> new PairEncoder(gpt2).encode(new PairInput.Ids(p, c, new int[] {gpt2.vocabSize()})));
        assertEquals(RejectReason.ID_OUT_OF_VOCAB, e.reason());
        assertArrayEquals(new int[] {1 << 20}, new PairEncoder(null).encode(new PairInput.Ids(p, c, new int[] {1 << 20})).rejected());
    }
}
