package org.sparkdpo.model.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.model.TestFixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

class ModelConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void tinyGpt2ParsesWithTheFixtureValues() throws IOException {
        ModelConfig c = ModelConfig.load(TestFixtures.tinyGpt2());
        Gpt2Config g = assertInstanceOf(Gpt2Config.class, c);
        assertEquals("gpt2", c.modelType());
        assertEquals(50257, g.vocabSize());
        assertEquals(128, g.nPositions());
        assertEquals(32, g.nEmbd());
        assertEquals(2, g.nLayer());
        assertEquals(4, g.nHead());
        assertEquals(128, g.nInner(), "n_inner null -> 4*n_embd");
        assertEquals("gelu_new", g.activationFunction());
        assertEquals(1e-5, g.layerNormEpsilon());
        assertTrue(g.tieWordEmbeddings());
        assertTrue(g.scaleAttnWeights());
        assertFalse(g.scaleAttnByInverseLayerIdx());
        assertFalse(g.reorderAndUpcastAttn());
        assertEquals(OptionalInt.of(50256), g.bosTokenId());
        assertEquals(OptionalInt.of(50256), g.eosTokenId());
        // generic view
        assertEquals(32, c.hiddenSize());
        assertEquals(2, c.numLayers());
        assertEquals(4, c.numHeads());
        assertEquals(8, c.headDim());
        assertEquals(128, c.maxPositions());
        assertEquals(OptionalInt.of(50256), c.eosTokenId());
    }

    private Path variant(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) M.readTree(TestFixtures.tinyGpt2().resolve("config.json").toFile());
        edit.accept(n);
        Path dir = Files.createTempDirectory(tmp, "cfg");
        Files.writeString(dir.resolve("config.json"), M.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        return dir;
    }

    private InvalidConfigException rejected(Consumer<ObjectNode> edit) throws IOException {
        Path dir = variant(edit);
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ModelConfig.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), "names the file: " + e.getMessage());
        return e;
    }

    @Test
    void unknownModelTypeNamesFileTypeAndSupportedTypes() throws IOException {
        InvalidConfigException e = rejected(n -> n.put("model_type", "bert"));
        assertEquals("model_type", e.field());
        assertTrue(e.getMessage().contains("'bert'"), e.getMessage());
        assertTrue(e.getMessage().contains("[gpt2, llama, mistral, qwen2]"), e.getMessage());
    }

    @Test
    void missingModelType() throws IOException {
        InvalidConfigException e = rejected(n -> n.remove("model_type"));
        assertEquals("model_type", e.field());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void missingRequiredField() throws IOException {
        InvalidConfigException e = rejected(n -> n.remove("n_embd"));
        assertEquals("n_embd", e.field());
        assertTrue(e.getMessage().contains("'n_embd'") && e.getMessage().contains("missing"), e.getMessage());
        // explicit null is as missing as an absent key
        assertEquals("n_layer", rejected(n -> n.putNull("n_layer")).field());
    }

    @Test
    void nonPositiveSizes() throws IOException {
        InvalidConfigException e = rejected(n -> n.put("n_layer", 0));
        assertEquals("n_layer", e.field());
        assertTrue(e.getMessage().contains("positive"), e.getMessage());
        assertEquals("vocab_size", rejected(n -> n.put("vocab_size", -5)).field());
        assertEquals("n_inner", rejected(n -> n.put("n_inner", 0)).field());
        assertEquals("layer_norm_epsilon", rejected(n -> n.put("layer_norm_epsilon", 0.0)).field());
    }

    @Test
    void hiddenSizeMustDivideByHeads() throws IOException {
        InvalidConfigException e = rejected(n -> n.put("n_embd", 30));
        assertEquals("n_embd", e.field());
        assertTrue(e.getMessage().contains("divisible by n_head") && e.getMessage().contains("n_embd=30"), e.getMessage());
    }

    @Test
    void wrongTypes() throws IOException {
        InvalidConfigException e = rejected(n -> n.put("n_head", 2.5));
        assertEquals("n_head", e.field());
        assertTrue(e.getMessage().contains("integer"), e.getMessage());
        assertEquals("n_head", rejected(n -> n.put("n_head", "4")).field());
        assertEquals("tie_word_embeddings", rejected(n -> n.put("tie_word_embeddings", "yes")).field());
    }

    @Test
    void unsupportedGpt2Options() throws IOException {
        assertEquals("scale_attn_by_inverse_layer_idx", rejected(n -> n.put("scale_attn_by_inverse_layer_idx", true)).field());
        assertEquals("add_cross_attention", rejected(n -> n.put("add_cross_attention", true)).field());
        InvalidConfigException act = rejected(n -> n.put("activation_function", "relu"));
        assertEquals("activation_function", act.field());
        assertTrue(act.getMessage().contains("'relu'") && act.getMessage().contains("gelu_new"), act.getMessage());
    }

    @Test
    void acceptedVariants() throws IOException {
        Gpt2Config g = (Gpt2Config) ModelConfig.load(variant(n -> {
            n.put("activation_function", "gelu_pytorch_tanh");
            n.put("reorder_and_upcast_attn", true); // same function in fp32, see Gpt2Config
            n.put("n_inner", 64);
            n.remove("n_positions");                 // legacy n_ctx is used instead
            n.remove("bos_token_id");
            n.putArray("eos_token_id").add(50256).add(13);
            n.put("some_future_key", "ignored");
        }));
        assertEquals("gelu_pytorch_tanh", g.activationFunction());
        assertTrue(g.reorderAndUpcastAttn());
        assertEquals(64, g.nInner());
        assertEquals(128, g.nPositions());
        assertEquals(OptionalInt.empty(), g.bosTokenId());
        assertEquals(OptionalInt.of(50256), g.eosTokenId());
    }

    @Test
    void missingFileAndBadJson() throws IOException {
        Path empty = Files.createTempDirectory(tmp, "empty");
        NoSuchFileException nf = assertThrows(NoSuchFileException.class, () -> ModelConfig.load(empty));
        assertTrue(nf.getMessage().contains(empty.resolve("config.json").toString()), nf.getMessage());

        Path bad = Files.createTempDirectory(tmp, "bad");
        Files.writeString(bad.resolve("config.json"), "{\"model_type\": \"gpt2\",");
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ModelConfig.load(bad));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());

        Files.writeString(bad.resolve("config.json"), "[1, 2]");
        assertThrows(InvalidConfigException.class, () -> ModelConfig.load(bad));
    }

    @Test
    void recordValidatesWhenBuiltInCode() {
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(10, 8, 30, 1, 4, 120, "gelu_new", 1e-5, true,
                true, false, false, OptionalInt.empty(), OptionalInt.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Gpt2Config(10, 8, 32, 1, 4, 128, "gelu", 1e-5, true,
                true, false, false, OptionalInt.empty(), OptionalInt.empty()));
    }
}
