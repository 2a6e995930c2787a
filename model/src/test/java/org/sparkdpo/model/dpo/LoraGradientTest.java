package org.sparkdpo.model.dpo;

import org.sparkdpo.model.TestWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.io.SafeTensorsFile;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Gradients of the mean sigmoid DPO loss w.r.t. every LoRA matrix, and one SGD step, against the oracle. */
class LoraGradientTest {
    static BaseWeights base;
    static LoraAdapter adapter;
    static List<LinearModule> modules;

    @BeforeAll
    static void load() throws Exception {
        base = TestWeights.get(TestFixtures.tinyGpt2(), DataType.DOUBLE);
        adapter = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"), base.model(), DataType.DOUBLE);
        modules = adapter.pairs().stream().map(LoraAdapter.Pair::module).toList();
    }

    static Map<String, INDArray> arrays(LoraAdapter a) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : a.pairs()) {
            m.put(LoraBindings.varName(p.module().path(), 'A'), p.a().dup());
            m.put(LoraBindings.varName(p.module().path(), 'B'), p.b().dup());
        }
        return m;
    }

    static DpoObjective objective() {
        return new DpoObjective(base, adapter.config(), modules, DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0));
    }

    @Test
    void gradientsMatchOracleElementwiseAndInNorm() throws Exception {
        DpoObjective.Result r = objective().run(OracleCases.pairs(), arrays(adapter), true, 0, 0);
        JsonNode gc = OracleCases.json().get("grad_check");
        assertTrue(OracleCases.closeRel(r.loss(), gc.get("loss_value").asDouble(), 1e-8), "loss " + r.loss());
        double globalSq = 0;
        int checked = 0;
        try (SafeTensorsFile f = SafeTensorsFile.open(TestFixtures.tinyGpt2().resolve("grads.safetensors"))) {
            for (LoraAdapter.Pair p : adapter.pairs()) {
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
        assertEquals(16, checked);
        assertTrue(OracleCases.closeRel(Math.sqrt(globalSq), gc.get("grad_global_norm").asDouble(), 1e-6));
    }

    @Test
    void oneSgdStepGivesOracleLoss() {
        DpoObjective obj = objective();
        Map<String, INDArray> params = arrays(adapter);
        DpoObjective.Result r = obj.run(OracleCases.pairs(), params, true, 0, 0);
        for (Map.Entry<String, INDArray> e : params.entrySet()) e.getValue().subi(r.gradients().get(e.getKey()).mul(0.5));
        double after = obj.run(OracleCases.pairs(), params, false, 0, 0).loss();
        double want = OracleCases.json().at("/grad_check/loss_after_sgd").asDouble();
        assertTrue(OracleCases.closeRel(after, want, 1e-8), "loss after SGD " + after + " vs " + want);
    }

    @Test
    void zeroBAdapterScoresExactlyTheBaseModel() {
        LoraAdapter fresh = LoraAdapter.init(adapter.config(), base.model(), 7, DataType.DOUBLE);
        DpoObjective.Result r = objective().run(OracleCases.pairs(), arrays(fresh), false, 0, 0);
        List<PreferencePair> pairs = OracleCases.pairs();
        for (int i = 0; i < pairs.size(); i++) {
            assertTrue(OracleCases.closeRel(r.policyLogps()[0][i], pairs.get(i).refChosen(), 1e-10));
            assertTrue(OracleCases.closeRel(r.policyLogps()[1][i], pairs.get(i).refRejected(), 1e-10));
        }
        assertEquals(Math.log(2), r.loss(), 1e-10, "policy == reference gives the loss log 2");
    }
}
