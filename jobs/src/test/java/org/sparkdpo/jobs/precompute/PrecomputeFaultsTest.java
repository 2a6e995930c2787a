package org.sparkdpo.jobs.precompute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.JobLockedException;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.model.TestFixtures;

/** Two runs on one output (a lock, exit 4) and an out-of-memory error in a task (one error line naming the option). */
class PrecomputeFaultsTest {
    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;

    @BeforeAll
    static void setUp() throws Exception {
        spark = SparkSessions.forTests();
        data = PreparedDataFixture.write(spark, tmp.resolve("data"), PreparedDataFixture.pairs(12, 3), 3);
    }

    @AfterEach
    void seamsOff() {
        ShardTask.failFirstAttemptOf = null;
        ShardTask.failWithOutOfMemory = false;
    }

    static String[] args(Path out) {
        return new String[]{"precompute-ref", "--data", data.toString(), "--model", TestFixtures.tinyGpt2().toString(),
                "--out", out.toString()};
    }

    /** Runs the CLI in this JVM and returns exit code and stderr. */
    static Map.Entry<Integer, String> cli(String[] args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        synchronized (PrecomputeFaultsTest.class) {
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            try {
                rc = Main.run(args);
            } finally {
                System.setErr(old);
            }
        }
        return Map.entry(rc, buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aSecondRunOnAnOutputInUseIsRefusedWithExitFourAndTouchesNothing() throws Exception {
        Path out = tmp.resolve("locked");
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path qualified = new org.apache.hadoop.fs.Path(out.toUri());
        try (OutputLock held = OutputLock.acquire(qualified, conf)) {
            assertThrows(JobLockedException.class, () -> OutputLock.acquire(qualified, conf), "create-exclusive");
            Map.Entry<Integer, String> second = cli(args(out));
            assertEquals(4, second.getKey(), second.getValue());
            assertTrue(second.getValue().contains("error: locked: another precompute-ref run holds the lock"), second.getValue());
            assertFalse(Files.exists(out), "the refused run wrote nothing");
        }
        assertFalse(Files.exists(tmp.resolve(".locked.lock")), "lock removed when its holder finished");
        assertEquals(0, cli(args(out)).getKey(), "runs once the lock is free");
        assertFalse(Files.exists(tmp.resolve(".locked.lock")));
    }

    @Test
    void twoRunsStartedTogetherNeverInterleave() throws Exception {
        Path solo = tmp.resolve("solo");
        assertEquals(0, cli(args(solo)).getKey());
        Path out = tmp.resolve("together");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> runs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            runs.add(pool.submit(() -> {
                go.await();
                try {
                    PrecomputeRefJob.run(spark, PrecomputeSettingsBuilder.of(data.toString(),
                            TestFixtures.tinyGpt2().toString(), out.toString()).build());
                    return 0;
                } catch (JobLockedException e) {
                    return 4;
                }
            }));
        }
        go.countDown();
        List<Integer> codes = new ArrayList<>();
        for (Future<Integer> f : runs) codes.add(f.get());
        pool.shutdown();
        assertTrue(codes.contains(0), "one run computed: " + codes);
        // either the other was refused (exit 4) or it started after the first finished and found it up to date
        assertEquals(digests(solo), digests(out), "the output is exactly one run's output");
        assertFalse(Files.exists(tmp.resolve(".together.lock")));
    }

    @Test
    void aLockLeftByAKilledRunOnThisHostIsTakenOver() throws Exception {
        Path out = tmp.resolve("stale");
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        String host = org.sparkdpo.common.spark.ExecutorContext.jvmName().replaceFirst("^\\d+@", "");
        Files.writeString(tmp.resolve(".stale.lock"), dead.pid() + "@" + host + " since 2026-01-01T00:00:00Z: precompute-ref\n");
        assertEquals(0, cli(args(out)).getKey());
        assertFalse(Files.exists(tmp.resolve(".stale.lock")));
    }

    @Test
    void outOfMemoryInATaskEndsWithOneLineNamingWhatRanOutAndTheOptionToLower() throws Exception {
        Path out = tmp.resolve("oom");
        ShardTask.failWithOutOfMemory = true;
        try (Stream<Path> s = Files.list(data)) {
            ShardTask.failFirstAttemptOf = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet"))
                    .sorted().findFirst().orElseThrow();
        }
        Map.Entry<Integer, String> r = cli(args(out));   // local[2]: one attempt per task
        assertEquals(1, r.getKey(), r.getValue());
        List<String> errors = r.getValue().lines().filter(l -> l.startsWith("error:")).toList();
        assertEquals(1, errors.size(), r.getValue());
        String line = errors.get(0);
        assertTrue(line.startsWith("error: out of memory in the precompute-ref task of part-"), line);
        assertTrue(line.contains("ND4J off-heap memory") && line.contains("lower --batch-tokens"), line);
        assertFalse(r.getValue().contains("stopped SparkContext"), r.getValue());
        assertFalse(spark.sparkContext().isStopped(), "the session survives");
        ShardTask.failFirstAttemptOf = null;
        assertEquals(0, cli(args(out)).getKey(), "a rerun (e.g. with a lower --batch-tokens) completes");
    }

    static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                out.put(p.getFileName().toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        assertFalse(out.isEmpty());
        return out;
    }
}
