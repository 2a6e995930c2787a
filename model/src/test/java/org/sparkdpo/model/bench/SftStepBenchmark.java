package org.sparkdpo.model.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.Gpt2;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.io.SafeTensorsWriter;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;
import org.sparkdpo.model.sft.SftObjective;

/**
 * Not a test: wall time and memory of one SFT step (forward + backward of the mean token loss, plus an SGD update
 * of the arrays) with {@link SftObjective}, full-parameter or LoRA.
 *
 * <p>usage: {@code SftStepBenchmark MODEL_DIR|gpt2-124m full|lora BATCH PROMPT_LEN COMPLETION_LEN STEPS}.
 * {@code gpt2-124m} writes a random checkpoint of GPT-2 124M's shapes (12 x 768, vocab 50257) to a temp folder.
 * Prints the median step time, peak RSS (VmHWM) and the Java heap in use.
 */
public final class SftStepBenchmark {
    public static void main(String[] args) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        Path dir = args[0].equals("gpt2-124m") ? randomGpt2() : Path.of(args[0]);
        boolean full = args[1].equals("full");
        int batch = Integer.parseInt(args[2]), p = Integer.parseInt(args[3]), c = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        BaseWeights base = ModelStore.load(dir, DataType.FLOAT);
        int vocab = base.model().config().vocabSize();
        Random rng = new Random(1);
        List<Completion> exs = new ArrayList<>();
        for (int i = 0; i < batch; i++) exs.add(new Completion(rng.ints(p, 0, vocab).toArray(), rng.ints(c, 0, vocab).toArray()));
        SftObjective obj;
        Map<String, INDArray> params;
        if (full) {
            obj = SftObjective.full(base, true);
            params = obj.initialFullWeights();
        } else {
            LoraConfig cfg = new LoraConfig(8, 16, 0, List.of("all-linear"), false,
                    base.model() instanceof Gpt2, null);
            List<LinearModule> modules = base.model().linearModules();
            LoraAdapter a = LoraAdapter.init(cfg, base.model(), 42, DataType.FLOAT);
            obj = SftObjective.lora(base, cfg, a.pairs().stream().map(LoraAdapter.Pair::module).toList(), true);
            params = new LinkedHashMap<>();
            for (LoraAdapter.Pair pr : a.pairs()) {
                params.put(LoraBindings.varName(pr.module().path(), 'A'), pr.a());
                params.put(LoraBindings.varName(pr.module().path(), 'B'), pr.b());
            }
            System.out.println("LoRA modules: " + modules.size());
        }
        long n = params.values().stream().mapToLong(INDArray::length).sum();
        double[] ms = new double[steps];
        for (int s = 0; s < steps; s++) {
            long t0 = System.nanoTime();
            SftObjective.Result r = obj.run(exs, params, true, 0, 0);
            for (Map.Entry<String, INDArray> e : params.entrySet()) e.getValue().subi(r.gradients().get(e.getKey()).muli(1e-4));
            ms[s] = (System.nanoTime() - t0) / 1e6;
            System.out.printf("step %d: %.0f ms, loss %.4f, acc %.3f%n", s, ms[s], r.loss(), r.meanTokenAccuracy());
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        Runtime rt = Runtime.getRuntime();
        System.out.printf("%s %s: %d trainable, batch %d x (%d+%d): median step %.0f ms (first %.0f ms), peak RSS %s, heap used %d MB%n",
                args[0], full ? "full" : "lora", n, batch, p, c, sorted[steps / 2], ms[0], peakRss(),
                (rt.totalMemory() - rt.freeMemory()) >> 20);
    }

    private static String peakRss() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) if (l.startsWith("VmHWM")) return l.substring(6).trim();
        return "?";
    }

    /** A random checkpoint with GPT-2 124M's config and shapes. */
    static Path randomGpt2() throws Exception {
        Path d = Files.createTempDirectory("gpt2-124m-random");
        String cfg = "{\"model_type\":\"gpt2\",\"architectures\":[\"GPT2LMHeadModel\"],\"vocab_size\":50257,\"n_positions\":1024,"
                + "\"n_embd\":768,\"n_layer\":12,\"n_head\":12,\"n_inner\":null,\"activation_function\":\"gelu_new\","
                + "\"layer_norm_epsilon\":1e-05,\"tie_word_embeddings\":true,\"bos_token_id\":50256,\"eos_token_id\":50256}";
        Files.writeString(d.resolve("config.json"), cfg);
        var m = org.sparkdpo.model.arch.Architectures.of(org.sparkdpo.model.config.ModelConfig.load(d));
        Map<String, INDArray> t = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(3);
        m.weightShapes().forEach((k, shape) -> t.put(k, shape.length == 1 ? Nd4j.ones(DataType.FLOAT, shape)
                : Nd4j.randn(DataType.FLOAT, shape).muli(0.02)));
        SafeTensorsWriter.write(d.resolve("model.safetensors"), t, Map.of("format", "pt"));
        return d;
    }
}
