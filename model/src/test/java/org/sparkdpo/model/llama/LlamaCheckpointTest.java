package org.sparkdpo.model.llama;

import org.sparkdpo.model.TestWeights;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.Llama;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.io.Checkpoint;
import org.sparkdpo.model.io.DType;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.io.SafeTensorsWriter;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;
import org.sparkdpo.model.lora.LoraAdapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Llama checkpoints as they come from the Hub: BF16 on disk, sharded with an index, and malformed ones. */
class LlamaCheckpointTest {
    @TempDir
    Path tmp;

    static Map<String, INDArray> goldenTensors(LlamaOracle o) throws IOException {
        Map<String, INDArray> m = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(o.dir().resolve("model.safetensors"))) {
            for (String name : f.tensors().keySet()) m.put(name, f.read(name, DataType.FLOAT));
        }
        return m;
    }

    Path folder(String name, LlamaOracle o) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.copy(o.dir().resolve("config.json"), dir.resolve("config.json"));
        return dir;
    }

    /**
     * The golden Llama's weights rounded to BF16 and stored as BF16, and the same (BF16-representable) values stored
     * as F32: both load to identical arrays (BF16 widening is exact) and score identically, with and without LoRA.
     */
    @Test
    void bf16CheckpointEqualsTheSameWeightsStoredAsF32() throws Exception {
        LlamaOracle o = LlamaOracle.of("llama");
        Map<String, INDArray> weights = goldenTensors(o);
        Path bf16 = folder("bf16", o);
        SafeTensorsWriter.write(bf16.resolve("model.safetensors"), weights, Map.of("format", "pt"), DType.BF16);
        Map<String, INDArray> widened = new LinkedHashMap<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(bf16.resolve("model.safetensors"))) {
            for (String name : f.tensors().keySet()) {
                assertEquals(DType.BF16, f.info(name).dtype());
                widened.put(name, f.read(name, DataType.FLOAT));
            }
        }
        Path f32 = folder("f32", o);
        SafeTensorsWriter.write(f32.resolve("model.safetensors"), widened, Map.of("format", "pt"), DType.F32);
        assertTrue(Files.size(bf16.resolve("model.safetensors")) < 0.51 * Files.size(f32.resolve("model.safetensors")));

        BaseWeights fromBf16 = ModelStore.load(bf16, DataType.DOUBLE);
        BaseWeights fromF32 = ModelStore.load(f32, DataType.DOUBLE);
        assertEquals(fromF32.tensors().keySet(), fromBf16.tensors().keySet());
        boolean rounded = false;
        for (String name : fromF32.tensors().keySet()) {
            INDArray a = fromBf16.get(name), b = fromF32.get(name);
            assertArrayEquals(b.reshape(-1).toDoubleVector(), a.reshape(-1).toDoubleVector(), 0.0, name);
            rounded |= !a.castTo(DataType.FLOAT).equals(weights.get(name));
        }
        assertTrue(rounded, "BF16 really rounded the golden F32 weights");

        LoraAdapter adapter = LoraAdapter.load(o.adapterDir(), fromF32.model(), DataType.DOUBLE);
        for (LoraAdapter a : new LoraAdapter[]{null, adapter}) {
            CompletionScores x = new CompletionScorer(fromBf16, a).score(o.completions());
            CompletionScores y = new CompletionScorer(fromF32, a).score(o.completions());
            assertArrayEquals(y.sums(), x.sums(), 0.0);
            for (int i = 0; i < x.size(); i++) assertArrayEquals(y.tokenLogps()[i], x.tokenLogps()[i], 0.0);
        }
        // and BF16 rounding changes the model measurably, so the comparison above is not vacuous
        CompletionScores golden = new CompletionScorer(TestWeights.get(o.dir(), DataType.DOUBLE), null).score(o.completions());
        CompletionScores round = new CompletionScorer(fromBf16, null).score(o.completions());
        assertNotEquals(golden.sums()[0], round.sums()[0]);
    }

    /** Two shards plus model.safetensors.index.json, as save_pretrained writes them: same weights, same scores. */
    @Test
    void twoShardCheckpointScoresLikeTheSingleFile() throws Exception {
        LlamaOracle o = LlamaOracle.of("llama");
        Map<String, INDArray> weights = goldenTensors(o);
        Path dir = folder("sharded", o);
        Map<String, INDArray> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        ObjectNode index = new ObjectMapper().createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        long total = 0;
        for (Map.Entry<String, INDArray> e : weights.entrySet()) {
            boolean one = e.getKey().startsWith("model.embed_tokens") || e.getKey().startsWith("model.layers.0.");
            (one ? first : second).put(e.getKey(), e.getValue());
            map.put(e.getKey(), one ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
            total += e.getValue().length() * 4;
        }
        index.putObject("metadata").put("total_size", total);
        SafeTensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafeTensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(index));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(2, c.shardFiles().size());
        }
        BaseWeights sharded = ModelStore.load(dir, DataType.DOUBLE);
        BaseWeights single = TestWeights.get(o.dir(), DataType.DOUBLE);
        for (String name : single.tensors().keySet()) {
            assertArrayEquals(single.get(name).reshape(-1).toDoubleVector(), sharded.get(name).reshape(-1).toDoubleVector(), 0.0, name);
        }
        LoraAdapter adapter = LoraAdapter.load(o.adapterDir(), sharded.model(), DataType.DOUBLE);
        CompletionScores x = new CompletionScorer(sharded, adapter).score(o.completions());
        CompletionScores y = new CompletionScorer(single, adapter).score(o.completions());
        assertArrayEquals(y.sums(), x.sums(), 0.0);
        assertNotEquals(single.fingerprint(), sharded.fingerprint(), "the fingerprint covers the file layout");
    }

    @Test
    void inverseFrequencyBuffersOfOlderCheckpointsAreIgnored() throws Exception {
        LlamaOracle o = LlamaOracle.of("mistral");
        Map<String, INDArray> weights = goldenTensors(o);
        weights.put("model.layers.0.self_attn.rotary_emb.inv_freq", org.nd4j.linalg.factory.Nd4j.ones(DataType.FLOAT, 8));
        Path dir = folder("inv_freq", o);
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        BaseWeights b = ModelStore.load(dir, DataType.FLOAT);
        assertEquals(weights.size() - 1, b.tensors().size());
    }

    @Test
    void tiedModelsIgnoreAStoredLmHead() throws Exception {
        LlamaOracle o = LlamaOracle.of("qwen2");
        Map<String, INDArray> weights = goldenTensors(o);
        weights.put("lm_head.weight", weights.get("model.embed_tokens.weight").mul(2));
        Path dir = folder("tied_with_head", o);
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        BaseWeights b = ModelStore.load(dir, DataType.DOUBLE);
        assertFalse(b.has("lm_head.weight"));
        CompletionScores x = new CompletionScorer(b, null).score(o.completions().subList(0, 2));
        CompletionScores y = new CompletionScorer(TestWeights.get(o.dir(), DataType.DOUBLE), null).score(o.completions().subList(0, 2));
        assertArrayEquals(y.sums(), x.sums(), 0.0);
    }

    @Test
    void malformedCheckpointsGiveClearErrors() throws Exception {
        LlamaOracle o = LlamaOracle.of("qwen2");
        Map<String, INDArray> weights = goldenTensors(o);

        Map<String, INDArray> missing = new LinkedHashMap<>(weights);
        missing.remove("model.layers.1.self_attn.k_proj.bias");
        Path a = folder("missing", o);
        SafeTensorsWriter.write(a.resolve("model.safetensors"), missing, Map.of());
        IOException e = assertThrows(IOException.class, () -> ModelStore.load(a, DataType.FLOAT));
        assertTrue(e.getMessage().contains("model.layers.1.self_attn.k_proj.bias"), e.getMessage());

        Map<String, INDArray> extra = new LinkedHashMap<>(weights);
        extra.put("model.layers.0.self_attn.o_proj.bias", org.nd4j.linalg.factory.Nd4j.zeros(DataType.FLOAT, 64));
        Path b = folder("extra", o);
        SafeTensorsWriter.write(b.resolve("model.safetensors"), extra, Map.of());
        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> ModelStore.load(b, DataType.FLOAT));
        assertTrue(iae.getMessage().contains("o_proj.bias") && iae.getMessage().contains("no such bias"), iae.getMessage());

        Path c = folder("gqa_mismatch", o);
        SafeTensorsWriter.write(c.resolve("model.safetensors"), weights, Map.of());
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(c.resolve("config.json").toFile());
        cfg.put("num_key_value_heads", 4);                                 // the weights have 2 kv heads
        Files.writeString(c.resolve("config.json"), cfg.toString());
        e = assertThrows(IOException.class, () -> ModelStore.load(c, DataType.FLOAT));
        assertTrue(e.getMessage().contains("k_proj") && e.getMessage().contains("[32, 64]") && e.getMessage().contains("[64, 64]"),
                e.getMessage());
    }

    @Test
    void linearModulesAreNnLinearWithPeftPaths() {
        Llama m = (Llama) TestWeights.get(LlamaOracle.of("mistral").dir(), DataType.FLOAT).model();
        assertEquals(14, m.linearModules().size());
        assertEquals(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
                m.linearModules().subList(0, 7).stream().map(l -> l.shortName()).toList());
        var q = m.linearModules().get(0);
        assertEquals("model.layers.0.self_attn.q_proj", q.path());
        assertEquals(48, q.in());
        assertEquals(64, q.out(), "4 heads x head_dim 16");
        assertEquals(16, m.linearModules().get(1).out(), "1 kv head");
        assertEquals(64, m.linearModules().get(3).in(), "o_proj maps heads x head_dim back to hidden");
        assertNull(q.biasName());
        assertArrayEquals(new long[]{64, 48}, m.weightShapes().get("model.layers.0.self_attn.q_proj.weight"), "[out, in]");
    }
}
