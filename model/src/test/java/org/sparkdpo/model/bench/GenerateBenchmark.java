package org.sparkdpo.model.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.Gpt2;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.config.Gpt2Config;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.generate.Generator;
import org.sparkdpo.model.io.SafeTensorsWriter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Not a test: generation throughput of a random GPT-2-shaped model, with the KV cache and without it (the whole
 * sequence recomputed per token), greedy, float32, after one untimed warm-up run of each (graph building).
 * Then, in the same run, {@code dev-tools/bench/torch_generate.py} (Debian's python3-torch: {@code /usr/bin/python3},
 * or {@code SPARK_DPO_PYTHON}) decodes the same model file and prompts with PyTorch's incremental decoding
 * (past_key_values style) and without a cache; a table puts the four rates side by side and says whether both
 * implementations chose the same greedy tokens. The last line printed is JSON with both results.
 *
 * <p>usage: {@code GenerateBenchmark [--layers 4] [--width 256] [--heads 4] [--vocab 50257] [--batch 4]
 * [--prompt 32] [--new 64] [--reps 2] [--threads N]}; tokens/s counts generated tokens (batch x new) over the
 * wall time of whole generate calls, prefill included.
 *
 * <p>Both paths are bound by SameDiff's per-op dispatch at small sizes (a 2-layer tiny Llama step costs ~12 ms of
 * CPU for ~120 ops), which is why the cache gains less than in PyTorch; the gain grows with the sequence length,
 * as the recomputed prefix does. Current figures: the README's Generation section.
 */
public final class GenerateBenchmark {
    private GenerateBenchmark() {}

