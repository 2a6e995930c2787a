package org.sparkdpo.model.llama;

import org.sparkdpo.model.TestWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DPO on the Llama-family golden models, end to end from token ids: every loss type and the batch metrics, the
 * gradient of the mean sigmoid loss w.r.t. every LoRA matrix (q,k,v,o,gate,up,down), and one SGD step.
 */
class LlamaDpoTest {

    static BaseWeights base(LlamaOracle o) {
        return TestWeights.get(o.dir(), DataType.DOUBLE);
    }

    static LoraAdapter adapter(LlamaOracle o) throws Exception {
        return LoraAdapter.load(o.adapterDir(), base(o).model(), DataType.DOUBLE);
    }

    static Map<String, INDArray> arrays(LoraAdapter a) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : a.pairs()) {
            m.put(LoraBindings.varName(p.module().path(), 'A'), p.a().dup());
            m.put(LoraBindings.varName(p.module().path(), 'B'), p.b().dup());
        }
        return m;
    }

    static DpoObjective objective(LlamaOracle o, LoraAdapter a, DpoConfig cfg) {
        List<LinearModule> modules = a.pairs().stream().map(LoraAdapter.Pair::module).toList();
        return new DpoObjective(base(o), a.config(), modules, cfg);
    }

    /** Pairs whose reference sums come from this implementation's own base-model scoring (not the oracle's). */
    static List<PreferencePair> pairsWithJavaReference(LlamaOracle o) {
        List<PreferencePair> oracle = o.pairs();
        CompletionScores ref = new CompletionScorer(base(o), null).score(o.completions());
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < oracle.size(); i++) {
            PreferencePair p = oracle.get(i);
            out.add(new PreferencePair(p.id(), p.promptIds(), p.chosenIds(), p.rejectedIds(), ref.sums()[2 * i], ref.sums()[2 * i + 1]));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void everyLossTypeAndTheBatchMetricsMatch(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        LoraAdapter a = adapter(o);
        List<PreferencePair> pairs = pairsWithJavaReference(o);
        for (JsonNode c : o.json().get("loss_configs")) {
            DpoConfig cfg = DpoConfig.of(DpoLossType.parse(c.get("loss_type").asText()), c.get("beta").asDouble(),
                    c.get("label_smoothing").asDouble());
            DpoObjective.Result r = objective(o, a, cfg).run(pairs, arrays(a), false, 0, 0);
            double[] want = OracleCases.doubles(c.get("per_example"));
            String what = name + " " + c.get("name").asText();
            for (int i = 0; i < want.length; i++) {
                assertTrue(OracleCases.closeRel(r.pairLosses()[i], want[i], 1e-8), what + " example " + i + ": " + r.pairLosses()[i] + " vs " + want[i]);
                JsonNode e = o.examples().get(i);
                assertTrue(OracleCases.closeRel(r.pairLosses()[i], e.at("/dpo/losses").get(c.get("name").asText()).asDouble(), 1e-8));
            }
            assertTrue(OracleCases.closeRel(r.loss(), c.get("mean").asDouble(), 1e-8), what + " mean " + r.loss());
            if (c.get("name").asText().equals("sigmoid")) {
                Map<String, Double> m = r.stats().metrics("");
                JsonNode bm = o.json().get("batch_metrics");
                for (String key : List.of("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
                        "logps/chosen", "logps/rejected")) {
                    assertTrue(OracleCases.closeRel(m.get(key), bm.get(key).asDouble(), 1e-8), what + " " + key + ": " + m.get(key) + " vs " + bm.get(key));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void loraGradientsMatchTorchAutogradElementwiseAndInNorm(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        LoraAdapter a = adapter(o);
        DpoObjective.Result r = objective(o, a, DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0)).run(o.pairs(), arrays(a), true, 0, 0);
        JsonNode gc = o.json().get("grad_check");
        assertTrue(OracleCases.closeRel(r.loss(), gc.get("loss_value").asDouble(), 1e-8), name + " loss " + r.loss());
        double globalSq = 0;
        int checked = 0;
        try (SafeTensorsFile f = SafeTensorsFile.open(o.dir().resolve("grads.safetensors"))) {
            assertEquals(2 * a.pairs().size(), f.tensors().size(), "the golden file has a gradient for every A and B");
            for (LoraAdapter.Pair p : a.pairs()) {
                for (char w : new char[]{'A', 'B'}) {
                    String key = LoraAdapter.peftKey(p.module().path(), w);
                    INDArray want = f.read(key, DataType.DOUBLE);
                    INDArray got = r.gradients().get(LoraBindings.varName(p.module().path(), w));
                    double gotNorm = OracleCases.assertGradient(key, want, got, gc.get("grad_norms").get(key).asDouble());
                    globalSq += gotNorm * gotNorm;
                    checked++;
                }
            }
        }
        assertEquals(2 * 7 * 2, checked, "q,k,v,o,gate,up,down in 2 layers, A and B");
        assertTrue(OracleCases.closeRel(Math.sqrt(globalSq), gc.get("grad_global_norm").asDouble(), 1e-6));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void oneSgdStepGivesTheOracleLoss(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        LoraAdapter a = adapter(o);
        DpoObjective obj = objective(o, a, DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0));
        Map<String, INDArray> params = arrays(a);
        DpoObjective.Result r = obj.run(o.pairs(), params, true, 0, 0);
        for (Map.Entry<String, INDArray> e : params.entrySet()) e.getValue().subi(r.gradients().get(e.getKey()).mul(0.5));
        double after = obj.run(o.pairs(), params, false, 0, 0).loss();
        double want = o.json().at("/grad_check/loss_after_sgd").asDouble();
        assertTrue(OracleCases.closeRel(after, want, 1e-8), name + " loss after SGD " + after + " vs " + want);
        assertTrue(after < r.loss() - 0.1, "the step lowers the loss");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void zeroBAdapterScoresExactlyTheBaseModel(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        LoraAdapter a = adapter(o);
        LoraAdapter fresh = LoraAdapter.init(a.config(), base(o).model(), 7, DataType.DOUBLE);
        DpoObjective.Result r = objective(o, a, DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0)).run(o.pairs(), arrays(fresh), false, 0, 0);
        List<PreferencePair> pairs = o.pairs();
        for (int i = 0; i < pairs.size(); i++) {
            assertTrue(OracleCases.closeRel(r.policyLogps()[0][i], pairs.get(i).refChosen(), 1e-10));
            assertTrue(OracleCases.closeRel(r.policyLogps()[1][i], pairs.get(i).refRejected(), 1e-10));
        }
        assertEquals(Math.log(2), r.loss(), 1e-10, "policy == reference gives the loss log 2");
    }
}
