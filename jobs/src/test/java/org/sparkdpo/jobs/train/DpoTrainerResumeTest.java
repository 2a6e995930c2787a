package org.sparkdpo.jobs.train;

import org.sparkdpo.model.TestWeights;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraAdapter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoint, resume and failure behaviour of the trainer. */
class DpoTrainerResumeTest {
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    static TrainSettings opts(Path data, Path out, boolean resume) {
        OptimizerSettings adamw = new OptimizerSettings("adamw", 1e-2, 2, WarmupDecaySchedule.Decay.LINEAR, 0.01, 0.5, 0.9, 0.999, 1e-8);
        TrainSettings base = DpoTrainerTest.options(data, out, null, adamw, 4, 2, 1, 6, 2, resume, 0);
        TrainSettings.Batching b = base.batching();
        return new TrainSettings(base.paths(), new TrainSettings.Batching(b.batchSize(), b.gradientAccumulation(), b.workers(),
                b.averagingFrequency(), true), base.dpo(), base.lora(), base.optimizer(), base.schedule(), base.evaluation(),
                base.checkpoints(), base.seeds(), base.dtype());
    }

    @Test
    void resumedRunEndsWithTheSameAdapterAndMetrics(@TempDir Path tmp) throws Exception {
        Path data = PrecomputedPairs.write(spark, PrecomputedPairs.learnable(40, 5), tmp.resolve("data"), 2);
        DpoTrainer.Result full = DpoTrainer.train(spark, opts(data, tmp.resolve("full"), false));
        assertEquals(6, full.steps());
        Path ckpts = tmp.resolve("full/checkpoints");
        try (Stream<Path> s = Files.list(ckpts)) {
            assertEquals(List.of("step-00000002", "step-00000004", "step-00000006"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // the state a run killed during step 3 leaves: the step-2 checkpoint, metrics past it, a half-written checkpoint
        Path killed = tmp.resolve("killed");
        copyTree(ckpts.resolve("step-00000002"), killed.resolve("checkpoints/step-00000002"));
        Files.createDirectories(killed.resolve("checkpoints/.tmp-half-written"));
        List<String> lines = new ArrayList<>(Files.readAllLines(full.metricsFile()).subList(0, 3));
        lines.add("{\"loss\": 0.5, \"step\"");
        Files.write(killed.resolve("metrics.jsonl"), lines);

        DpoTrainer.Result resumed = DpoTrainer.train(spark, opts(data, killed, true));
        assertEquals(6, resumed.steps());
        var model = TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT).model();
        LoraAdapter a = LoraAdapter.load(full.adapterDir(), model, DataType.FLOAT);
        LoraAdapter b = LoraAdapter.load(resumed.adapterDir(), model, DataType.FLOAT);
        for (LoraAdapter.Pair p : a.pairs()) {
            double diff = p.b().sub(b.pair(p.module().path()).b()).amaxNumber().doubleValue();
            double scale = p.b().amaxNumber().doubleValue();
            assertTrue(scale > 0, "trained");
            assertTrue(diff <= 1e-5 * scale, p.module().path() + " B differs by " + diff);
            assertTrue(p.a().sub(b.pair(p.module().path()).a()).amaxNumber().doubleValue() <= 1e-5 * p.a().amaxNumber().doubleValue());
        }
        List<Map<String, Object>> m1 = MetricsLog.read(full.metricsFile());
        List<Map<String, Object>> m2 = MetricsLog.read(resumed.metricsFile());
        assertEquals(m1.size(), m2.size(), "same number of metric lines; the torn line is gone");
        for (int i = 0; i < m1.size(); i++) {
            for (String k : List.of("step", "loss", "rewards/margins", "rewards/accuracies", "grad_norm", "learning_rate")) {
                double x = ((Number) m1.get(i).get(k)).doubleValue(), y = ((Number) m2.get(i).get(k)).doubleValue();
                assertEquals(x, y, 1e-5 * Math.max(1, Math.abs(x)), "line " + i + " " + k);
            }
        }
        assertFalse(Files.exists(killed.resolve("checkpoints/.tmp-half-written")), "stray temporary checkpoint removed");
    }

    @Test
    void nonFiniteLossStopsWithTheStepAndKeepsTheCheckpoint(@TempDir Path tmp) throws Exception {
        List<PreferencePair> good = PrecomputedPairs.learnable(8, 9);
        List<PreferencePair> bad = new ArrayList<>();
        for (PreferencePair p : good) {
            bad.add(new PreferencePair(p.id(), p.promptIds(), p.chosenIds(), p.rejectedIds(), Double.POSITIVE_INFINITY, p.refRejected()));
        }
        Path data = PrecomputedPairs.write(spark, bad, tmp.resolve("data"), 1);
        JobFailedException e = assertThrows(JobFailedException.class, () -> DpoTrainer.train(spark, opts(data, tmp.resolve("run"), false)));
        assertTrue(e.getMessage().contains("non-finite loss") && e.getMessage().contains("at step 1"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("run/adapter")), "no final adapter from a failed run");
    }

    @Test
    void refusesToOverwriteARunWithoutResume(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        Files.createDirectories(out);
        Files.writeString(out.resolve("metrics.jsonl"), "");
        Path data = PrecomputedPairs.write(spark, PrecomputedPairs.learnable(8, 1), tmp.resolve("data"), 1);
        JobRefusedException e = assertThrows(JobRefusedException.class, () -> DpoTrainer.train(spark, opts(data, out, false)));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
    }

    @Test
    void dataWithoutReferenceLogProbsIsRefusedWithTheFix(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("prepared");
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("a", List.of(1, 2), List.of(3), List.of(4))),
                new org.apache.spark.sql.types.StructType().add("id", "string").add("prompt_ids", "array<int>")
                        .add("chosen_ids", "array<int>").add("rejected_ids", "array<int>")).write().parquet(data.toString());
        JobFailedException e = assertThrows(JobFailedException.class, () -> DpoTrainer.train(spark, opts(data, tmp.resolve("run"), false)));
        assertTrue(e.getMessage().contains("precompute-ref"), e.getMessage());
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
