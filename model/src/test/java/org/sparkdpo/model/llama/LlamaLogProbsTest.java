package org.sparkdpo.model.llama;

import org.sparkdpo.model.TestWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.arch.ModelGraph;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;
import org.sparkdpo.model.lora.LoraAdapter;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Per-token log-probs, sums and means of the tiny Llama, Mistral-style and Qwen2-style models, base and LoRA
 * policy, against the float64 PyTorch reference (dev-tools/golden/llama_reference.py).
 */
class LlamaLogProbsTest {

    static BaseWeights base(LlamaOracle o, DataType dt) {
        return TestWeights.get(o.dir(), dt);
    }

    static LoraAdapter adapter(LlamaOracle o, BaseWeights base) throws Exception {
        return LoraAdapter.load(o.adapterDir(), base.model(), base.dtype());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void float64ReferenceMatchesOraclePerToken(String name) {
        LlamaOracle o = LlamaOracle.of(name);
        check(name + " reference", new CompletionScorer(base(o, DataType.DOUBLE), null).score(o.completions()),
                o.expected("reference"), 1e-8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void float64PolicyMatchesOraclePerToken(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        BaseWeights b = base(o, DataType.DOUBLE);
        check(name + " policy", new CompletionScorer(b, adapter(o, b)).score(o.completions()), o.expected("policy"), 1e-8);
    }

    static void check(String what, CompletionScores got, List<JsonNode> want, double rel) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            JsonNode w = want.get(i);
            double[] tokens = OracleCases.doubles(w.get("token_logps"));
            assertEquals(tokens.length, got.tokenLogps()[i].length, what + ": token count of sequence " + i);
            assertEquals(w.get("n_tokens").asInt(), got.counts()[i]);
            for (int j = 0; j < tokens.length; j++) {
                double g = got.tokenLogps()[i][j];
                assertTrue(OracleCases.closeRel(g, tokens[j], rel), what + ": seq " + i + " token " + j + ": " + g + " vs " + tokens[j]);
            }
            assertTrue(OracleCases.closeRel(got.sums()[i], w.get("logp_sum").asDouble(), rel),
                    what + ": sum of seq " + i + ": " + got.sums()[i] + " vs " + w.get("logp_sum").asDouble());
            assertTrue(OracleCases.closeRel(got.mean(i), w.get("logp_mean").asDouble(), rel), what + ": mean of seq " + i);
        }
    }

    /** The model interface itself: final hidden states of examples[0] prompt+chosen, base and LoRA (debug.safetensors). */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void hiddenStatesMatchTheReferenceIntermediates(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        BaseWeights b = base(o, DataType.DOUBLE);
        LoraAdapter a = adapter(o, b);
        try (SafeTensorsFile f = SafeTensorsFile.open(o.dir().resolve("debug.safetensors"))) {
            long[] ids = f.read("input_ids", DataType.INT64).toLongVector();
            int t = ids.length;
            for (boolean lora : new boolean[]{false, true}) {
                SameDiff sd = SameDiff.create();
                ModelGraph g = lora ? ModelGraph.withLora(sd, b, LoraBindings.of(sd, a, false, false), a.config().scaling())
                        : ModelGraph.frozen(sd, b);
                SDVariable idv = sd.placeHolder("ids", DataType.INT64, t);
                SDVariable pos = sd.placeHolder("pos", DataType.INT64, t);
                SDVariable h = b.model().hiddenStates(g, idv, pos, 1, t);
                long[] positions = new long[t];
                for (int i = 0; i < t; i++) positions[i] = i;
                INDArray got = sd.output(Map.of("ids", Nd4j.createFromArray(ids), "pos", Nd4j.createFromArray(positions)),
                        h.name()).get(h.name());
                INDArray want = f.read((lora ? "lora." : "base.") + "final_norm", DataType.DOUBLE);
                assertArrayEquals(want.shape(), got.shape());
                double scale = want.amaxNumber().doubleValue();
                double[] w = want.reshape(-1).toDoubleVector(), gv = got.reshape(-1).toDoubleVector();
                for (int i = 0; i < w.length; i++) assertEquals(w[i], gv[i], 1e-10 * scale, name + " lora=" + lora + " [" + i + "]");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void float32SumsWithin1em4(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        BaseWeights b = base(o, DataType.FLOAT);
        LoraAdapter a = adapter(o, b);
        for (boolean lora : new boolean[]{false, true}) {
            CompletionScores got = new CompletionScorer(b, lora ? a : null).score(o.completions());
            List<JsonNode> want = o.expected(lora ? "policy" : "reference");
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).get("logp_sum").asDouble(), got.sums()[i], 1e-4, name + " lora=" + lora + " seq " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void batchedEqualsOneAtATime(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        for (DataType dt : List.of(DataType.DOUBLE, DataType.FLOAT)) {
            BaseWeights b = base(o, dt);
            CompletionScorer scorer = new CompletionScorer(b, adapter(o, b));
            List<Completion> all = o.completions();
            CompletionScores batched = scorer.score(all, 48);            // extra padding beyond the longest (40)
            double tol = dt == DataType.DOUBLE ? 1e-12 : 2e-5;
            for (int i = 0; i < all.size(); i++) {
                CompletionScores one = scorer.score(List.of(all.get(i)));
                assertEquals(one.sums()[0], batched.sums()[i], tol * Math.max(1, Math.abs(one.sums()[0])), name + " " + dt + " seq " + i);
                assertEquals(one.logitSums()[0], batched.logitSums()[i], tol * Math.max(1, Math.abs(one.logitSums()[0])));
            }
        }
    }
}
