package org.sparkdpo.jobs.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.jobs.precompute.PrecomputeRefJob;
import org.sparkdpo.jobs.precompute.PrecomputeSettings;
import org.sparkdpo.jobs.train.DpoTrainer;
import org.sparkdpo.jobs.train.EvalJob;
import org.sparkdpo.jobs.train.TrainSettings;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareResult;
import org.sparkdpo.prep.PrepareSettings;

/**
 * The whole pipeline on a small synthetic preference task: write the task, prepare, precompute-ref, eval of the
 * base model, train, eval of the adapter, and a before/after table. Each stage runs with the settings its own
 * command would build ({@link Stages}); the model is a bundled tiny GPT-2 (a resource of this jar) unless given.
 */
public final class DemoJob {
    /** Where the demo writes each stage's output, under one folder. */
    public record Layout(Path out) {
        public Path trainJsonl() {
            return out.resolve("data/train.jsonl");
        }

        public Path testJsonl() {
            return out.resolve("data/test.jsonl");
        }

        public Path prepared(String split) {
            return out.resolve("prepared").resolve(split);
        }

        public Path ref(String split) {
            return out.resolve("ref").resolve(split);
        }

        public Path evalBefore() {
            return out.resolve("eval-before");
        }

        public Path run() {
            return out.resolve("dpo");
        }

        public Path evalAfter() {
            return out.resolve("eval-after");
        }

        public Path bundledModel() {
            return out.resolve("model");
        }
    }

    /** The settings of every stage, in the order they run; {@code pairs} synthetic training pairs are written first. */
    public record Stages(Layout layout, int pairs, PrepareSettings prepareTrain, PrepareSettings prepareTest,
                         PrecomputeSettings refTrain, PrecomputeSettings refTest, EvalJob.Settings evalBefore,
                         TrainSettings train, EvalJob.Settings evalAfter) {}

    /** What the demo produced. */
    public record Result(Path out, PrepareResult prepared, Map<String, Double> before, Map<String, Double> after,
                         DpoTrainer.Result train) {
        public void print(PrintStream ps) {
            ps.printf("%-26s %12s %12s%n", "held-out metric", "base model", "DPO adapter");
            for (String k : before.keySet()) ps.printf("%-26s %12.4f %12.4f%n", k, before.get(k), after.get(k));
        }
    }

    private static final String BUNDLED = "/org/sparkdpo/jobs/demo/tiny-gpt2/";
    private static final List<String> BUNDLED_FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json");

    private DemoJob() {}

    /** Refuses an existing output folder, so a demo never mixes two runs. */
    public static Layout layout(Path out) {
        if (Files.exists(out)) throw new JobRefusedException("output folder " + out + " already exists");
        return new Layout(out);
    }

    /** Copies the bundled tiny GPT-2 (random weights, GPT-2's tokenizer) out of the jar into {@code layout.bundledModel()}. */
    public static Path extractBundledModel(Layout layout) {
        Path dir = layout.bundledModel();
        try {
            Files.createDirectories(dir);
            for (String f : BUNDLED_FILES) {
                try (InputStream in = DemoJob.class.getResourceAsStream(BUNDLED + f)) {
                    if (in == null) throw new IllegalStateException("bundled model file " + f + " is missing from the jar");
                    Files.copy(in, dir.resolve(f));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the bundled model to " + dir, e);
        }
        return dir;
    }

    public static Result run(SparkSession spark, Stages s, PrintStream log) throws Exception {
        Layout l = s.layout();
        Files.createDirectories(l.trainJsonl().getParent());
        SyntheticPreferences.write(l.trainJsonl(), s.pairs(), 1, true);
        SyntheticPreferences.write(l.testJsonl(), Math.max(16, s.pairs() / 4), 2, false);
        log.println("[demo] 1/5 prepare");
        PrepareResult prepared = PrepareJob.run(spark, s.prepareTrain());
        PrepareJob.run(spark, s.prepareTest());
        log.println("[demo] 2/5 precompute-ref");
        PrecomputeRefJob.run(spark, s.refTrain());
        PrecomputeRefJob.run(spark, s.refTest());
        log.println("[demo] 3/5 eval of the base model");
        EvalJob.Result before = EvalJob.run(spark, s.evalBefore());
        log.println("[demo] 4/5 train");
        DpoTrainer.Result trained = DpoTrainer.train(spark, s.train());
        log.println("[demo] 5/5 eval of the trained adapter");
        EvalJob.Result after = EvalJob.run(spark, s.evalAfter());
        log.printf("[demo] outputs in %s: data/, prepared/, ref/, eval-before/, dpo/ (adapter, metrics.jsonl, "
                + "training_curves.html), eval-after/%n", l.out());
        return new Result(l.out(), prepared, before.metrics(), after.metrics(), trained);
    }
}
