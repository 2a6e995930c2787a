package org.sparkdpo.model.generate;

import org.sparkdpo.model.TestWeights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.logprob.CompletionScores;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.HfTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Incremental decoding with the KV cache against the full forward pass (the training/scoring code) on the tiny
 * GPT-2 and the three tiny Llama-family oracles (Llama: GQA 4/2 heads; Mistral: one kv head, linear RoPE scaling,
 * sliding window 12; Qwen2: biases, tied head), with and without their LoRA adapters; sampling, stopping, refusal.
 */
class GenerationTest {
    static final double LOGIT_TOL = 1e-5;
    static HfTokenizer gpt2Tokenizer;

    @BeforeAll
    static void load() throws Exception {
        gpt2Tokenizer = HfTokenizer.load(TestFixtures.tinyGpt2());
    }

    @AfterAll
    static void close() {
        gpt2Tokenizer.close();
    }

    static Path dir(String model) {
        return model.equals("gpt2") ? TestFixtures.tinyGpt2()
                : TestFixtures.repoRoot().resolve("model/src/test/resources/oracle-llama").resolve(model);
    }

    static BaseWeights base(String model) {
        return TestWeights.get(dir(model), DataType.FLOAT);
    }

    static LoraAdapter adapter(String model, BaseWeights base) throws Exception {
        return LoraAdapter.load(dir(model).resolve("adapter"), base.model(), DataType.FLOAT);
    }

    static Stream<String> models() {
        return Stream.of("gpt2", "llama", "mistral", "qwen2");
    }

    /** Three prompts of different lengths (so the cache's batch is left-padded), ids below every tiny vocabulary. */
    static List<int[]> prompts(int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<int[]> out = new ArrayList<>();
        for (int len : new int[]{7, 2, 11}) out.add(r.ints(len, 0, Math.min(vocab, 280)).toArray());
        return out;
    }

