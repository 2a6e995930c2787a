package org.sparkdpo.jobs.precompute;

import org.sparkdpo.model.TestWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.Architectures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.config.ModelConfig;
import org.sparkdpo.model.io.SafeTensorsWriter;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;

/**
 * Benchmark (not a test): reference tokens/s of the precompute for a GPT-2-shaped random model (default 4 layers,
 * 256 wide, 4 heads, GPT-2's 50,257-token vocabulary), next to this machine's measured GEMM rate and the forward-pass
 * FLOP bound that rate implies. Run with {@code submit/bench.sh precompute [--pairs N] [--layers L] [--width D]
 * [--shards K] [--batch-tokens B] [--master local[N]] [--keep DIR]}.
 *
 * <p>FLOPs counted per real token: 24·L·d² (the linear layers) + 4·L·T·d (QKᵀ and AV at padded length T), plus
 * 2·V·d per scored completion token (the output head; prompt positions never reach it). Layer norms, softmax and
 * log-sum-exp are not counted, so the bound is optimistic.
 */
public final class PrecomputeBenchmark {
    private PrecomputeBenchmark() {}

    public static void main(String[] argv) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        Map<String, String> a = args(argv);
        int pairs = Integer.parseInt(a.getOrDefault("pairs", "384"));
        int layers = Integer.parseInt(a.getOrDefault("layers", "4"));
        int width = Integer.parseInt(a.getOrDefault("width", "256"));
        int heads = Integer.parseInt(a.getOrDefault("heads", "4"));
        int shards = Integer.parseInt(a.getOrDefault("shards", "4"));
        int batchTokens = Integer.parseInt(a.getOrDefault("batch-tokens", "8192"));
        String master = a.getOrDefault("master", "local[2]");
        Path dir = a.containsKey("keep") ? Files.createDirectories(Path.of(a.get("keep")))
                : Files.createTempDirectory("precompute-bench");

        System.out.printf("machine: %d cores, ND4J backend %s%n", Runtime.getRuntime().availableProcessors(),
                Nd4j.getBackend().getClass().getSimpleName());
        double gemm = gemmGflops();
        System.out.printf("GEMM 512x256 . 256x1024 float32 into a preallocated array: %.1f GFLOP/s%n", gemm);

        Path model = writeModel(dir.resolve("model"), layers, width, heads, 256);
        List<PreparedDataFixture.Pair> data = randomPairs(pairs, 50257, 11);
        SparkSession spark = SparkSession.builder().config(new SparkConf().set("spark.master", master)
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.app.name", "precompute-bench")).getOrCreate();
        Path prepared = PreparedDataFixture.write(spark, dir.resolve("prepared"), data, shards);

        BaseWeights base = TestWeights.get(model, DataType.FLOAT);
        System.out.printf("model: GPT-2 shape, %d layers, width %d, %d heads, vocab 50257: %,d weights%n", layers, width,
                heads, base.numWeights());

        // 1. the scorer alone, one thread, batches formed as the job forms them
        double[] direct = scorerOnly(base, data, batchTokens);
        // 2. the whole job on Spark
        PrecomputeSettings o = PrecomputeSettingsBuilder.of(prepared.toString(), model.toString(), dir.resolve("ref").toString())
                .withBatch(batchTokens, PrecomputeSettingsBuilder.DEFAULT_MAX_BATCH).withOverwrite(true).build();
        PrecomputeResult r = PrecomputeRefJob.run(spark, o);

        Flops f = flops(data, layers, width, 50257, batchTokens);
        double boundTps = gemm * 1e9 * f.tokens / f.flops;
        System.out.println();
        System.out.printf("work: %d pairs, %,d real tokens (both sequences), %,d scored completion tokens, %.2f GFLOP "
                + "useful forward work (%.0f%% of it in the output head)%n", pairs, f.tokens, f.scored, f.flops / 1e9,
                100 * f.headFlops / f.flops);
        System.out.printf("FLOP bound at the measured GEMM rate: %,.0f tokens/s%n", boundTps);
        System.out.printf("scorer alone (1 thread, no Spark, batch-tokens %d, graphs warm): %,.0f tokens/s = %.1f%% of bound "
                + "(%.1f GFLOP/s effective); first pass incl. graph builds %,.0f tokens/s%n", batchTokens, direct[1],
                100 * direct[1] / boundTps, direct[1] * f.flops / f.tokens / 1e9, direct[0]);
        System.out.printf("precompute-ref job (%s, %d shards, padding %.1f%%): %,.0f tokens/s = %.1f%% of bound, wall %.1f s%n",
                master, shards, 100 * r.paddingFraction(), r.tokensPerSecond(), 100 * r.tokensPerSecond() / boundTps, r.seconds());
        System.out.println("data and output kept in " + dir);
        spark.stop();
    }

    record Flops(long tokens, long scored, double flops, double headFlops) {}

    /** Useful forward FLOPs: linear layers and attention at the padded length each batch would have, plus the head. */
    static Flops flops(List<PreparedDataFixture.Pair> data, int layers, int d, int vocab, int batchTokens) {
        long tokens = 0;
        long scored = 0;
        double flops = 0;
        double head = 0;
        for (PreparedDataFixture.Pair p : data) {
            for (int[] c : new int[][] {p.chosen(), p.rejected()}) {
                int len = p.prompt().length + c.length;
                int t = (len + 15) / 16 * 16;
                tokens += len;
                scored += c.length;
                flops += (double) len * (24.0 * layers * d * d + 4.0 * layers * t * d);
                head += 2.0 * vocab * d * c.length;
            }
        }
        return new Flops(tokens, scored, flops + head, head);
    }

