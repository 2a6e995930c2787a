package org.sparkdpo.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.TestWeights;
import org.sparkdpo.model.lora.LoraAdapter;

/**
 * Spark's task retry inside a training round (master {@code local[2,2]}: two threads, two attempts per task), an
 * out-of-memory error in a training task, and data-parallel SGD equal to one worker on the combined batch.
 */
class TrainingFaultsTest {
    static SparkSession spark;

    @BeforeAll
    static void session() {
        SparkSessions.stop();
        spark = SparkSession.builder().config(new SparkConf().setMaster("local[2,2]").setAppName("training-faults")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.sql.shuffle.partitions", "4")
                .set("spark.sql.session.timeZone", "UTC")).getOrCreate();
    }

    @AfterAll
    static void stop() {
        SparkSessions.stop();
    }

    @AfterEach
    void seamOff() {
        TrainingFaults.reset();
    }

    static TrainSettings adamw(Path data, Path out) {
        OptimizerSettings o = new OptimizerSettings("adamw", 1e-2, 0, WarmupDecaySchedule.Decay.CONSTANT, 0.01, 1.0, 0.9, 0.999, 1e-8);
        return DpoTrainerTest.options(data, out, null, o, 4, 2, 1, 3, 0, false, 0);
    }

    @Test
    void aTaskThatFailsOnceInARoundIsRetriedAndTheRunEndsWithTheSameAdapter(@TempDir Path tmp) throws Exception {
        Path data = PrecomputedPairs.write(spark, PrecomputedPairs.learnable(24, 4), tmp.resolve("data"), 2);
        DpoTrainer.Result calm = DpoTrainer.train(spark, adamw(data, tmp.resolve("calm")));
        TrainingFaults.failAtStep = 1;   // the second step, worker 1, first attempt
        TrainingFaults.failWorker = 1;
        DpoTrainer.Result retried = DpoTrainer.train(spark, adamw(data, tmp.resolve("retried")));
        assertEquals(1, TrainingFaults.INJECTED.get(), "one task attempt failed");
        assertEquals(calm.steps(), retried.steps());
        var model = TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT).model();
        LoraAdapter a = LoraAdapter.load(calm.adapterDir(), model, DataType.FLOAT);
        LoraAdapter b = LoraAdapter.load(retried.adapterDir(), model, DataType.FLOAT);
        for (LoraAdapter.Pair p : a.pairs()) {
            LoraAdapter.Pair q = b.pair(p.module().path());
            assertTrue(p.b().amaxNumber().doubleValue() > 0, "trained");
            assertClose(p.a(), q.a(), 1e-6, p.module().path() + " A");
            assertClose(p.b(), q.b(), 1e-6, p.module().path() + " B");
        }
        assertEquals(MetricsLog.read(calm.metricsFile()).size(), MetricsLog.read(retried.metricsFile()).size(),
                "the failed attempt's step records are not counted");
    }

    @Test
    void outOfMemoryInATrainingTaskEndsWithOneLineNamingTheOptionToLower(@TempDir Path tmp) throws Exception {
        Path data = PrecomputedPairs.write(spark, PrecomputedPairs.learnable(16, 5), tmp.resolve("data"), 2);
        TrainingFaults.failAtStep = 0;
        TrainingFaults.outOfMemory = true;
        TrainingFaults.everyAttempt = true;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            rc = Main.run(new String[]{"train", "--data", data.toString(), "--model", TestFixtures.tinyGpt2().toString(),
                    "--out", tmp.resolve("run").toString(), "--workers", "2", "--batch-size", "4", "--max-steps", "2",
                    "--lora-r", "2", "--lora-targets", "c_attn"});
        } finally {
            System.setErr(old);
        }
        String err = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, rc, err);
        List<String> errors = err.lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, errors.size(), err);
        assertTrue(errors.get(0).startsWith("error: out of memory in a training step (worker 0"), errors.get(0));
        assertTrue(errors.get(0).contains("the Java heap ran out; lower --batch-size")
                && errors.get(0).contains("--gradient-accumulation"), errors.get(0));
        assertTrue(errors.get(0).contains("or add --gradient-checkpointing"), "trained without it: " + errors.get(0));
        assertFalse(err.contains("stopped SparkContext"), err);
        assertFalse(spark.sparkContext().isStopped(), "the session survives the task's OutOfMemoryError");
    }

    /**
     * Parameter averaging after every SGD step is synchronous data-parallel SGD: 2 workers x k pairs give the adapter
     * of 1 worker x 2k pairs (same pairs per step: the batch plan deals consecutive batches to the workers).
     */
    @Test
    void twoWorkersTimesKPairsWithSgdEqualOneWorkerTimesTwoK(@TempDir Path tmp) throws Exception {
        int k = 4, steps = 3;
        Path data = PrecomputedPairs.write(spark, PrecomputedPairs.learnable(2 * k * steps, 6), tmp.resolve("data"), 2);
        DpoTrainer.Result two = DpoTrainer.train(spark, sgd64(data, tmp.resolve("two"), k, 2, steps));
        DpoTrainer.Result one = DpoTrainer.train(spark, sgd64(data, tmp.resolve("one"), 2 * k, 1, steps));
        assertEquals(steps, two.steps());
        assertEquals(steps, one.steps());
        var model = TestWeights.get(TestFixtures.tinyGpt2(), DataType.DOUBLE).model();
        LoraAdapter a = LoraAdapter.load(two.adapterDir(), model, DataType.DOUBLE);
        LoraAdapter b = LoraAdapter.load(one.adapterDir(), model, DataType.DOUBLE);
        for (LoraAdapter.Pair p : a.pairs()) {
            LoraAdapter.Pair q = b.pair(p.module().path());
            assertTrue(p.b().amaxNumber().doubleValue() > 0, "trained");
            assertClose(p.a(), q.a(), 1e-10, p.module().path() + " A");
            assertClose(p.b(), q.b(), 1e-10, p.module().path() + " B");
        }
    }

    static TrainSettings sgd64(Path data, Path out, int batch, int workers, int steps) {
        TrainSettings t = DpoTrainerTest.options(data, out, null, OptimizerSettings.sgd(0.5), batch, workers, 1, steps, 0, false, 0);
        return new TrainSettings(t.paths(), t.batching(), t.dpo(), t.lora(), t.optimizer(), t.schedule(), t.evaluation(),
                t.checkpoints(), t.seeds(), DataType.DOUBLE);
    }

    static void assertClose(INDArray want, INDArray got, double rel, String what) {
        double scale = want.amaxNumber().doubleValue();
        double diff = want.castTo(DataType.DOUBLE).sub(got.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= rel * Math.max(scale, 1e-300), what + " differs by " + diff + " (max " + scale + ")");
    }
}