    public static void main(String[] args) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        Map<String, Integer> o = new LinkedHashMap<>(Map.of("layers", 4, "width", 256, "heads", 4, "vocab", 50257,
                "batch", 4, "prompt", 32, "new", 64, "reps", 2));
        for (int i = 0; i < args.length; i += 2) {
            String k = args[i].replaceFirst("^--", "");
            if (!o.containsKey(k) || i + 1 >= args.length) {
                System.err.println("usage: GenerateBenchmark " + o.keySet().stream().map(x -> "[--" + x + " N]").toList());
                System.exit(2);
            }
            o.put(k, Integer.parseInt(args[i + 1]));
        }
        int layers = o.get("layers"), width = o.get("width"), heads = o.get("heads"), vocab = o.get("vocab");
        int batch = o.get("batch"), prompt = o.get("prompt"), newTokens = o.get("new"), reps = o.get("reps");
        int positions = Math.max(1024, prompt + newTokens);
        Path dir = Files.createTempDirectory("gen-bench-");
        Gpt2Config cfg = new Gpt2Config(vocab, positions, width, layers, heads, 4 * width, "gelu_new", 1e-5, true, true,
                false, false, OptionalInt.empty(), OptionalInt.empty());
        Files.writeString(dir.resolve("config.json"), String.format(Locale.ROOT, "{\"model_type\": \"gpt2\", \"vocab_size\": %d, "
                + "\"n_positions\": %d, \"n_embd\": %d, \"n_layer\": %d, \"n_head\": %d}", vocab, positions, width, layers, heads));
        Map<String, INDArray> w = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(1);
        for (Map.Entry<String, long[]> e : new Gpt2(cfg).weightShapes().entrySet()) {
            String n = e.getKey();
            INDArray a = n.endsWith("ln_1.weight") || n.endsWith("ln_2.weight") || n.endsWith("ln_f.weight")
                    ? Nd4j.ones(DataType.FLOAT, e.getValue())
                    : n.endsWith(".bias") ? Nd4j.zeros(DataType.FLOAT, e.getValue())
                    : Nd4j.randn(DataType.FLOAT, e.getValue()).muli(0.02);
            w.put(n, a);
        }
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), w, Map.of("format", "pt"));
        BaseWeights base = ModelStore.load(dir, DataType.FLOAT);

        SplittableRandom r = new SplittableRandom(7);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) prompts.add(r.ints(prompt, 0, vocab).toArray());
        GenerationConfig greedy = GenerationConfig.greedy(newTokens, Set.of());
        List<int[]> tokens = new ArrayList<>();
        double cached = tokensPerSecond(Generator.withKvCache(base, null, null), prompts, greedy, reps, tokens);
        double full = tokensPerSecond(Generator.withoutCache(base, null, null), prompts, greedy, reps, new ArrayList<>());
        String shape = String.format(Locale.ROOT, "GPT-2 shape: %d layers, width %d, %d heads, vocab %d; batch %d, prompt %d, "
                + "%d new tokens, float32, %d threads", layers, width, heads, vocab, batch, prompt, newTokens,
                Runtime.getRuntime().availableProcessors());
        System.out.println(shape);
        System.out.printf(Locale.ROOT, "with KV cache:    %.1f tokens/s%n", cached);
        System.out.printf(Locale.ROOT, "without cache:    %.1f tokens/s (speed-up %.1fx)%n", full, cached / full);
        String ours = String.format(Locale.ROOT, "{\"impl\": \"spark-dpo\", \"layers\": %d, \"width\": %d, \"heads\": %d, "
                        + "\"vocab\": %d, \"batch\": %d, \"prompt\": %d, \"new_tokens\": %d, \"kv_cache_tokens_per_s\": %.2f, "
                        + "\"no_cache_tokens_per_s\": %.2f}",
                layers, width, heads, vocab, batch, prompt, newTokens, cached, full);
        String torch = torchBaseline(dir, prompts, newTokens, reps);
        if (torch == null) {
            System.out.println(ours);
            return;
        }
        JsonNode t = new ObjectMapper().readTree(torch);
        boolean same = true;
        for (int i = 0; i < prompts.size(); i++) {
            int[] theirs = new ObjectMapper().convertValue(t.get("greedy_tokens").get(i), int[].class);
            same &= java.util.Arrays.equals(tokens.get(i), theirs);
        }
        System.out.printf(Locale.ROOT, "%-26s %16s %16s %9s%n", "tokens/s", "with KV cache", "without cache", "speed-up");
        System.out.printf(Locale.ROOT, "%-26s %16.1f %16.1f %8.1fx%n", "spark-dpo (ND4J)", cached, full, cached / full);
        double tc = t.get("kv_cache_tokens_per_s").asDouble(), tf = t.get("no_cache_tokens_per_s").asDouble();
        System.out.printf(Locale.ROOT, "%-26s %16.1f %16.1f %8.1fx%n", "PyTorch " + t.get("torch").asText() + " ("
                + t.get("threads").asInt() + " thr)", tc, tf, tc / tf);
        System.out.println("same greedy tokens in both implementations (all " + prompts.size() + " prompts): " + same);
        System.out.println("{\"spark_dpo\": " + ours + ", \"torch\": " + torch.replaceAll(", \"greedy_tokens\": \\[.*\\]\\}$", "}")
                + ", \"same_greedy_tokens\": " + same + "}");
    }

    /**
     * Runs the PyTorch baseline on the model folder and prompts measured here; returns its JSON line, or null (with
     * the reason on stderr) when python3-torch is missing or the run printed no result.
     */
    private static String torchBaseline(Path model, List<int[]> prompts, int newTokens, int reps) throws Exception {
        Path script = Path.of("dev-tools/bench/torch_generate.py");
        if (!Files.isRegularFile(script)) {
            System.err.println("PyTorch baseline skipped: run from the repository root (no " + script + " here)");
            return null;
        }
        if (DpoStepComparison.run(List.of(DpoStepComparison.PYTHON, "-c", "import torch")).stream().anyMatch(l -> l.contains("Error"))) {
            System.err.println("PyTorch baseline skipped: " + DpoStepComparison.PYTHON + " has no torch (apt-get install python3-torch,"
                    + " or point SPARK_DPO_PYTHON at a python with torch)");
            return null;
        }
        StringBuilder json = new StringBuilder("[");
        for (int[] p : prompts) json.append(json.length() > 1 ? ", " : "").append(java.util.Arrays.toString(p));
        Path file = Files.writeString(model.resolve("prompts.json"), json.append("]").toString());
        List<String> out = DpoStepComparison.run(List.of(DpoStepComparison.PYTHON, script.toString(), "--model", model.toString(),
                "--prompts", file.toString(), "--new", String.valueOf(newTokens), "--reps", String.valueOf(reps),
                "--threads", String.valueOf(Runtime.getRuntime().availableProcessors())));
        try {
            return DpoStepComparison.lastJsonLine(out);
        } catch (IllegalStateException e) {
            System.err.println("PyTorch baseline printed no result");
            return null;
        }
    }

    /** Generated tokens/s over {@code reps} timed runs; {@code last} receives the last run's token ids per prompt. */
    private static double tokensPerSecond(Generator g, List<int[]> prompts, GenerationConfig c, int reps, List<int[]> last) {
        g.generate(prompts, c);                                             // warm-up: builds the graphs
        long t0 = System.nanoTime();
        long tokens = 0;
        for (int i = 0; i < reps; i++) {
            var gens = g.generate(prompts, c);
            tokens += gens.stream().mapToLong(x -> x.tokenIds().length).sum();
            if (i == reps - 1) {
                last.clear();
                gens.forEach(x -> last.add(x.tokenIds()));
            }
        }
        return tokens / ((System.nanoTime() - t0) / 1e9);
    }
}
