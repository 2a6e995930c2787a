package org.sparkdpo.model.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.Architectures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.CausalLm;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.config.ModelConfig;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Not a test: the model-level DPO training step (forward + backward of {@link DpoObjective}, no optimizer, no
 * Spark) of a random GPT-2-shaped model in float32 with LoRA r 8 on every linear map, in this process alone, so
 * that the process's peak RSS (VmHWM) is the step's. Prints one JSON line.
 *
 * <pre>java ... DpoStepBenchmark layers=4 width=256 heads=4 vocab=50257 batch=8 prompt=64 completion=64 steps=4
 *     checkpointing=true|false [profile-ops=true: ND4J's per-op time table of the last step, on the log]</pre>
 */
public final class DpoStepBenchmark {
    private DpoStepBenchmark() {}

    public static void main(String[] argv) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        Map<String, String> a = new LinkedHashMap<>();
        for (String s : argv) a.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        int layers = Integer.parseInt(a.getOrDefault("layers", "4"));
        int width = Integer.parseInt(a.getOrDefault("width", "256"));
        int heads = Integer.parseInt(a.getOrDefault("heads", "4"));
        int vocab = Integer.parseInt(a.getOrDefault("vocab", "50257"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
        int prompt = Integer.parseInt(a.getOrDefault("prompt", "64"));
        int completion = Integer.parseInt(a.getOrDefault("completion", "64"));
        int steps = Integer.parseInt(a.getOrDefault("steps", "4"));
        boolean ckpt = Boolean.parseBoolean(a.getOrDefault("checkpointing", "false"));
        int chunk = Integer.parseInt(a.getOrDefault("chunk", "0"));
        boolean profileOps = Boolean.parseBoolean(a.getOrDefault("profile-ops", "false"));

        int r = Integer.parseInt(a.getOrDefault("lora-r", "8"));
        String arch = a.getOrDefault("arch", "gpt2");
        BaseWeights base = arch.equals("gpt2") ? randomGpt2(layers, width, heads, vocab, prompt + completion)
                : randomQwen2(layers, width, heads, Integer.parseInt(a.getOrDefault("kv-heads", "2")),
                Integer.parseInt(a.getOrDefault("intermediate", String.valueOf(4 * width))), vocab, prompt + completion);
        LoraConfig lora = new LoraConfig(r, 2 * r, 0.0, List.of("all-linear"), false, true, "bench");
        List<LinearModule> modules = base.model().linearModules();
        DpoObjective obj = new DpoObjective(base, lora, modules, DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), ckpt, chunk);
        Map<String, INDArray> params = new LinkedHashMap<>();
        Nd4j.getRandom().setSeed(11);
        for (LinearModule m : modules) {
            params.put(LoraBindings.varName(m.path(), 'A'), Nd4j.randn(DataType.FLOAT, r, m.in()).muli(0.01));
            params.put(LoraBindings.varName(m.path(), 'B'), Nd4j.randn(DataType.FLOAT, m.out(), r).muli(0.01));
        }
        long rssAfterLoad = status("VmRSS:");
        Random rng = new Random(3);
        List<Double> times = new ArrayList<>();
        List<Long> wsBytes = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        double loss = 0;
        Map<String, Double> profile = Map.of();
        for (int s = 0; s < steps; s++) {
            List<PreferencePair> pairs = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                pairs.add(new PreferencePair("p" + i, ids(rng, prompt, vocab), ids(rng, completion, vocab),
                        ids(rng, completion, vocab), -400 - rng.nextDouble(), -400 - rng.nextDouble()));
            }
            if (profileOps && s == steps - 1) {           // ND4J's per-op timing of the last step: op names and ms
                org.nd4j.linalg.profiler.OpProfiler.getInstance().reset();
                Nd4j.getExecutioner().setProfilingConfig(org.nd4j.linalg.profiler.ProfilerConfig.builder()
                        .checkElapsedTime(true).build());
            }
            long t0 = System.nanoTime();
            long c0 = cpuNanos();
            DpoObjective.Result res = obj.run(pairs, params, true, s, 0);
            times.add((System.nanoTime() - t0) / 1e9);
            cpu.add(Math.round((cpuNanos() - c0) / 1e6) / 1000.0);
            wsBytes.add(org.sparkdpo.model.nn.WorkspaceSessions.currentThreadBytes() >> 20);
            loss = res.loss();
            if (!obj.lastProfile().isEmpty()) System.err.println("step " + s + " profile " + obj.lastProfile());
            profile = obj.lastProfile();
            res.gradients().values().forEach(INDArray::close);
        }
        if (profileOps) org.nd4j.linalg.profiler.OpProfiler.getInstance().printOutDashboard();
        double[] steady = times.stream().skip(Math.min(1, times.size() - 1)).mapToDouble(Double::doubleValue).sorted().toArray();
        double med = steady[steady.length / 2];
        System.out.printf(Locale.ROOT, "{\"layers\":%d,\"width\":%d,\"heads\":%d,\"vocab\":%d,\"batch\":%d,\"prompt\":%d,"
                        + "\"completion\":%d,\"gradient_checkpointing\":%b,\"head_chunk_rows\":%d,\"steps\":%d,"
                        + "\"step_s\":%s,\"step_cpu_s\":%s,\"workspace_mb\":%s,\"median_step_s\":%.3f,\"pairs_per_s\":%.3f,\"tokens_per_s\":%.1f,"
                        + "\"rss_after_load_mb\":%d,\"peak_rss_mb\":%d,\"loss\":%.6f,\"arch\":\"%s\",\"lora_r\":%d,"
                        + "\"forward_s\":%s,\"head_s\":%s,\"backward_s\":%s,\"kept_activations_mb\":%s}%n",
                layers, width, heads, vocab, batch, prompt, completion, ckpt, chunk, steps,
                Arrays.toString(times.stream().mapToDouble(d -> Math.round(d * 1000) / 1000.0).toArray()), cpu, wsBytes,
                med, batch / med, batch * 2.0 * (prompt + completion) / med,
                rssAfterLoad / 1024, status("VmHWM:") / 1024, loss, arch, r, profile.getOrDefault("forward_s", null),
                profile.getOrDefault("head_s", null), profile.getOrDefault("backward_s", null),
                profile.getOrDefault("kept_activations_mb", null));
    }

    /** A GPT-2 config and N(0, 0.02) weights (unit norm scales, zero biases) held in memory, float32. */
    public static BaseWeights randomGpt2(int layers, int width, int heads, int vocab, int positions) throws Exception {
        return random(gpt2Config(layers, width, heads, vocab, positions));
    }

    /** A Qwen2-shaped config (tied head, q/k/v biases) with random weights, float32. */
    public static BaseWeights randomQwen2(int layers, int width, int heads, int kvHeads, int intermediate, int vocab,
                                          int positions) throws Exception {
        return random(qwen2Config(layers, width, heads, kvHeads, intermediate, vocab, positions));
    }

    /** The config.json of a GPT-2 shape (tied head, gelu_new). */
    static String gpt2Config(int layers, int width, int heads, int vocab, int positions) {
        return String.format(Locale.ROOT, "{\"model_type\":\"gpt2\","
                + "\"vocab_size\":%d,\"n_positions\":%d,\"n_ctx\":%d,\"n_embd\":%d,\"n_layer\":%d,\"n_head\":%d,"
                + "\"n_inner\":null,\"layer_norm_epsilon\":1e-5,\"tie_word_embeddings\":true,\"activation_function\":"
                + "\"gelu_new\",\"bos_token_id\":50256,\"eos_token_id\":50256}", vocab, positions, positions, width, layers, heads);
    }

    /** The config.json of a Qwen2 shape (tied head, q/k/v biases, rope_theta 1e6 as Qwen2-0.5B). */
    static String qwen2Config(int layers, int width, int heads, int kvHeads, int intermediate, int vocab, int positions) {
        return String.format(Locale.ROOT, "{\"model_type\":\"qwen2\",\"vocab_size\":%d,"
                + "\"max_position_embeddings\":%d,\"hidden_size\":%d,\"num_hidden_layers\":%d,"
                + "\"num_attention_heads\":%d,\"num_key_value_heads\":%d,\"intermediate_size\":%d,\"rms_norm_eps\":1e-6,"
                + "\"rope_theta\":1000000.0,\"tie_word_embeddings\":true,\"hidden_act\":\"silu\"}",
                vocab, Math.max(positions, 2048), width, layers, heads, kvHeads, intermediate);
    }

    private static BaseWeights random(String configJson) throws Exception {
        Path dir = Files.createTempDirectory("random-model");
        Files.writeString(dir.resolve("config.json"), configJson);
        CausalLm lm = Architectures.of(ModelConfig.load(dir));
        Map<String, INDArray> tensors = RandomCheckpoint.randomWeights(lm);
        return new BaseWeights(dir, lm, DataType.FLOAT, tensors, "random");
    }

    private static int[] ids(Random rng, int n, int vocab) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextInt(vocab - 1);
        return v;
    }

    /** CPU time of the whole process (all threads), which a loaded machine inflates less than wall time. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** A /proc/self/status field in kB. */
    static long status(String field) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith(field)) return Long.parseLong(l.substring(field.length()).trim().split("\\s+")[0]);
        }
        return -1;
    }
}
