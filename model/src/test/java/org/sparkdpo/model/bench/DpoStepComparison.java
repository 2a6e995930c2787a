package org.sparkdpo.model.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Not a test: {@code submit/bench.sh dpo-step}. Runs our DPO training step ({@link DpoStepBenchmark}, in a child
 * JVM of its own) and the PyTorch baseline ({@code dev-tools/bench/torch_dpo_lora.py}, in a Python process of its
 * own) on the same shape, one after the other, so neither inherits the other's peak RSS; measures this machine's
 * float32 GEMM peak in this process; prints both sides' output and, as the last line, one JSON object.
 *
 * <p>{@code achieved_gflops} counts the model FLOPs of one step, forward plus the backward pass through frozen
 * weights (input gradients only, about one more forward), LoRA and attention included, divided by our median
 * step time; recomputation by gradient checkpointing is not counted as useful work.
 *
 * <pre>submit/bench.sh dpo-step [--preset toy|gpt2-124m|qwen2-0.5b] [--layers --width --heads --kv-heads
 *     --intermediate --vocab --batch --prompt --completion --lora-r --workers --steps --gradient-checkpointing --pytorch true|false]</pre>
 */
public final class DpoStepComparison {
    /** Debian's python3-torch is installed for the system interpreter, which a pyenv or venv {@code python3} may hide. */
    static final String PYTHON = System.getenv().getOrDefault("SPARK_DPO_PYTHON",
            java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3");

    private static final ObjectMapper JSON = new ObjectMapper();

    private DpoStepComparison() {}

    static Map<String, String> preset(String name) {
        Map<String, String> p = new LinkedHashMap<>();
        switch (name) {
            case "toy" -> p.putAll(Map.of("arch", "gpt2", "layers", "4", "width", "256", "heads", "4", "vocab", "50257",
                    "batch", "8", "prompt", "64", "completion", "64"));
            case "gpt2-124m" -> p.putAll(Map.of("arch", "gpt2", "layers", "12", "width", "768", "heads", "12",
                    "vocab", "50257", "batch", "4", "prompt", "128", "completion", "128"));
            case "qwen2-0.5b" -> p.putAll(Map.of("arch", "qwen2", "layers", "24", "width", "896", "heads", "14",
                    "kv-heads", "2", "intermediate", "4864", "vocab", "151936", "batch", "2", "prompt", "256",
                    "completion", "256"));
            default -> throw new IllegalArgumentException("unknown preset '" + name + "' (toy, gpt2-124m, qwen2-0.5b)");
        }
        p.put("lora-r", "8");
        p.put("steps", "4");
        p.put("workers", "1");
        p.put("gradient-checkpointing", "false");
        p.put("pytorch", "true");
        return p;
    }

    /** {@code --key value} pairs; a {@code --key} followed by another option or nothing means "true". */
    static Map<String, String> options(String[] argv) {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + argv[i]);
            String k = argv[i].substring(2);
            boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
            a.put(k, flag ? "true" : argv[++i]);
        }
        return a;
    }

    public static void main(String[] argv) throws Exception {
        // before anything loads ND4J's native libraries; both children get the same settings (see run)
        List<org.sparkdpo.model.exec.NativeEnvironment.Setting> nativeEnv = org.sparkdpo.model.exec.NativeEnvironment.apply();
        Map<String, String> a = options(argv);
        Map<String, String> c = preset(a.getOrDefault("preset", "toy"));
        a.forEach((k, v) -> { if (!k.equals("preset")) c.put(k, v); });
        c.putIfAbsent("kv-heads", c.get("heads"));                 // GPT-2 shapes: derived from the final width/heads
        c.putIfAbsent("intermediate", String.valueOf(4 * Integer.parseInt(c.get("width"))));
        int threads = Runtime.getRuntime().availableProcessors();

        double gemm = gemmPeakGflops();
        System.out.printf("GEMM peak (float32 1024x1024x1024, %d threads): %.1f GFLOP/s%n", threads, gemm);

        List<String> ours = new ArrayList<>(javaCommand());
        ours.add(DpoStepBenchmark.class.getName());
        for (String k : List.of("arch", "layers", "width", "heads", "kv-heads", "intermediate", "vocab", "batch",
                "prompt", "completion", "lora-r", "steps")) {
            ours.add(k + "=" + c.get(k));
        }
        ours.add("checkpointing=" + c.get("gradient-checkpointing"));
        List<String> oursOut = run(ours);
        JsonNode o = JSON.readTree(lastJsonLine(oursOut));

        Double torchPps = null;
        Double torchRss = null;
        String torchNote;
        if (!Boolean.parseBoolean(c.get("pytorch"))) {
            torchNote = "skipped (--pytorch false)";
        } else if (!c.get("arch").equals("gpt2")) {
            torchNote = "the PyTorch baseline models GPT-2 only";
        } else if (run(List.of(PYTHON, "-c", "import torch")).stream().anyMatch(l -> l.contains("Error"))) {
            torchNote = "python3-torch is not installed (apt-get install python3-torch)";
        } else {
            List<String> out = run(List.of(PYTHON, "dev-tools/bench/torch_dpo_lora.py", "--threads", String.valueOf(threads),
                    "--layers", c.get("layers"), "--width", c.get("width"), "--heads", c.get("heads"), "--vocab", c.get("vocab"),
                    "--batch", c.get("batch"), "--prompt", c.get("prompt"), "--completion", c.get("completion"),
                    "--r", c.get("lora-r"), "--steps", c.get("steps")));
            Matcher m = Pattern.compile("pairs/s ([0-9.]+).*peak RSS ([0-9.]+) MB").matcher(String.join("\n", out));
            if (m.find()) {
                torchPps = Double.parseDouble(m.group(1));
                torchRss = Double.parseDouble(m.group(2));
                torchNote = "ok";
            } else {
                torchNote = "the PyTorch run printed no result";
            }
        }

        double stepS = o.get("median_step_s").asDouble();
        ObjectNode r = JSON.createObjectNode();
        r.put("bench", "dpo-step");
        r.put("pairs_per_s", o.get("pairs_per_s").asDouble());
        r.put("tokens_per_s", o.get("tokens_per_s").asDouble());
        r.put("peak_rss_mb", o.get("peak_rss_mb").asLong());
        r.put("median_step_s", stepS);
        putOrNull(r, "pytorch_pairs_per_s", torchPps);
        putOrNull(r, "pytorch_peak_rss_mb", torchRss);
        putOrNull(r, "ratio", torchPps == null ? null : o.get("pairs_per_s").asDouble() / torchPps);
        putOrNull(r, "memory_ratio", torchRss == null ? null : o.get("peak_rss_mb").asDouble() / torchRss);
        r.put("pytorch", torchNote);
        r.put("gemm_peak_gflops", gemm);
        double flops = stepFlops(c);
        r.put("achieved_gflops", flops / stepS / 1e9);
        r.put("achieved_fraction_of_peak", flops / stepS / 1e9 / gemm);
        for (String k : List.of("forward_s", "head_s", "backward_s")) r.set(k, o.get(k));
        r.put("threads", threads);
        putOrNull(r, "openblas_coretype", nativeEnv.get(0).value());
        putOrNull(r, "omp_wait_policy", nativeEnv.get(1).value());
        ObjectNode cfg = r.putObject("config");
        c.forEach(cfg::put);
        System.out.println(JSON.writeValueAsString(r));
    }

    private static void putOrNull(ObjectNode n, String k, String v) {
        if (v == null) n.putNull(k);
        else n.put(k, v);
    }

    private static void putOrNull(ObjectNode n, String k, Double v) {
        if (v == null) n.putNull(k);
        else n.put(k, v);
    }

    /** Model FLOPs of one training step: forward, plus the input-gradient backward through frozen weights (x2). */
    static double stepFlops(Map<String, String> c) {
        double e = Double.parseDouble(c.get("width"));
        double layers = Double.parseDouble(c.get("layers"));
        double heads = Double.parseDouble(c.get("heads"));
        double kv = Double.parseDouble(c.get("kv-heads"));
        double inter = Double.parseDouble(c.get("intermediate"));
        double vocab = Double.parseDouble(c.get("vocab"));
        double r = Double.parseDouble(c.get("lora-r"));
        double t = Double.parseDouble(c.get("prompt")) + Double.parseDouble(c.get("completion"));
        double seqs = 2 * Double.parseDouble(c.get("batch"));
        double scored = seqs * Double.parseDouble(c.get("completion"));
        double kvw = e * kv / heads;
        boolean gpt2 = c.get("arch").equals("gpt2");
        // per token and layer: the linear maps (q, k, v, o and the MLP), their LoRA deltas, and attention over T
        double[][] linears = gpt2 ? new double[][]{{e, 3 * e}, {e, e}, {e, inter}, {inter, e}}
                : new double[][]{{e, e}, {e, kvw}, {e, kvw}, {e, e}, {e, inter}, {e, inter}, {inter, e}};
        double perTokenLayer = 4 * t * e;
        for (double[] l : linears) perTokenLayer += 2 * l[0] * l[1] + 2 * r * (l[0] + l[1]);
        double forward = seqs * t * layers * perTokenLayer + scored * 2 * e * vocab;
        return 2 * forward;
    }

    /** float32 GEMM into a preallocated array, best of a few seconds of repetitions. */
    static double gemmPeakGflops() {
        int n = 1024;
        INDArray x = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray w = Nd4j.rand(DataType.FLOAT, n, n);
        INDArray y = Nd4j.create(DataType.FLOAT, n, n);
        for (int i = 0; i < 3; i++) Nd4j.gemm(x, w, y, false, false, 1.0, 0.0);
        double best = 0;
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            Nd4j.gemm(x, w, y, false, false, 1.0, 0.0);
            best = Math.max(best, 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9) / 1e9);
        }
        return best;
    }

    /** This JVM's launcher, flags and class path, for a child JVM with the same setup. */
    private static List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    /**
     * Runs a command with stderr merged, echoing its output to stderr; returns the lines. The child gets this
     * process's {@code OPENBLAS_CORETYPE} and {@code OMP_WAIT_POLICY}, so ours and PyTorch's OpenBLAS run the same
     * kernels and both OpenMP runtimes the same wait policy.
     */
    static List<String> run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of("").toAbsolutePath().toFile()).redirectErrorStream(true);
        for (org.sparkdpo.model.exec.NativeEnvironment.Setting n : org.sparkdpo.model.exec.NativeEnvironment.apply()) {
            if (n.value() != null) pb.environment().put(n.variable(), n.value());
        }
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = in.readLine()) != null; ) {
                if (l.startsWith("Added differentiated op")) continue;
                lines.add(l);
                System.err.println("  | " + l);
            }
        }
        p.waitFor();
        return lines;
    }

    static String lastJsonLine(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) if (lines.get(i).startsWith("{")) return lines.get(i);
        throw new IllegalStateException("our step benchmark printed no result");
    }
}
