package org.sparkdpo.model.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.config.LlamaConfig.RopeScaling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** config.json of llama / mistral / qwen2 with transformers' defaults and clear refusals. */
class LlamaConfigTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    static Path golden(String name) {
        return TestFixtures.repoRoot().resolve("model/src/test/resources/oracle-llama").resolve(name);
    }

    @Test
    void goldenLlamaHasGqaLlama3RopeAndAnUntiedHead() throws IOException {
        LlamaConfig c = assertInstanceOf(LlamaConfig.class, ModelConfig.load(golden("llama")));
        assertEquals("llama", c.modelType());
        assertEquals(320, c.vocabSize());
        assertEquals(64, c.hiddenSize());
        assertEquals(128, c.intermediateSize());
        assertEquals(2, c.numLayers());
        assertEquals(4, c.numHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(16, c.headDim());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(RopeScaling.llama3(8, 1, 4, 64), c.ropeScaling());
        assertEquals(256, c.maxPositions());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.qkvBias() || c.oBias() || c.mlpBias());
        assertEquals(List.of(0, 0), c.attentionWindows());
        assertEquals(OptionalInt.of(1), c.bosTokenId());
        assertEquals(OptionalInt.of(2), c.eosTokenId(), "eos_token_id [2, 3] gives its first element");
    }

    @Test
    void goldenMistralHasExplicitHeadDimSlidingWindowAndLinearRope() throws IOException {
        LlamaConfig c = (LlamaConfig) ModelConfig.load(golden("mistral"));
        assertEquals(48, c.hiddenSize());
        assertEquals(16, c.headDim(), "explicit head_dim, 4 x 16 != 48");
        assertEquals(1, c.numKeyValueHeads());
        assertEquals(RopeScaling.linear(2.0), c.ropeScaling(), "the legacy 'type' key");
        assertEquals(List.of(12, 12), c.attentionWindows());
        assertFalse(c.qkvBias() || c.oBias() || c.mlpBias());
    }

    @Test
    void goldenQwen2HasQkvBiasesWithoutTheKeyAndTiedEmbeddings() throws IOException {
        LlamaConfig c = (LlamaConfig) ModelConfig.load(golden("qwen2"));
        assertTrue(c.qkvBias(), "Qwen2Attention always has q/k/v biases");
        assertFalse(c.oBias());
        assertFalse(c.mlpBias());
        assertTrue(c.tieWordEmbeddings());
        assertNull(c.ropeScaling());
        assertEquals(1e6, c.ropeTheta());
        assertEquals(List.of(0, 0), c.attentionWindows(), "use_sliding_window false");
        assertEquals(16, c.headDim());
    }

    private Path variant(String base, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n = (ObjectNode) M.readTree(golden(base).resolve("config.json").toFile());
        edit.accept(n);
        Path dir = Files.createTempDirectory(tmp, "cfg");
        Files.writeString(dir.resolve("config.json"), M.writeValueAsString(n));
        return dir;
    }

    private LlamaConfig load(String base, Consumer<ObjectNode> edit) throws IOException {
        return (LlamaConfig) ModelConfig.load(variant(base, edit));
    }

    private InvalidConfigException rejected(String base, Consumer<ObjectNode> edit) throws IOException {
        Path dir = variant(base, edit);
        InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ModelConfig.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), "names the file: " + e.getMessage());
        return e;
    }

    @Test
    void transformersDefaultsPerModelType() throws IOException {
        Consumer<ObjectNode> strip = n -> {
            for (String k : List.of("num_key_value_heads", "head_dim", "rms_norm_eps", "rope_theta", "rope_scaling",
                    "max_position_embeddings", "tie_word_embeddings", "sliding_window", "hidden_act", "bos_token_id",
                    "eos_token_id", "attention_bias", "use_sliding_window")) {
                n.remove(k);
            }
            n.put("num_attention_heads", 32).put("hidden_size", 256);
        };
        LlamaConfig llama = load("llama", strip);
        assertEquals(32, llama.numKeyValueHeads(), "LlamaConfig: None -> num_attention_heads");
        assertEquals(8, llama.headDim());
        assertEquals(1e-6, llama.rmsNormEps());
        assertEquals(10000.0, llama.ropeTheta());
        assertNull(llama.ropeScaling());
        assertEquals(2048, llama.maxPositions());
        assertFalse(llama.tieWordEmbeddings());
        assertEquals(OptionalInt.empty(), llama.eosTokenId());
        LlamaConfig mistral = load("mistral", strip);
        assertEquals(8, mistral.numKeyValueHeads(), "MistralConfig's default");
        assertEquals(131072, mistral.maxPositions());
        assertEquals(List.of(0, 0), mistral.attentionWindows(), "no sliding_window key: full attention");
        LlamaConfig qwen = load("qwen2", strip);
        assertEquals(32, qwen.numKeyValueHeads(), "Qwen2Config's default");
        assertEquals(32768, qwen.maxPositions());
        assertEquals(4, load("qwen2", n -> n.putNull("num_key_value_heads")).numKeyValueHeads(), "explicit null -> heads");
    }

    @Test
    void llamaBiasesFollowAttentionBiasAndMlpBias() throws IOException {
        LlamaConfig c = load("llama", n -> n.put("attention_bias", true).put("mlp_bias", true));
        assertTrue(c.qkvBias() && c.oBias() && c.mlpBias());
        LlamaConfig m = load("mistral", n -> n.put("attention_bias", true));
        assertFalse(m.qkvBias(), "MistralAttention has no biases whatever the config says");
    }

    @Test
    void qwen2SlidingWindowsFromMaxWindowLayersOrLayerTypes() throws IOException {
        assertEquals(List.of(0, 7), load("qwen2", n -> n.put("use_sliding_window", true).put("sliding_window", 7)
                .put("max_window_layers", 1)).attentionWindows());
        assertEquals(List.of(7, 0), load("qwen2", n -> {
            n.put("use_sliding_window", true).put("sliding_window", 7);
            n.putArray("layer_types").add("sliding_attention").add("full_attention");
        }).attentionWindows());
        assertEquals(List.of(0, 0), load("qwen2", n -> n.put("use_sliding_window", true).put("sliding_window", 7)).attentionWindows(),
                "max_window_layers (2 in this config) covers both layers");
        assertEquals(List.of(0, 0), load("mistral", n -> n.putNull("sliding_window")).attentionWindows());
    }

    @Test
    void transformersV5RopeParameters() throws IOException {
        LlamaConfig c = load("llama", n -> {
            n.remove("rope_theta");
            ObjectNode rp = (ObjectNode) n.remove("rope_scaling");
            rp.put("rope_theta", 250000.0);
            n.set("rope_parameters", rp);
        });
        assertEquals(250000.0, c.ropeTheta());
        assertEquals(RopeScaling.llama3(8, 1, 4, 64), c.ropeScaling());
        LlamaConfig plain = load("qwen2", n -> n.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 1e4));
        assertNull(plain.ropeScaling());
        assertEquals(1e4, plain.ropeTheta());
    }

    @Test
    void unsupportedSettingsAreRefusedNamingTheField() throws IOException {
        InvalidConfigException e = rejected("llama", n -> ((ObjectNode) n.get("rope_scaling")).put("rope_type", "yarn"));
        assertEquals("rope_scaling.rope_type", e.field());
        assertTrue(e.getMessage().contains("'yarn'") && e.getMessage().contains("llama3"), e.getMessage());

        e = rejected("mistral", n -> n.putObject("rope_scaling").put("type", "dynamic").put("factor", 2.0));
        assertTrue(e.getMessage().contains("'dynamic'"), e.getMessage());

        e = rejected("llama", n -> ((ObjectNode) n.get("rope_scaling")).remove("low_freq_factor"));
        assertEquals("rope_scaling.low_freq_factor", e.field());

        e = rejected("llama", n -> n.put("hidden_act", "gelu"));
        assertEquals("hidden_act", e.field());

        e = rejected("llama", n -> n.put("num_key_value_heads", 3));
        assertEquals("num_key_value_heads", e.field());

        e = rejected("qwen2", n -> n.put("hidden_size", 66));
        assertEquals("head_dim", e.field(), "hidden_size not divisible by heads without an explicit head_dim");

        e = rejected("llama", n -> n.put("partial_rotary_factor", 0.5));
        assertEquals("partial_rotary_factor", e.field());

        e = rejected("mistral", n -> n.put("sliding_window", 0));
        assertEquals("sliding_window", e.field());

        e = rejected("qwen2", n -> n.remove("vocab_size"));
        assertEquals("vocab_size", e.field());
    }

    @Test
    void recordValidatesWhenBuiltInCode() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LlamaConfig("llama", 10, 8, 16, 1,
                2, 2, 3, 1e-6, 1e4, null, 16, false, false, false, false, List.of(0), OptionalInt.empty(), OptionalInt.empty()));
        assertTrue(e.getMessage().contains("even"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig("falcon", 10, 8, 16, 1,
                2, 2, 4, 1e-6, 1e4, null, 16, false, false, false, false, List.of(0), OptionalInt.empty(), OptionalInt.empty()));
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig("llama", 10, 8, 16, 2,
                2, 2, 4, 1e-6, 1e4, null, 16, false, false, false, false, Collections.nCopies(1, 0), OptionalInt.empty(), OptionalInt.empty()));
    }
}
