package org.sparkdpo.model.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.Architectures;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.config.ModelConfig;
import org.sparkdpo.model.io.DType;
import org.sparkdpo.model.io.SafeTensorsWriter;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Not a test: {@code submit/bench.sh random-model}. Writes a Hugging Face checkpoint folder with random weights in the
 * shape of a {@code dpo-step} preset ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json},
 * {@code tokenizer_config.json}) and, optionally, a pretokenized preference file of N pairs of exact lengths, so the
 * real commands ({@code prepare}, {@code precompute-ref}, {@code train}) can be measured at a model size whose weights
 * this machine cannot download. The tokenizer is copied from a small real one (default: the GPT-2 tokenizer of the
 * bundled demo model); its ids must fit the model's vocabulary, which is checked.
 *
 * <pre>submit/bench.sh random-model --preset qwen2-0.5b --out models/qwen2-0.5b-random [--tokenizer DIR]
 *     [--dtype BF16|F32] [--pairs 2 --prompt 256 --completion 256]</pre>
 */
public final class RandomCheckpoint {
    static final String DEMO_TOKENIZER = "model/src/test/resources/oracle-gpt2/tiny-gpt2";

    private RandomCheckpoint() {}

    public static void main(String[] argv) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        Map<String, String> a = DpoStepComparison.options(argv);
        Map<String, String> c = DpoStepComparison.preset(a.getOrDefault("preset", "qwen2-0.5b"));
        a.forEach((k, v) -> { if (!k.equals("preset")) c.put(k, v); });
        Path out = Path.of(require(a, "out"));
        Path tokenizer = Path.of(a.getOrDefault("tokenizer", DEMO_TOKENIZER));
        DType dtype = DType.valueOf(a.getOrDefault("dtype", "BF16"));
        int tokenizerVocab = write(out, configJson(c), tokenizer, dtype);
        if (a.containsKey("pairs")) {
            int pairs = Integer.parseInt(a.get("pairs"));
            int prompt = Integer.parseInt(c.get("prompt"));
            int completion = Integer.parseInt(c.get("completion"));
            writePairs(out.resolve("pairs.jsonl"), pairs, prompt, completion, tokenizerVocab);
            System.out.printf(Locale.ROOT, "wrote %s/pairs.jsonl: %d pairs of %d+%d token ids%n", out, pairs, prompt, completion);
        }
    }

    /** The config.json of a preset's shape (GPT-2, or Qwen2: tied head, q/k/v biases). */
    static String configJson(Map<String, String> c) {
        int layers = Integer.parseInt(c.get("layers"));
        int width = Integer.parseInt(c.get("width"));
        int heads = Integer.parseInt(c.get("heads"));
        int vocab = Integer.parseInt(c.get("vocab"));
        int positions = Math.max(1024, Integer.parseInt(c.get("prompt")) + Integer.parseInt(c.get("completion")));
        if (c.get("arch").equals("gpt2")) return DpoStepBenchmark.gpt2Config(layers, width, heads, vocab, positions);
        int kv = Integer.parseInt(c.getOrDefault("kv-heads", c.get("heads")));
        int inter = Integer.parseInt(c.getOrDefault("intermediate", String.valueOf(4 * width)));
        return DpoStepBenchmark.qwen2Config(layers, width, heads, kv, inter, vocab, positions);
    }

    /**
     * Writes the checkpoint folder (config, random weights stored as {@code dtype}, the tokenizer's two files);
     * returns the tokenizer's vocabulary size. Refuses a tokenizer whose ids do not fit the model's vocabulary.
     */
    static int write(Path out, String configJson, Path tokenizerDir, DType dtype) throws IOException {
        Files.createDirectories(out);
        Path config = out.resolve("config.json");
        Files.writeString(config, configJson);
        CausalLm lm = Architectures.of(ModelConfig.load(out));
        int tokenizerVocab = tokenizerVocab(tokenizerDir.resolve("tokenizer.json"));
        if (tokenizerVocab > lm.config().vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + tokenizerDir + " has " + tokenizerVocab
                    + " ids, more than the model's vocabulary " + lm.config().vocabSize());
        }
        Files.copy(tokenizerDir.resolve("tokenizer.json"), out.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(out.resolve("tokenizer_config.json"), "{\"add_bos_token\":false,\"bos_token\":\"<|endoftext|>\","
                + "\"eos_token\":\"<|endoftext|>\",\"model_max_length\":32768,\"tokenizer_class\":\"GPT2Tokenizer\"}");
        Map<String, INDArray> tensors = randomWeights(lm);
        long count = tensors.values().stream().mapToLong(INDArray::length).sum();
        SafeTensorsWriter.write(out.resolve("model.safetensors"), tensors, Map.of("format", "pt"), dtype);
        tensors.values().forEach(INDArray::close);
        System.out.printf(Locale.ROOT, "wrote %s: %s, %,d weights (%s), tokenizer %s (%d ids)%n", out,
                lm.config().modelType(), count, dtype, tokenizerDir, tokenizerVocab);
        return tokenizerVocab;
    }

    /** N(0, 0.02) matrices, unit norm scales, zero biases, float32 (seed 5), in the architecture's names. */
    static Map<String, INDArray> randomWeights(CausalLm lm) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(5);
        for (Map.Entry<String, long[]> e : lm.weightShapes().entrySet()) {
            String n = e.getKey();
            INDArray t;
            if ((n.contains(".ln_") || n.contains("norm")) && n.endsWith(".weight")) t = Nd4j.ones(DataType.FLOAT, e.getValue());
            else if (n.endsWith(".bias")) t = Nd4j.zeros(DataType.FLOAT, e.getValue());
            else t = Nd4j.randn(DataType.FLOAT, e.getValue()).muli(0.02);
            tensors.put(n, t);
        }
        return tensors;
    }

    /** Pretokenized preference rows ({@code id, prompt_ids, chosen_ids, rejected_ids}) of exact lengths, seed 7. */
    static void writePairs(Path file, int pairs, int prompt, int completion, int vocab) throws IOException {
        Random rng = new Random(7);
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < pairs; i++) {
                w.write("{\"id\":\"bench-" + i + "\",\"prompt_ids\":" + ids(rng, prompt, vocab) + ",\"chosen_ids\":"
                        + ids(rng, completion, vocab) + ",\"rejected_ids\":" + ids(rng, completion, vocab) + "}\n");
            }
        }
    }

    /** Random ids below the last id (GPT-2's last id is its end-of-text token). */
    private static String ids(Random rng, int n, int vocab) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append(rng.nextInt(vocab - 1));
        return b.append(']').toString();
    }

    /** The number of ids a tokenizer.json defines: its model vocabulary plus added tokens beyond it. */
    static int tokenizerVocab(Path tokenizerJson) throws IOException {
        com.fasterxml.jackson.databind.JsonNode t = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tokenizerJson.toFile());
        int max = -1;
        for (var it = t.path("model").path("vocab").elements(); it.hasNext(); ) max = Math.max(max, it.next().asInt());
        for (com.fasterxml.jackson.databind.JsonNode added : t.path("added_tokens")) max = Math.max(max, added.path("id").asInt());
        return max + 1;
    }

    private static String require(Map<String, String> a, String key) {
        String v = a.get(key);
        if (v == null) throw new IllegalArgumentException("--" + key + " is required");
        return v;
    }
}
