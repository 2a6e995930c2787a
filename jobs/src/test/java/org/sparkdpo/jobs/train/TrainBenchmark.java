package org.sparkdpo.jobs.train;

import org.sparkdpo.model.TestWeights;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.jobs.precompute.PrecomputeBenchmark;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraConfig;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Benchmark of DPO training (not a test): one worker step of a GPT-2-shaped random model with LoRA on every linear
 * map, in one JVM, then whole averaging rounds on Spark; prints pairs/s, tokens/s, peak memory and bytes moved per
 * averaging round, next to the command of the PyTorch baseline that does the same step.
 *
 * <pre>submit/bench.sh train [--layers 4] [--width 256] [--heads 4] [--batch 8] [--prompt 64] [--completion 64]
 *                 [--steps 10] [--workers 2] [--master local[2]]</pre>
 */
public final class TrainBenchmark {
    private TrainBenchmark() {}

    public static void main(String[] argv) throws Exception {
        org.sparkdpo.model.exec.NativeEnvironment.apply();          // before anything loads ND4J's native libraries
        Map<String, String> a = PrecomputeBenchmark.args(argv);
        int layers = Integer.parseInt(a.getOrDefault("layers", "4"));
        int width = Integer.parseInt(a.getOrDefault("width", "256"));
        int heads = Integer.parseInt(a.getOrDefault("heads", "4"));
        int batch = Integer.parseInt(a.getOrDefault("batch", "8"));
        int prompt = Integer.parseInt(a.getOrDefault("prompt", "64"));
        int completion = Integer.parseInt(a.getOrDefault("completion", "64"));
        int steps = Integer.parseInt(a.getOrDefault("steps", "10"));
        int workers = Integer.parseInt(a.getOrDefault("workers", "2"));
        String master = a.getOrDefault("master", "local[2]");
        Path dir = Files.createTempDirectory("train-bench");
        System.out.printf("machine: %d cores; GEMM 512x256.256x1024 float32: %.1f GFLOP/s%n",
                Runtime.getRuntime().availableProcessors(), PrecomputeBenchmark.gemmGflops());
        Path model = PrecomputeBenchmark.writeModel(dir.resolve("model"), layers, width, heads, 1024);
        var base = TestWeights.get(model, DataType.FLOAT);
        LoraConfig lora = new LoraConfig(8, 16, 0.0, List.of("all-linear"), false, true, "bench");
        TrainingModel.Spec spec = TrainingModel.Spec.of(model.toString(), DataType.FLOAT, lora,
                DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), null, 1, 1, 1);
        OptimizerSettings adamw = new OptimizerSettings("adamw", 1e-4, 0, WarmupDecaySchedule.Decay.CONSTANT, 0, 1.0, 0.9, 0.999, 1e-8);
        List<PreferencePair> pairs = pairs(batch * workers * (steps + 2), prompt, completion);
        long tokensPerPair = 2L * (prompt + completion);
        System.out.printf("model: GPT-2 shape, %d layers, width %d, %d heads, vocab 50257, %,d weights; LoRA r 8 on all %d "
                + "linear maps; batch %d pairs of %d+%d tokens (T = %d)%n", layers, width, heads, base.numWeights(),
                base.model().linearModules().size(), batch, prompt, completion, prompt + completion);

        // 1. one worker step, no Spark: DL4J fit of one batch
        MultiLayerNetwork net = DpoNetworks.build(spec, adamw, 1000);
        List<Double> times = new ArrayList<>();
        for (int s = 0; s < steps + 2; s++) {
            DataSet ds = PairBatchCodec.encode(pairs.subList(s * batch, (s + 1) * batch), DataType.FLOAT);
            long t0 = System.nanoTime();
            net.fit(ds);
            if (s >= 2) times.add((System.nanoTime() - t0) / 1e9);
        }
        double med = median(times);
        System.out.printf("one worker step (1 JVM, no Spark): median %.0f ms = %.2f pairs/s, %,.0f tokens/s (forward+backward)%n",
                med * 1000, batch / med, batch * tokensPerPair / med);
        System.out.printf("LoRA parameters: %,d; bytes per averaging round (params + AdamW state, float32): %,d%n",
                net.numParams(), TrainingRun.bytesPerRound(net));