    /** {first pass, second pass} tokens/s of one CompletionScorer over the data, batched like the job. */
    static double[] scorerOnly(BaseWeights base, List<PreparedDataFixture.Pair> data, int batchTokens) {
        List<PreparedDataFixture.Pair> sorted = new ArrayList<>(data);
        sorted.sort(java.util.Comparator.comparingInt(PreparedDataFixture.Pair::length));
        BatchPlanner planner = new BatchPlanner(batchTokens, PrecomputeSettingsBuilder.DEFAULT_MAX_BATCH, 256);
        List<List<Completion>> batches = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        List<Completion> cur = new ArrayList<>();
        int longest = 0;
        long tokens = 0;
        for (PreparedDataFixture.Pair p : sorted) {
            if (!planner.fits(cur.size() / 2, longest, p.length())) {
                batches.add(cur);
                lengths.add(planner.paddedLength(longest));
                cur = new ArrayList<>();
                longest = 0;
            }
            cur.add(new Completion(p.prompt(), p.chosen()));
            cur.add(new Completion(p.prompt(), p.rejected()));
            longest = Math.max(longest, p.length());
            tokens += p.prompt().length * 2L + p.chosen().length + p.rejected().length;
        }
        batches.add(cur);
        lengths.add(planner.paddedLength(longest));
        CompletionScorer scorer = new CompletionScorer(base, null);
        double[] out = new double[2];
        for (int pass = 0; pass < 2; pass++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < batches.size(); i++) scorer.score(batches.get(i), lengths.get(i));
            out[pass] = tokens / ((System.nanoTime() - t0) / 1e9);
        }
        return out;
    }

    public static double gemmGflops() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 512, 256);
        INDArray w = Nd4j.rand(DataType.FLOAT, 256, 1024);
        INDArray y = Nd4j.create(DataType.FLOAT, 512, 1024);
        for (int i = 0; i < 50; i++) Nd4j.gemm(x, w, y, false, false, 1.0, 0.0);
        int reps = 0;
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 3_000_000_000L) {
            Nd4j.gemm(x, w, y, false, false, 1.0, 0.0);
            reps++;
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return 2.0 * 512 * 256 * 1024 * reps / secs / 1e9;
    }

    /** A random GPT-2-shaped checkpoint (N(0, 0.02) weights, unit layer-norm scales) with the GPT-2 tokenizer. */
    public static Path writeModel(Path dir, int layers, int width, int heads, int positions) throws Exception {
        Files.createDirectories(dir);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(TestFixtures.tinyGpt2().resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("model_type", "gpt2");
        cfg.put("architectures", List.of("GPT2LMHeadModel"));
        cfg.put("activation_function", "gelu_new");
        cfg.put("vocab_size", 50257);
        cfg.put("n_positions", positions);
        cfg.put("n_ctx", positions);
        cfg.put("n_embd", width);
        cfg.put("n_layer", layers);
        cfg.put("n_head", heads);
        cfg.put("n_inner", null);
        cfg.put("layer_norm_epsilon", 1e-5);
        cfg.put("tie_word_embeddings", true);
        cfg.put("bos_token_id", 50256);
        cfg.put("eos_token_id", 50256);
        Files.writeString(dir.resolve("config.json"), PythonJson.write(cfg));
        CausalLm lm = Architectures.of(ModelConfig.load(dir));
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(5);
        for (Map.Entry<String, long[]> e : lm.weightShapes().entrySet()) {
            String n = e.getKey();
            INDArray t = n.matches(".*ln_[12f]\\.weight") ? Nd4j.ones(DataType.FLOAT, e.getValue())
                    : n.endsWith(".bias") ? Nd4j.zeros(DataType.FLOAT, e.getValue())
                    : Nd4j.randn(DataType.FLOAT, e.getValue()).muli(0.02);
            tensors.put(n, t);
        }
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }

    /** Random ids: prompts of 16..96 tokens, completions of 8..64 tokens plus EOS. */
    static List<PreparedDataFixture.Pair> randomPairs(int n, int vocab, long seed) {
        Random rng = new Random(seed);
        List<PreparedDataFixture.Pair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PreparedDataFixture.Pair(String.format("pair-%06d", i), ids(rng, 16 + rng.nextInt(81), vocab, -1),
                    ids(rng, 8 + rng.nextInt(57), vocab, 50256), ids(rng, 8 + rng.nextInt(57), vocab, 50256)));
        }
        return out;
    }

    private static int[] ids(Random rng, int n, int vocab, int eos) {
        int[] a = new int[eos < 0 ? n : n + 1];
        for (int i = 0; i < n; i++) a[i] = rng.nextInt(vocab - 1);
        if (eos >= 0) a[n] = eos;
        return a;
    }

    /** {@code --name value} pairs of a benchmark's command line. */
    public static Map<String, String> args(String[] argv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --name value, got " + argv[i]);
            m.put(argv[i].substring(2), argv[i + 1]);
        }
        return m;
    }
}
