package org.sparkdpo.model.logprob;

import org.sparkdpo.model.TestWeights;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.lora.LoraAdapter;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-token log-probs, sums and means of the tiny GPT-2, base and LoRA policy, against the float64 oracle. */
class Gpt2LogProbsTest {
    static BaseWeights f64;
    static BaseWeights f32;
    static LoraAdapter adapter64;
    static LoraAdapter adapter32;

    @BeforeAll
    static void load() throws Exception {
        f64 = TestWeights.get(TestFixtures.tinyGpt2(), DataType.DOUBLE);
        f32 = TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT);
        adapter64 = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"), f64.model(), DataType.DOUBLE);
        adapter32 = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"), f32.model(), DataType.FLOAT);
    }

    /** Chosen then rejected of every example, in oracle order. */
    static List<Completion> completions() {
        List<Completion> out = new ArrayList<>();
        for (JsonNode e : OracleCases.examples()) {
            int[] prompt = OracleCases.ints(e.get("prompt_ids"));
            out.add(new Completion(prompt, OracleCases.ints(e.get("chosen_ids"))));
            out.add(new Completion(prompt, OracleCases.ints(e.get("rejected_ids"))));
        }
        return out;
    }

    static List<JsonNode> expected(String which) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : OracleCases.examples()) {
            out.add(e.get(which).get("chosen"));
            out.add(e.get(which).get("rejected"));
        }
        return out;
    }

    @Test
    void float64ReferenceMatchesOraclePerToken() {
        check(new CompletionScorer(f64, null).score(completions()), expected("reference"), 1e-8);
    }

    @Test
    void float64PolicyMatchesOraclePerToken() {
        check(new CompletionScorer(f64, adapter64).score(completions()), expected("policy"), 1e-8);
    }

    private static void check(CompletionScores got, List<JsonNode> want, double rel) {
        for (int i = 0; i < want.size(); i++) {
            JsonNode w = want.get(i);
            double[] tokens = OracleCases.doubles(w.get("token_logps"));
            assertEquals(tokens.length, got.tokenLogps()[i].length, "token count of sequence " + i);
            assertEquals(w.get("n_tokens").asInt(), got.counts()[i]);
            for (int j = 0; j < tokens.length; j++) {
                double g = got.tokenLogps()[i][j];
                assertTrue(OracleCases.closeRel(g, tokens[j], rel), "seq " + i + " token " + j + ": " + g + " vs " + tokens[j]);
            }
            assertTrue(OracleCases.closeRel(got.sums()[i], w.get("logp_sum").asDouble(), rel),
                    "sum of seq " + i + ": " + got.sums()[i] + " vs " + w.get("logp_sum").asDouble());
            assertTrue(OracleCases.closeRel(got.mean(i), w.get("logp_mean").asDouble(), rel), "mean of seq " + i);
        }
    }

    @Test
    void float32SumsWithin1em4() {
        for (boolean lora : new boolean[]{false, true}) {
            CompletionScores got = new CompletionScorer(f32, lora ? adapter32 : null).score(completions());
            List<JsonNode> want = expected(lora ? "policy" : "reference");
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).get("logp_sum").asDouble(), got.sums()[i], 1e-4, "lora=" + lora + " seq " + i);
            }
        }
    }

    @Test
    void batchedEqualsOneAtATime() {
        for (BaseWeights base : List.of(f64, f32)) {
            LoraAdapter a = base == f64 ? adapter64 : adapter32;
            CompletionScorer scorer = new CompletionScorer(base, a);
            List<Completion> all = completions();
            CompletionScores batched = scorer.score(all, 80);          // extra padding beyond the longest
            double tol = base == f64 ? 1e-12 : 2e-5;
            for (int i = 0; i < all.size(); i++) {
                CompletionScores one = scorer.score(List.of(all.get(i)));
                assertEquals(one.sums()[0], batched.sums()[i], tol * Math.max(1, Math.abs(one.sums()[0])), "seq " + i);
                assertEquals(one.logitSums()[0], batched.logitSums()[i], tol * Math.max(1, Math.abs(one.logitSums()[0])));
            }
        }
    }
}