        // 2. whole rounds on Spark through ParameterAveragingTrainingMaster
        SparkSession spark = SparkSession.builder().config(new SparkConf().set("spark.master", master)
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.app.name", "train-bench")).getOrCreate();
        Path data = PrecomputedPairs.write(spark, pairs, dir.resolve("data"), workers);
        for (int freq : new int[]{1, 4}) {
            TrainSettings o = new TrainSettings(new TrainSettings.Paths(data.toString(), model.toString(), dir.resolve("run-" + freq), null),
                    new TrainSettings.Batching(batch, 1, workers, freq, false), DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), lora,
                    adamw, new TrainSettings.Schedule(1, steps, 1), TrainSettings.Evaluation.none(), TrainSettings.Checkpoints.none(),
                    new TrainSettings.Seeds(1, 1, 1), DataType.FLOAT);
            long t0 = System.nanoTime();
            DpoTrainer.Result r = DpoTrainer.train(spark, o);
            double secs = (System.nanoTime() - t0) / 1e9;
            List<Map<String, Object>> lines = MetricsLog.read(r.metricsFile());
            double[] pps = lines.stream().skip(Math.min(2, lines.size() - 1)).mapToDouble(l -> ((Number) l.get("pairs_per_second")).doubleValue()).toArray();
            double[] tps = lines.stream().skip(Math.min(2, lines.size() - 1)).mapToDouble(l -> ((Number) l.get("tokens_per_second")).doubleValue()).toArray();
            System.out.printf("Spark %s, %d workers, averaging every %d step(s): %d steps in %.1f s (incl. setup); steady "
                            + "%.2f pairs/s, %,.0f tokens/s; %,d bytes broadcast per round and %,d gathered from each worker%n",
                    master, workers, freq, r.steps(), secs, median(pps), median(tps), r.bytesPerRound(), r.bytesPerRound());
        }
        System.out.printf("peak JVM heap %,d MB; peak RSS %s%n",
                ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / (1 << 20), peakRss());
        StringBuilder sameEnv = new StringBuilder("env -u OPENBLAS_L2_SIZE");     // the native settings this JVM ran with
        for (org.sparkdpo.model.exec.NativeEnvironment.Setting n : org.sparkdpo.model.exec.NativeEnvironment.apply()) {
            sameEnv.append(n.value() == null ? " -u " + n.variable() : " " + n.variable() + "=" + n.value());
        }
        System.out.printf("PyTorch baseline, same machine and native settings: %s /usr/bin/python3 "
                + "dev-tools/bench/torch_dpo_lora.py --layers %d --width %d --heads %d --batch %d --prompt %d --completion %d "
                + "--threads %d%n", sameEnv, layers, width, heads, batch, prompt, completion, Runtime.getRuntime().availableProcessors());
        spark.stop();
        Nd4j.getMemoryManager().invokeGc();
    }

    static List<PreferencePair> pairs(int n, int prompt, int completion) {
        Random rng = new Random(3);
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new PreferencePair(String.format("p%06d", i), ids(rng, prompt), ids(rng, completion), ids(rng, completion),
                    -400 - rng.nextDouble(), -400 - rng.nextDouble()));
        }
        return out;
    }

    private static int[] ids(Random rng, int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rng.nextInt(50256);
        return a;
    }

    static double median(List<Double> v) {
        return median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length == 0 ? Double.NaN : c[c.length / 2];
    }

    static String peakRss() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) if (l.startsWith("VmHWM:")) return l.substring(6).trim();
        return "n/a";
    }
}
