package org.sparkdpo.model.lora;

import org.sparkdpo.model.TestWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.io.DType;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PEFT adapter I/O, initialisation and merging. */
class LoraAdapterTest {
    static BaseWeights base;
    static LoraAdapter oracle;

    @BeforeAll
    static void load() throws Exception {
        base = TestWeights.get(TestFixtures.tinyGpt2(), DataType.DOUBLE);
        oracle = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"), base.model(), DataType.FLOAT);
    }

    @Test
    void oracleAdapterLoadsWithPeftSemantics() {
        assertEquals(4, oracle.config().r());
        assertEquals(2.0, oracle.config().scaling());
        assertTrue(oracle.config().fanInFanOut());
        assertEquals(8, oracle.pairs().size(), "c_proj selects both attn.c_proj and mlp.c_proj in 2 layers");
        LoraAdapter.Pair p = oracle.pair("transformer.h.1.mlp.c_proj");
        assertArrayEquals(new long[]{4, 128}, p.a().shape());
        assertArrayEquals(new long[]{32, 4}, p.b().shape());
    }

    @Test
    void saveThenLoadIsBitExact(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("adapter");
        oracle.save(out);
        LoraAdapter back = LoraAdapter.load(out, base.model(), DataType.FLOAT);
        assertEquals(oracle.config(), back.config());
        for (LoraAdapter.Pair p : oracle.pairs()) {
            LoraAdapter.Pair q = back.pair(p.module().path());
            assertEquals(p.a(), q.a());
            assertEquals(p.b(), q.b());
            assertArrayEquals(bits(p.a()), bits(q.a()));
        }
        String cfg = Files.readString(out.resolve(LoraAdapter.CONFIG_FILE));
        assertTrue(cfg.contains("\"peft_type\": \"LORA\"") && cfg.contains("\"task_type\": \"CAUSAL_LM\""), cfg);
        assertTrue(cfg.contains("\"fan_in_fan_out\": true"));
        // saving again over an existing adapter replaces it atomically and leaves no temporary folders
        oracle.save(out);
        try (var s = Files.list(dir)) {
            assertEquals(List.of("adapter"), s.map(x -> x.getFileName().toString()).toList());
        }
    }

    static int[] bits(INDArray a) {
        float[] f = a.reshape(-1).toFloatVector();
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = Float.floatToRawIntBits(f[i]);
        return out;
    }

    @Test
    void freshAdapterIsKaimingUniformAZeroB() {
        LoraConfig cfg = new LoraConfig(8, 16, 0.0, List.of("c_attn"), false, true, "tiny-gpt2");
        LoraAdapter a = LoraAdapter.init(cfg, base.model(), 42, DataType.FLOAT);
        assertEquals(2, a.pairs().size());
        for (LoraAdapter.Pair p : a.pairs()) {
            double bound = 1 / Math.sqrt(p.module().in());
            assertTrue(p.a().amaxNumber().doubleValue() <= bound);
            assertTrue(p.a().amaxNumber().doubleValue() > 0.5 * bound, "spread over the interval");
            assertEquals(0.0, p.b().amaxNumber().doubleValue());
        }
        assertEquals(LoraAdapter.init(cfg, base.model(), 42, DataType.FLOAT).pairs().get(0).a(), a.pairs().get(0).a(), "seeded");
        assertFalse(LoraAdapter.init(cfg, base.model(), 43, DataType.FLOAT).pairs().get(0).a().equals(a.pairs().get(0).a()));
        assertEquals(2L * (8 * 32 + 96 * 8), a.numParams());
    }

    @Test
    void rsloraScalesByRootR() {
        assertEquals(16 / Math.sqrt(8), new LoraConfig(8, 16, 0, List.of("c_attn"), true, true, null).scaling(), 1e-15);
    }

    @Test
    void mergedWeightsScoreLikeTheUnmergedAdapter(@TempDir Path dir) throws Exception {
        LoraAdapter a64 = oracle.castTo(DataType.DOUBLE);
        Path merged = dir.resolve("merged");
        LoraMerge.save(base, a64, merged, DType.F64);
        assertTrue(Files.exists(merged.resolve("config.json")) && Files.exists(merged.resolve("tokenizer.json")));
        BaseWeights mergedBase = ModelStore.load(merged, DataType.DOUBLE);
        List<Completion> seqs = List.of(new Completion(new int[]{464, 3290}, new int[]{318, 257, 1332, 13}),
                new Completion(new int[]{50256}, new int[]{40, 588, 262, 3290, 13, 50256}));
        CompletionScores withAdapter = new CompletionScorer(base, a64).score(seqs);
        CompletionScores fromMerged = new CompletionScorer(mergedBase, null).score(seqs);
        CompletionScores plainBase = new CompletionScorer(base, null).score(seqs);
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(withAdapter.sums()[i], fromMerged.sums()[i], 1e-9);
            assertTrue(Math.abs(withAdapter.sums()[i] - plainBase.sums()[i]) > 1e-3, "the adapter changes the model");
        }
    }

    @Test
    void badAdaptersGiveClearErrors(@TempDir Path dir) throws Exception {
        IOException e = assertThrows(IOException.class, () -> LoraAdapter.load(dir, base.model(), DataType.FLOAT));
        assertTrue(e.getMessage().contains("adapter_config.json"), e.getMessage());

        Path wrongTargets = dir.resolve("wrong");
        oracle.save(wrongTargets);
        Files.writeString(wrongTargets.resolve(LoraAdapter.CONFIG_FILE),
                Files.readString(wrongTargets.resolve(LoraAdapter.CONFIG_FILE)).replace("\"c_fc\"", "\"q_proj\""));
        e = assertThrows(IOException.class, () -> LoraAdapter.load(wrongTargets, base.model(), DataType.FLOAT));
        assertTrue(e.getMessage().contains("target_modules"), e.getMessage());

        Path dora = dir.resolve("dora");
        oracle.save(dora);
        Files.writeString(dora.resolve(LoraAdapter.CONFIG_FILE),
                Files.readString(dora.resolve(LoraAdapter.CONFIG_FILE)).replace("\"use_dora\": false", "\"use_dora\": true"));
        e = assertThrows(IOException.class, () -> LoraAdapter.load(dora, base.model(), DataType.FLOAT));
        assertTrue(e.getMessage().contains("DoRA"), e.getMessage());

        LoraConfig none = new LoraConfig(4, 8, 0, List.of("q_proj"), false, true, null);
        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> LoraAdapter.init(none, base.model(), 1, DataType.FLOAT));
        assertTrue(iae.getMessage().contains("c_attn"), "lists the available module names: " + iae.getMessage());
    }
}
