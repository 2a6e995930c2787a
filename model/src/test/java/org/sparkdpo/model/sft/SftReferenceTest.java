package org.sparkdpo.model.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.TestWeights;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SFT objective against the float64 reference of dev-tools/golden/sft_reference.py, on the tiny GPT-2 (tied head,
 * Conv1D, learned positions) and the tiny Llama (untied head, rotary, GQA): one full-parameter SGD step, the
 * all-tokens variant, and LoRA gradients.
 */
class SftReferenceTest {
    private static JsonNode reference;

    static synchronized JsonNode ref(String model) throws IOException {
        if (reference == null) {
            reference = new ObjectMapper().readTree(TestFixtures.repoRoot()
                    .resolve("model/src/test/resources/oracle-sft/sft_reference.json").toFile());
        }
        return reference.get(model);
    }

    static BaseWeights base(JsonNode r) {
        return TestWeights.get(TestFixtures.repoRoot().resolve(r.get("model_dir").asText()), DataType.DOUBLE);
    }

    static List<Completion> examples(JsonNode r) {
        List<Completion> out = new ArrayList<>();
        for (JsonNode e : r.get("examples")) out.add(new Completion(OracleCases.ints(e.get("prompt")), OracleCases.ints(e.get("completion"))));
        return out;
    }

    static double globalNorm(Map<String, INDArray> grads) {
        double sq = 0;
        for (INDArray g : grads.values()) {
            double n = g.norm2Number().doubleValue();
            sq += n * n;
        }
        return Math.sqrt(sq);
    }

