package org.sparkdpo.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.TestWeights;
import org.sparkdpo.model.lora.LoraAdapter;

/**
 * The driver killed with SIGKILL in the middle of training (the CLI in a child JVM, as a user runs it), then
 * {@code --resume}: the run ends with the adapter of an uninterrupted run.
 */
class DriverKillResumeTest {
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    static List<String> trainArgs(Path data, Path out) {
        return List.of("train", "--data", data.toString(), "--model", TestFixtures.tinyGpt2().toString(), "--out",
                out.toString(), "--workers", "2", "--batch-size", "4", "--max-steps", "10", "--checkpoint-every", "2",
                "--lr", "1e-2", "--lora-r", "4", "--lora-targets", "c_attn,c_proj", "--log-every", "1");
    }

    @Test
    void driverKilledMidTrainingThenResumeGivesTheUninterruptedAdapter(@TempDir Path tmp) throws Exception {
        Path data = PrecomputedPairs.write(spark, PrecomputedPairs.learnable(80, 8), tmp.resolve("data"), 2);
        Path killed = tmp.resolve("killed");

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx2g"));
        cmd.addAll(org.sparkdpo.jobs.cluster.SparkInstallAccess.opens());
        cmd.addAll(List.of("-Dorg.bytedeco.javacpp.cachedir=" + Path.of(System.getProperty("user.home"), ".javacpp/cache"),
                "-Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource",
                "-Dspark.master=local[2]", "-cp", String.join(java.io.File.pathSeparator,
                        org.sparkdpo.jobs.cluster.SparkInstallAccess.testClassPath()), Main.class.getName()));
        cmd.addAll(trainArgs(data, killed));
        Path log = tmp.resolve("child.err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log.toFile()).redirectOutput(tmp.resolve("child.out").toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process child = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!(Files.exists(log) && Files.readString(log).contains("checkpoint ") && Files.readString(log).contains("written"))) {
            assertTrue(child.isAlive(), "the child ended before its first checkpoint:\n" + (Files.exists(log) ? Files.readString(log) : ""));
            assertTrue(System.nanoTime() < deadline, "no checkpoint within 3 minutes");
            Thread.sleep(50);
        }
        assertEquals(0, new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor());
        assertEquals(137, child.waitFor(), "killed by SIGKILL, not finished");
        assertFalse(Files.exists(killed.resolve("adapter")), "killed before the end");

        List<String> resume = new ArrayList<>(trainArgs(data, killed));
        resume.add("--resume");
        assertEquals(0, Main.run(resume.toArray(String[]::new)));
        Path calm = tmp.resolve("calm");
        assertEquals(0, Main.run(trainArgs(data, calm).toArray(String[]::new)));

        var model = TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT).model();
        LoraAdapter a = LoraAdapter.load(calm.resolve("adapter"), model, DataType.FLOAT);
        LoraAdapter b = LoraAdapter.load(killed.resolve("adapter"), model, DataType.FLOAT);
        for (LoraAdapter.Pair p : a.pairs()) {
            LoraAdapter.Pair q = b.pair(p.module().path());
            TrainingFaultsTest.assertClose(p.a(), q.a(), 1e-5, p.module().path() + " A");
            TrainingFaultsTest.assertClose(p.b(), q.b(), 1e-5, p.module().path() + " B");
        }
        assertEquals(MetricsLog.read(calm.resolve("metrics.jsonl")).size(), MetricsLog.read(killed.resolve("metrics.jsonl")).size());
    }
}