    static void assertRowsEqual(double[][] want, double[][] got, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) assertArrayEquals(want[i], got[i], LOGIT_TOL, what + ", sequence " + i);
    }

    /**
     * Every step's logits of the cached decoder equal the full forward's (1e-5, float32), for a batch of three
     * prompts fed 20 more tokens: past Mistral's sliding window of 12, so the window's edge is crossed in the cache.
     */
    @ParameterizedTest
    @MethodSource("models")
    void cachedLogitsEqualFullForwardAtEveryStep(String model) throws Exception {
        BaseWeights base = base(model);
        for (LoraAdapter a : new LoraAdapter[]{null, adapter(model, base)}) {
            int steps = 21;
            int[][] prompts = prompts(base.model().config().vocabSize(), 1).toArray(new int[0][]);
            KvCacheDecoder kv = new KvCacheDecoder(base, a);
            FullForwardDecoder ff = new FullForwardDecoder(base, a);
            double[][] cached = kv.prefill(prompts, steps);
            double[][] full = ff.prefill(prompts, steps);
            String what = model + (a == null ? "" : " + adapter");
            assertRowsEqual(full, cached, what + " prefill");
            for (int k = 1; k < steps; k++) {
                int[] next = new int[prompts.length];
                for (int i = 0; i < next.length; i++) next[i] = Sampler.argmax(cached[i]);
                cached = kv.step(next);
                full = ff.step(next);
                assertRowsEqual(full, cached, what + " step " + k);
            }
            assertEquals(11 + steps - 1, kv.cachedPositions());
            assertThrows(IllegalStateException.class, () -> kv.step(new int[prompts.length]), "capacity is enforced");
        }
    }

    /** Greedy generation with and without the cache produces the same tokens, batched and one prompt at a time. */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral"})
    void greedyGenerationWithCacheEqualsWithout(String model) throws Exception {
        BaseWeights base = base(model);
        LoraAdapter a = adapter(model, base);
        List<int[]> prompts = prompts(base.model().config().vocabSize(), 2);
        GenerationConfig greedy = GenerationConfig.greedy(16, Set.of());
        List<Generation> withCache = Generator.withKvCache(base, a, null).generate(prompts, greedy);
        List<Generation> without = Generator.withoutCache(base, a, null).generate(prompts, greedy);
        List<Generation> oneByOne = Generator.withKvCache(base, a, null).generate(prompts, greedy, 1);
        for (int i = 0; i < prompts.size(); i++) {
            assertEquals(16, withCache.get(i).tokenIds().length);
            assertEquals(FinishReason.LENGTH, withCache.get(i).finishReason());
            assertArrayEquals(without.get(i).tokenIds(), withCache.get(i).tokenIds(), model + " prompt " + i);
            assertArrayEquals(oneByOne.get(i).tokenIds(), withCache.get(i).tokenIds(), model + " prompt " + i + " alone");
            assertArrayEquals(prompts.get(i), withCache.get(i).promptIds());
            assertEquals(i, withCache.get(i).index());
        }
    }

    /**
     * The log-softmax of the cached decoder's logits at each generated token equals the scoring path's per-token
     * log-probs of the same completion (CompletionScorer, the code behind precompute-ref and eval); the first step
     * is the prefill, every later one a cached step. With the adapter, so LoRA is applied alike in both.
     */
    @ParameterizedTest
    @MethodSource("models")
    void cachedLogProbsEqualTheScoringPath(String model) throws Exception {
        BaseWeights base = base(model);
        for (LoraAdapter a : new LoraAdapter[]{null, adapter(model, base)}) {
            List<int[]> prompts = prompts(base.model().config().vocabSize(), 3);
            KvCacheDecoder kv = new KvCacheDecoder(base, a);
            int steps = 6;
            double[][] logits = kv.prefill(prompts.toArray(new int[0][]), steps);
            int[][] gen = new int[prompts.size()][steps];
            double[][] logps = new double[prompts.size()][steps];
            for (int k = 0; k < steps; k++) {
                int[] next = new int[prompts.size()];
                for (int i = 0; i < next.length; i++) {
                    next[i] = Sampler.argmax(logits[i]);
                    gen[i][k] = next[i];
                    logps[i][k] = logits[i][next[i]] - logSumExp(logits[i]);
                }
                if (k + 1 < steps) logits = kv.step(next);
            }
            List<Completion> seqs = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) seqs.add(new Completion(prompts.get(i), gen[i]));
            CompletionScores scores = new CompletionScorer(base, a).score(seqs);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(scores.tokenLogps()[i], logps[i], LOGIT_TOL, model + (a == null ? "" : " + adapter") + " prompt " + i);
            }
        }
    }

    static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double s = 0;
        for (double v : x) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    @Test
    void adapterChangesGeneration() throws Exception {
        BaseWeights base = base("gpt2");
        List<int[]> prompts = prompts(base.model().config().vocabSize(), 4);
        int[][] prompt = prompts.toArray(new int[0][]);
        double[][] plain = new KvCacheDecoder(base, null).prefill(prompt, 1);
        double[][] adapted = new KvCacheDecoder(base, adapter("gpt2", base)).prefill(prompt, 1);
        double maxDiff = 0;
        for (int i = 0; i < plain.length; i++) for (int j = 0; j < plain[i].length; j++) maxDiff = Math.max(maxDiff, Math.abs(plain[i][j] - adapted[i][j]));
        assertTrue(maxDiff > 1e-3, "the adapter changes the logits, max difference " + maxDiff);
    }

    static GenerationConfig sampling(long seed) {
        return new GenerationConfig(1.0, 50, 0.95, 12, seed, Set.of());
    }

    @Test
    void samplingIsReproducibleBySeedAndDiffersAcrossSeeds() {
        BaseWeights base = base("gpt2");
        List<int[]> prompts = prompts(base.model().config().vocabSize(), 5);
        Generator g = Generator.withKvCache(base, null, gpt2Tokenizer);
        List<Generation> a = g.generate(prompts, sampling(42));
        List<Generation> b = g.generate(prompts, sampling(42));
        List<Generation> oneByOne = g.generate(prompts, sampling(42), 1);
        List<Generation> c = g.generate(prompts, sampling(43));
        List<Generation> greedy = g.generate(prompts, GenerationConfig.greedy(12, Set.of()));
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(a.get(i).tokenIds(), b.get(i).tokenIds(), "same seed, prompt " + i);
            assertEquals(a.get(i).text(), b.get(i).text());
            assertArrayEquals(a.get(i).tokenIds(), oneByOne.get(i).tokenIds(), "same seed, unbatched, prompt " + i);
            assertFalse(java.util.Arrays.equals(a.get(i).tokenIds(), c.get(i).tokenIds()), "another seed, prompt " + i);
            assertFalse(java.util.Arrays.equals(a.get(i).tokenIds(), greedy.get(i).tokenIds()), "sampling is not greedy, prompt " + i);
        }
        assertFalse(java.util.Arrays.equals(a.get(0).tokenIds(), a.get(2).tokenIds()), "prompts draw from their own streams");
        // top-k 1 (at any temperature) and a tiny top-p leave only the most likely token: greedy
        GenerationConfig topK1 = new GenerationConfig(2.0, 1, 1.0, 12, 7, Set.of());
        GenerationConfig topPTiny = new GenerationConfig(0.7, 0, 1e-9, 12, 7, Set.of());
        for (GenerationConfig cfg : List.of(topK1, topPTiny)) {
            List<Generation> r = g.generate(prompts, cfg);
            for (int i = 0; i < prompts.size(); i++) assertArrayEquals(greedy.get(i).tokenIds(), r.get(i).tokenIds(), cfg.toString());
        }
    }

    @Test
    void samplerKeepsTopKAndNucleusAndFollowsTheDistribution() {
        double[] logits = {Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)};
        SplittableRandom r = new SplittableRandom(1);
        int[] counts = new int[4];
        int n = 20000;
        for (int i = 0; i < n; i++) counts[Sampler.next(logits, new GenerationConfig(1, 0, 1, 1, 0, Set.of()), r)]++;
        double[] p = {0.5, 0.3, 0.15, 0.05};
        for (int j = 0; j < 4; j++) assertEquals(p[j], counts[j] / (double) n, 0.015, "token " + j);
        int[] topK2 = new int[4];
        for (int i = 0; i < n; i++) topK2[Sampler.next(logits, new GenerationConfig(1, 2, 1, 1, 0, Set.of()), r)]++;
        assertEquals(0, topK2[2] + topK2[3], "top-k 2 keeps tokens 0 and 1 only");
        assertEquals(0.625, topK2[0] / (double) n, 0.015);
        int[] nucleus = new int[4];
        for (int i = 0; i < n; i++) nucleus[Sampler.next(logits, new GenerationConfig(1, 0, 0.75, 1, 0, Set.of()), r)]++;
        assertEquals(0, nucleus[2] + nucleus[3], "0.5 + 0.3 is the smallest set reaching top-p 0.75");
        assertTrue(nucleus[1] > 0);
        int[] cold = new int[4];
        for (int i = 0; i < n; i++) cold[Sampler.next(logits, new GenerationConfig(0.25, 0, 1, 1, 0, Set.of()), r)]++;
        assertEquals(Math.pow(0.5, 4) / (Math.pow(0.5, 4) + Math.pow(0.3, 4) + Math.pow(0.15, 4) + Math.pow(0.05, 4)),
                cold[0] / (double) n, 0.015, "temperature 0.25 raises probabilities to the 4th power");
        assertEquals(1, Sampler.argmax(new double[]{0, 3, 3, 1}), "ties go to the lowest id");
    }

    @Test
    void eosStopsEachSequenceAndIsLeftOutOfTheText() {
        BaseWeights base = base("gpt2");
        List<int[]> prompts = prompts(base.model().config().vocabSize(), 6);
        Generator g = Generator.withKvCache(base, null, gpt2Tokenizer);
        List<Generation> free = g.generate(prompts, GenerationConfig.greedy(10, Set.of()));
        int[] first = free.get(0).tokenIds();
        int stopAt = 3;
        while (stopAt < first.length && contains(first, first[stopAt], stopAt)) stopAt++;
        assertTrue(stopAt < first.length, "a token that first appears after step 3");
        int[] third = free.get(2).tokenIds();
        Set<Integer> eos = Set.of(first[stopAt], third[1]);
        List<Generation> stopped = g.generate(prompts, GenerationConfig.greedy(10, eos));
        Generation s0 = stopped.get(0);
        assertEquals(FinishReason.EOS, s0.finishReason());
        assertArrayEquals(java.util.Arrays.copyOf(first, stopAt + 1), s0.tokenIds(), "stops right after the EOS token");
        assertEquals(gpt2Tokenizer.decode(java.util.Arrays.copyOf(first, stopAt)), s0.text(), "text without the EOS token");
        assertEquals(FinishReason.EOS, stopped.get(2).finishReason());
        assertTrue(stopped.get(2).tokenIds().length <= 2, "the second EOS id stops too");
        Generation s1 = stopped.get(1);
        int[] mid = free.get(1).tokenIds();
        boolean hits = false;
        for (int t : mid) hits |= eos.contains(t);
        if (!hits) {
            assertEquals(FinishReason.LENGTH, s1.finishReason());
            assertArrayEquals(mid, s1.tokenIds(), "other sequences run on after one stops");
            assertEquals(gpt2Tokenizer.decode(mid), s1.text());
        }
    }

    private static boolean contains(int[] a, int v, int before) {
        for (int i = 0; i < before; i++) if (a[i] == v) return true;
        return false;
    }

    @Test
    void promptLongerThanTheContextIsRefusedAndTheContextEndStopsGeneration() {
        BaseWeights base = base("gpt2");
        Generator g = Generator.withKvCache(base, null, gpt2Tokenizer);
        int ctx = base.model().config().maxPositions();
        assertEquals(128, ctx);
        List<int[]> tooLong = List.of(new int[]{1, 2, 3}, new int[ctx + 5]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.generate(tooLong, GenerationConfig.greedy(4, Set.of())));
        assertTrue(e.getMessage().contains("prompt 1 has 133 tokens") && e.getMessage().contains("context is 128 positions"), e.getMessage());
        IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                () -> g.generate(List.of(new int[ctx]), GenerationConfig.greedy(4, Set.of())));
        assertTrue(full.getMessage().contains("128 tokens") && full.getMessage().contains("no room"), full.getMessage());
        // 125 + 3 fill the context: 3 tokens, finish "length", though 10 were allowed; a short prompt in the same batch gets 10
        List<Generation> r = g.generate(List.of(new int[ctx - 3], new int[]{5, 6}), GenerationConfig.greedy(10, Set.of()));
        assertEquals(3, r.get(0).tokenIds().length);
        assertEquals(FinishReason.LENGTH, r.get(0).finishReason());
        assertEquals(10, r.get(1).tokenIds().length);
        List<Generation> alone = Generator.withoutCache(base, null, null).generate(List.of(new int[]{5, 6}), GenerationConfig.greedy(10, Set.of()));
        assertArrayEquals(alone.get(0).tokenIds(), r.get(1).tokenIds());
    }

    @Test
    void eosIdsComeFromConfigAndGenerationConfigListsIncluded(@TempDir Path tmp) throws Exception {
        assertEquals(Set.of(50256), GenerationConfig.eosTokenIds(TestFixtures.tinyGpt2()));
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"llama\", \"eos_token_id\": [128001, 128008, 128009]}");
        assertEquals(Set.of(128001, 128008, 128009), GenerationConfig.eosTokenIds(tmp));
        Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": 7, \"temperature\": 0.6}");
        assertEquals(Set.of(7, 128001, 128008, 128009), GenerationConfig.eosTokenIds(tmp));
        Files.writeString(tmp.resolve("generation_config.json"), "{\"eos_token_id\": \"x\"}");
        assertThrows(java.io.IOException.class, () -> GenerationConfig.eosTokenIds(tmp));
    }

    @Test
    void configIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(-1, 0, 1, 4, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, -1, 1, 4, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 0, 0, 4, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 0, 1, 0, 0, Set.of()));
    }
}