    static void close(double want, double got, double rel, String what) {
        assertTrue(OracleCases.closeRel(got, want, rel), what + ": want " + want + ", got " + got);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void oneFullParameterSgdStepMatchesReference(String model) throws IOException {
        JsonNode r = ref(model);
        JsonNode want = r.get("full");
        BaseWeights base = base(r);
        SftObjective obj = SftObjective.full(base, true);
        assertEquals(SftObjective.fullNames(base), obj.trainableNames());
        Map<String, INDArray> params = obj.initialFullWeights();
        SftObjective.Result res = obj.run(examples(r), params, true, 0, 0);
        close(want.get("loss").asDouble(), res.loss(), 1e-9, model + " loss");
        assertEquals(want.get("tokens").asLong(), res.tokens());
        assertEquals(want.get("correct").asLong(), res.correct());
        assertEquals(params.keySet(), res.gradients().keySet());
        close(want.get("grad_global_norm").asDouble(), globalNorm(res.gradients()), 1e-7, model + " global grad norm");
        want.get("grad_norms").fields().forEachRemaining(e -> {
            INDArray g = res.gradients().get(e.getKey());
            close(e.getValue().asDouble(), g.norm2Number().doubleValue(), 1e-7, model + " |grad " + e.getKey() + "|");
            double[] first = OracleCases.doubles(want.get("grad_first_row").get(e.getKey()));
            INDArray flat = g.dup('c').reshape(-1);
            double scale = Math.max(1e-12, Math.abs(e.getValue().asDouble()));
            for (int i = 0; i < first.length; i++) {
                assertEquals(first[i], flat.getDouble(i), 1e-8 * scale + 1e-12, model + " grad " + e.getKey() + "[" + i + "]");
            }
        });
        double lr = r.get("lr").asDouble();
        for (Map.Entry<String, INDArray> e : params.entrySet()) e.getValue().subi(res.gradients().get(e.getKey()).mul(lr));
        double after = obj.run(examples(r), params, false, 0, 0).loss();
        close(want.get("loss_after_sgd").asDouble(), after, 1e-8, model + " loss after one SGD step");
        assertTrue(after < res.loss(), "one step lowers the loss");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void allTokensLossMatchesReference(String model) throws IOException {
        JsonNode r = ref(model);
        JsonNode want = r.get("full_all_tokens");
        SftObjective obj = SftObjective.full(base(r), false);
        Map<String, INDArray> params = obj.initialFullWeights();
        SftObjective.Result res = obj.run(examples(r), params, true, 0, 16);
        close(want.get("loss").asDouble(), res.loss(), 1e-9, model + " loss (all tokens)");
        assertEquals(want.get("tokens").asLong(), res.tokens());
        assertEquals(want.get("correct").asLong(), res.correct());
        close(want.get("grad_global_norm").asDouble(), globalNorm(res.gradients()), 1e-7, model + " grad norm (all tokens)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void loraGradientsMatchReference(String model) throws IOException {
        JsonNode r = ref(model);
        JsonNode want = r.get("lora");
        BaseWeights base = base(r);
        Path dir = TestFixtures.repoRoot().resolve(r.get("model_dir").asText()).resolve("adapter");
        LoraAdapter adapter = LoraAdapter.load(dir, base.model(), DataType.DOUBLE);
        SftObjective obj = SftObjective.lora(base, adapter.config(),
                adapter.pairs().stream().map(LoraAdapter.Pair::module).toList(), true);
        Map<String, INDArray> params = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : adapter.pairs()) {
            params.put(LoraBindings.varName(p.module().path(), 'A'), p.a().dup());
            params.put(LoraBindings.varName(p.module().path(), 'B'), p.b().dup());
        }
        SftObjective.Result res = obj.run(examples(r), params, true, 0, 0);
        close(want.get("loss").asDouble(), res.loss(), 1e-9, model + " LoRA loss");
        close(want.get("grad_global_norm").asDouble(), globalNorm(res.gradients()), 1e-7, model + " LoRA grad norm");
        int checked = 0;
        for (LoraAdapter.Pair p : adapter.pairs()) {
            for (char w : new char[]{'A', 'B'}) {
                String key = LoraAdapter.peftKey(p.module().path(), w);
                INDArray expected = matrix(want.get("grads").get(key));
                INDArray got = res.gradients().get(LoraBindings.varName(p.module().path(), w));
                OracleCases.assertGradient(key, expected, got, expected.norm2Number().doubleValue());
                checked++;
            }
        }
        assertEquals(2 * adapter.pairs().size(), checked);
    }

    static INDArray matrix(JsonNode rows) {
        double[][] m = new double[rows.size()][];
        for (int i = 0; i < m.length; i++) m[i] = OracleCases.doubles(rows.get(i));
        return Nd4j.createFromArray(m);
    }

    /** Completion-only: prompt tokens are never scored, so they add neither to the loss nor to the token count. */
    @Test
    void completionOnlyMaskScoresNoPromptToken() throws IOException {
        JsonNode r = ref("gpt2");
        SftObjective only = SftObjective.full(base(r), true);
        SftObjective all = SftObjective.full(base(r), false);
        Map<String, INDArray> params = only.initialFullWeights();
        List<Completion> exs = examples(r);
        int completionTokens = exs.stream().mapToInt(c -> c.completionIds().length).sum();
        int allTokens = exs.stream().mapToInt(c -> c.length() - 1).sum();
        SftObjective.Result a = only.run(exs, params, false, 0, 0);
        SftObjective.Result b = all.run(exs, params, false, 0, 0);
        assertEquals(completionTokens, a.tokens());
        assertEquals(allTokens, b.tokens());
        // sum of NLL over all tokens = completion part + the prompt part scored one example at a time
        double promptSum = 0;
        for (Completion c : exs) {
            if (c.promptIds().length < 2) continue;
            int[] p = c.promptIds();
            Completion promptOnly = new Completion(new int[]{p[0]}, java.util.Arrays.copyOfRange(p, 1, p.length));
            promptSum += only.run(List.of(promptOnly), params, false, 0, 0).loss() * (p.length - 1);
        }
        assertEquals(b.loss() * allTokens, a.loss() * completionTokens + promptSum, 1e-9 * allTokens * b.loss());
        // a different prompt changes the conditioning but never the number of scored tokens
        List<Completion> otherPrompts = new ArrayList<>();
        for (Completion c : exs) otherPrompts.add(new Completion(new int[c.promptIds().length + 3], c.completionIds()));
        assertEquals(completionTokens, only.run(otherPrompts, params, false, 0, 0).tokens());
    }
}
