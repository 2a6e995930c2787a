package org.sparkdpo.model.llama;

import org.sparkdpo.model.TestWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.io.DType;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.lora.LoraMerge;
import org.sparkdpo.model.lora.LoraTargets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** PEFT adapters on the Llama family: key names, save/load, merging, target resolution. */
class LlamaAdapterTest {
    @TempDir
    Path tmp;

    @Test
    void goldenAdapterHasPeftKeysForAllSevenProjections() throws Exception {
        LlamaOracle o = LlamaOracle.of("llama");
        BaseWeights base = TestWeights.get(o.dir(), DataType.FLOAT);
        LoraAdapter a = LoraAdapter.load(o.adapterDir(), base.model(), DataType.FLOAT);
        assertEquals(14, a.pairs().size());
        assertFalse(a.config().fanInFanOut());
        assertEquals(2.0, a.config().scaling());
        try (SafeTensorsFile f = SafeTensorsFile.open(o.adapterDir().resolve(LoraAdapter.WEIGHTS_FILE))) {
            assertTrue(f.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
            assertTrue(f.contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
            TreeSet<String> keys = new TreeSet<>();
            for (LoraAdapter.Pair p : a.pairs()) {
                keys.add(LoraAdapter.peftKey(p.module().path(), 'A'));
                keys.add(LoraAdapter.peftKey(p.module().path(), 'B'));
            }
            assertEquals(new TreeSet<>(f.tensors().keySet()), keys);
        }
        LoraAdapter.Pair k = a.pair("model.layers.0.self_attn.k_proj");
        assertArrayEquals(new long[]{4, 64}, k.a().shape());
        assertArrayEquals(new long[]{32, 4}, k.b().shape(), "2 kv heads x 16");
        LoraAdapter.Pair down = a.pair("model.layers.1.mlp.down_proj");
        assertArrayEquals(new long[]{4, 128}, down.a().shape());
        assertArrayEquals(new long[]{64, 4}, down.b().shape());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void saveThenLoadIsBitExactAndMergedScoresLikeUnmerged(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        BaseWeights base = TestWeights.get(o.dir(), DataType.DOUBLE);
        LoraAdapter a = LoraAdapter.load(o.adapterDir(), base.model(), DataType.FLOAT);
        Path out = tmp.resolve(name + "-adapter");
        a.save(out);
        LoraAdapter back = LoraAdapter.load(out, base.model(), DataType.FLOAT);
        assertEquals(a.config(), back.config());
        for (LoraAdapter.Pair p : a.pairs()) {
            assertArrayEquals(p.a().reshape(-1).toFloatVector(), back.pair(p.module().path()).a().reshape(-1).toFloatVector(), 0f);
            assertArrayEquals(p.b().reshape(-1).toFloatVector(), back.pair(p.module().path()).b().reshape(-1).toFloatVector(), 0f);
        }
        assertTrue(Files.readString(out.resolve(LoraAdapter.CONFIG_FILE)).contains("\"fan_in_fan_out\": false"));

        LoraAdapter a64 = a.castTo(DataType.DOUBLE);
        Path merged = tmp.resolve(name + "-merged");
        LoraMerge.save(base, a64, merged, DType.F64);
        BaseWeights mergedBase = ModelStore.load(merged, DataType.DOUBLE);
        assertEquals(base.tensors().keySet(), mergedBase.tensors().keySet(), "biases and the (un)tied head survive merging");
        CompletionScores withAdapter = new CompletionScorer(base, a64).score(o.completions());
        CompletionScores fromMerged = new CompletionScorer(mergedBase, null).score(o.completions());
        CompletionScores plain = new CompletionScorer(base, null).score(o.completions());
        for (int i = 0; i < withAdapter.size(); i++) {
            assertEquals(withAdapter.sums()[i], fromMerged.sums()[i], 1e-9, name + " seq " + i);
            assertTrue(Math.abs(withAdapter.sums()[i] - plain.sums()[i]) > 1e-3, "the adapter changes the model");
        }
        // nn.Linear merge: W + scaling * B A, no transpose
        LoraAdapter.Pair q = a64.pair("model.layers.0.self_attn.q_proj");
        INDArray want = base.get("model.layers.0.self_attn.q_proj.weight").add(q.b().mmul(q.a()).mul(2.0));
        assertArrayEquals(want.reshape(-1).toDoubleVector(),
                mergedBase.get("model.layers.0.self_attn.q_proj.weight").reshape(-1).toDoubleVector(), 1e-15);
    }

    @Test
    void targetModulesResolveLikePeft() {
        BaseWeights base = TestWeights.get(LlamaOracle.of("qwen2").dir(), DataType.FLOAT);
        LoraConfig qv = new LoraConfig(8, 16, 0, List.of("q_proj", "v_proj"), false, false, null);
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                        "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"),
                LoraTargets.resolve(qv, base.model()).stream().map(LinearModule::path).toList());
        LoraConfig all = new LoraConfig(8, 16, 0, List.of("all-linear"), false, false, null);
        assertEquals(14, LoraTargets.resolve(all, base.model()).size(), "lm_head is not a block linear");
        LoraConfig mlpRegex = new LoraConfig(8, 16, 0, List.of(".*\\.mlp\\.(gate|up)_proj"), false, false, null);
        assertEquals(4, LoraTargets.resolve(mlpRegex, base.model()).size());
        LoraAdapter fresh = LoraAdapter.init(qv, base.model(), 1, DataType.FLOAT);
        assertEquals(2L * (8 * 64 + 64 * 8) + 2L * (8 * 64 + 32 * 8), fresh.numParams());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                LoraTargets.resolve(new LoraConfig(4, 8, 0, List.of("c_attn"), false, false, null), base.model()));
        assertTrue(e.getMessage().contains("q_proj") && e.getMessage().contains("down_proj"), e.getMessage());
    }
}
