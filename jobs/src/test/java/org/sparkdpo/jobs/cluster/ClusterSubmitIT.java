package org.sparkdpo.jobs.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkdpo.common.spark.ExecutorContext;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.model.TestFixtures;

/**
 * The job jar on real executor JVMs, submitted as a user submits it: {@code submit/spark-submit.sh --conf-file FILE
 * <command> ...}, i.e. {@code spark-submit --master local-cluster[2,1,1536] --class org.sparkdpo.jobs.cli.Main
 * spark-dpo-job.jar <command> ...} with no {@code --jars} and no {@code userClassPathFirst}, against a Spark
 * installation that holds only Spark's jars ({@link SparkInstall}).
 * prepare -> precompute-ref (one executor killed with kill -9 while it computes; the same bytes as an undisturbed
 * run) -> train (2 workers) -> eval.
 * Runs after {@code package} (maven-failsafe-plugin), which builds the jar.
 */
class ClusterSubmitIT {
    static final String CLUSTER = "local-cluster[2,1,1536]";
    static final Duration LIMIT = Duration.ofMinutes(10);   // per command; a quiet 2-core machine needs well under 1
    static Path jobJar;
    static SparkInstall spark;
    static Path work;

    @BeforeAll
    static void install() throws Exception {
        jobJar = Path.of(System.getProperty("sparkdpo.jobJar", "target/spark-dpo-job.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(jobJar), "the job jar is built by `mvn package` before this test: " + jobJar);
        Path target = jobJar.getParent();
        spark = SparkInstall.create(target.resolve("it-spark-home"));
        work = target.resolve("it-work");
        if (Files.exists(work)) deleteTree(work);
        Files.createDirectories(work);
    }

    @Test
    void jobJarIsSelfContainedWithoutSparkOrSignatures() throws Exception {
        try (ZipFile z = new ZipFile(jobJar.toFile())) {
            assertTrue(z.getEntry("org/sparkdpo/jobs/cli/Main.class") != null);
            assertTrue(z.getEntry("org/sparkdpo/common/spark/ExecutorContext.class") != null, "data-prep inside");
            assertTrue(z.getEntry("org/sparkdpo/model/arch/ModelStore.class") != null, "model inside");
            assertTrue(z.getEntry("com/hubspot/jinjava/Jinjava.class") != null, "jinjava inside");
            assertTrue(z.getEntry("org/sparkdpo/shaded/com/google/common/collect/ImmutableMap.class") != null, "Guava relocated");
            assertTrue(z.getEntry("META-INF/services/org.nd4j.linalg.factory.Nd4jBackend") != null, "ND4J backend service file");
            List<String> bad = z.stream().map(e -> e.getName()).filter(n -> n.startsWith("com/google/common/")
                    || n.startsWith("org/apache/spark/SparkContext") || n.startsWith("org/apache/hadoop/fs/FileSystem")
                    || n.startsWith("scala/") || n.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)")
                    || n.startsWith("native/lib/osx") || n.startsWith("native/lib/win")).limit(5).toList();
            assertEquals(List.of(), bad, "no unrelocated Guava, Spark, Hadoop, Scala, signatures or foreign natives");
        }
    }

    @Test
    void pipelineOnTwoExecutorJvmsSurvivesAKilledExecutor() throws Exception {
        Path model = TestFixtures.tinyGpt2();
        Path jsonl = SyntheticPreferences.write(work.resolve("pairs.jsonl"), 48, 3, false);
        String m = model.toString();

        // prepare
        SparkInstall.Child prep = submit("prepare", "prepare", "--input", jsonl.toString(), "--tokenizer", m,
                "--out", work.resolve("prepared").toString(), "--shards", "2");
        assertEquals(0, prep.await(LIMIT), () -> tail(prep));

        // precompute-ref; kill -9 the first executor that starts a task
        List<Path> appsBefore = spark.appDirs();
        SparkInstall.Child ref = submit("precompute-ref", "precompute-ref", "--data", work.resolve("prepared").toString(),
                "--model", m, "--out", work.resolve("ref").toString(), "--max-batch", "4");
        long killed = killFirstBusyExecutor(ref, appsBefore);
        int rc = ref.await(LIMIT);
        String refLog = ref.err();
        if (rc != 0) {   // the other acceptable outcome: the rerun computes only the shards without a commit marker
            SparkInstall.Child rerun = submit("precompute-ref-rerun", "precompute-ref", "--data",
                    work.resolve("prepared").toString(), "--model", m, "--out", work.resolve("ref").toString(), "--max-batch", "4");
            assertEquals(0, rerun.await(LIMIT), () -> tail(rerun));
            Matcher todo = Pattern.compile("(\\d+) shard\\(s\\) to compute, (\\d+) already committed").matcher(rerun.err());
            assertTrue(todo.find() && Integer.parseInt(todo.group(1)) < 2, rerun.err());
        }
        assertFalse(ProcessHandle.of(killed).map(ProcessHandle::isAlive).orElse(false), "executor " + killed + " was killed");
        // the same bytes as an undisturbed run on the same cluster: every byte before the Parquet footer (all data
        // pages) is equal; the footer itself is not byte-stable across JVMs (parquet-mr lists each column chunk's
        // encodings from a hash set: issue 11, item 5)
        SparkInstall.Child clean = submit("precompute-ref-undisturbed", "precompute-ref", "--data",
                work.resolve("prepared").toString(), "--model", m, "--out", work.resolve("ref-undisturbed").toString(),
                "--max-batch", "4");
        assertEquals(0, clean.await(LIMIT), () -> tail(clean));
        assertEquals(digests(work.resolve("ref-undisturbed")), digests(work.resolve("ref")), "same shard data bytes");
        assertEquals(fingerprint(work.resolve("ref-undisturbed")), fingerprint(work.resolve("ref")));
        // and the same values, to float32 rounding, as a local-mode run in this JVM: a different thread count per
        // task lets the BLAS split GEMMs differently (on some CPUs the last bits then differ)
        assertEquals(0, Main.run(new String[]{"precompute-ref", "--data", work.resolve("prepared").toString(), "--model", m,
                "--out", work.resolve("ref-local").toString(), "--max-batch", "4"}));
        assertEquals(fingerprint(work.resolve("ref-local")), fingerprint(work.resolve("ref")));
        assertSameLogps(work.resolve("ref-local"), work.resolve("ref"), 1e-6);

        // train: 2 workers, both executors in every round, weights loaded once per executor JVM
        List<Path> appsBeforeTrain = spark.appDirs();
        int steps = 3;
        SparkInstall.Child train = submit("train", "train", "--data", work.resolve("ref").toString(), "--model", m,
                "--out", work.resolve("run").toString(), "--workers", "2", "--batch-size", "4", "--max-steps",
                Integer.toString(steps), "--lora-r", "4", "--lora-targets", "c_attn,c_proj", "--log-every", "1",
                "--checkpoint-every", "0");
        assertEquals(0, train.await(LIMIT), () -> tail(train));
        Matcher round = Pattern.compile("round (\\d+) \\(steps [^)]*\\): 2 worker\\(s\\): \\{0=executor (\\d+) [^,]*, "
                + "1=executor (\\d+) ").matcher(train.err());
        int rounds = 0;
        while (round.find()) {
            rounds++;
            assertFalse(round.group(2).equals(round.group(3)), "round " + round.group(1) + ": both workers on executor " + round.group(2));
        }
        assertEquals(steps, rounds, "one averaging round per step, each on both executors:\n" + tail(train));
        Map<String, Integer> loads = weightLoads(newApps(appsBeforeTrain));
        assertEquals(2, loads.size(), "two executor JVMs: " + loads);
        loads.forEach((exec, n) -> assertEquals(1, n, exec + " loaded the base weights " + n + " times"));
        JsonNode summary = new ObjectMapper().readTree(work.resolve("run/summary.json").toFile());
        long lora = summary.get("lora_parameters").asLong();
        assertEquals(lora * 3 * 4, summary.get("bytes_per_averaging_round").asLong(),
                "bytes per round = LoRA parameters + AdamW's two moments, float32");

        // eval of the adapter
        SparkInstall.Child eval = submit("eval", "eval", "--data", work.resolve("ref").toString(), "--model", m,
                "--adapter", work.resolve("run/adapter").toString(), "--out", work.resolve("eval").toString());
        assertEquals(0, eval.await(LIMIT), () -> tail(eval));
        assertTrue(new ObjectMapper().readTree(work.resolve("eval/summary.json").toFile()).has("eval_loss"));

        // no executor of any application loaded the weights twice
        weightLoads(spark.appDirs()).forEach((exec, n) -> assertTrue(n <= 1, exec + " loaded the base weights " + n + " times"));
        // every executor set its native environment (NativeEnvironmentPlugin) before anything loaded ND4J's libraries
        Map<String, List<String>> natives = nativeSettings(spark.appDirs());
        assertFalse(natives.isEmpty(), "no executor logged its native environment");
        natives.forEach((exec, lines) -> {
            assertEquals(2, lines.size(), exec + ": " + lines);
            lines.forEach(l -> assertFalse(l.contains("already loaded"), exec + ": " + l));
        });
    }

    /** The "native environment: ..." lines of each executor's stderr, by application/executor. */
    static Map<String, List<String>> nativeSettings(List<Path> apps) throws Exception {
        Map<String, List<String>> out = new TreeMap<>();
        for (Path app : apps) {
            try (Stream<Path> execs = Files.list(app)) {
                for (Path exec : execs.toList()) {
                    Path err = exec.resolve("stderr");
                    if (!Files.exists(err)) continue;
                    List<String> lines = Files.readAllLines(err).stream().filter(l -> l.contains("native environment: ")).toList();
                    if (!lines.isEmpty()) out.put(app.getFileName() + "/" + exec.getFileName(), lines);
                }
            }
        }
        return out;
    }

    /**
     * Submits {@code command args} with the job jar to the two-executor cluster through submit/spark-submit.sh and a
     * cluster config file, as a user does (the installation's bin/spark-submit runs Spark's launcher).
     */
    static SparkInstall.Child submit(String name, String... commandAndArgs) throws Exception {
        Path conf = work.resolve("cluster-test.conf");
        if (!Files.exists(conf)) {
            String javaOpts = "-Dorg.bytedeco.javacpp.cachedir=" + Path.of(System.getProperty("user.home"), ".javacpp/cache")
                    + " -Dorg.deeplearning4j.spark.time.TimeSource=org.deeplearning4j.spark.time.SystemClockTimeSource";
            Files.writeString(conf, String.join("\n",
                    "# two executor JVMs on this machine (conf/cluster-standalone.conf with a local-cluster master)",
                    "spark.master " + CLUSTER,
                    "spark.submit.deployMode client",
                    "spark.driver.memory 1g",
                    "spark.driver.host 127.0.0.1",
                    "spark.ui.enabled false",
                    "spark.scheduler.minRegisteredResourcesRatio 1.0",
                    "spark.driver.extraJavaOptions " + javaOpts,
                    "spark.executor.extraJavaOptions " + javaOpts,
                    "spark-dpo.jar " + jobJar, ""));
        }
        List<String> cmd = new ArrayList<>(List.of("bash", repoRoot().resolve("submit/spark-submit.sh").toString(),
                "--conf-file", conf.toString()));
        cmd.addAll(List.of(commandAndArgs));
        Map<String, String> env = new java.util.HashMap<>(spark.env());
        env.put("SPARK_SUBMIT", spark.home.resolve("bin/spark-submit").toString());
        return SparkInstall.start(cmd, env, work.resolve("logs"), name);
    }

    static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("submit/spark-submit.sh"))) return d;
        }
        throw new AssertionError("no submit/spark-submit.sh above " + Path.of("").toAbsolutePath());
    }

    /** Waits for an executor of the new application to log a running task, then kill -9s it; returns its pid. */
    static long killFirstBusyExecutor(SparkInstall.Child driver, List<Path> appsBefore) throws Exception {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!driver.process().isAlive()) throw new AssertionError("driver ended before a task ran:\n" + tail(driver));
            for (Path app : newApps(appsBefore)) {
                try (Stream<Path> execs = Files.list(app)) {
                    for (Path exec : execs.toList()) {
                        Path err = exec.resolve("stderr");
                        if (Files.exists(err) && Files.readString(err).contains("Running task")) {
                            String id = exec.getFileName().toString();
                            Optional<ProcessHandle> p = driver.process().descendants().filter(h -> h.info().commandLine()
                                    .map(c -> c.contains("CoarseGrainedExecutorBackend") && c.contains("--executor-id " + id + " "))
                                    .orElse(false)).findFirst();
                            if (p.isPresent()) {
                                long pid = p.get().pid();
                                assertEquals(0, new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor());
                                return pid;
                            }
                        }
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no executor started a task:\n" + tail(driver));
    }

    static List<Path> newApps(List<Path> before) throws Exception {
        List<Path> now = new ArrayList<>(spark.appDirs());
        now.removeAll(before);
        return now;
    }

    /** "app/executor" -> number of "base weights loaded" lines in the log of each executor JVM that ran tasks. */
    static Map<String, Integer> weightLoads(List<Path> apps) throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        for (Path app : apps) {
            try (Stream<Path> execs = Files.list(app)) {
                for (Path exec : execs.toList()) {
                    Path err = exec.resolve("stderr");
                    if (!Files.exists(err)) continue;
                    int n = 0;
                    boolean ranTasks = false;
                    for (String line : Files.readAllLines(err)) {
                        if (line.contains(ExecutorContext.WEIGHTS_LOADED)) n++;
                        if (line.contains("Running task")) ranTasks = true;
                    }
                    if (ranTasks) out.put(app.getFileName() + "/" + exec.getFileName(), n);
                }
            }
        }
        return out;
    }

    /** SHA-256 of every Parquet shard's bytes before its footer (magic + data pages), by file name. */
    static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".parquet")).toList()) {
                byte[] b = Files.readAllBytes(p);
                int footer = java.nio.ByteBuffer.wrap(b, b.length - 8, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update(b, 0, b.length - 8 - footer);
                out.put(p.getFileName().toString(), HexFormat.of().formatHex(md.digest()));
            }
        }
        assertFalse(out.isEmpty(), "shards in " + dir);
        return out;
    }

    /** Every pair of {@code got} has {@code want}'s reference log-probs and token counts, log-probs to {@code rel}. */
    static void assertSameLogps(Path want, Path got, double rel) {
        SparkSession spark = SparkSession.builder().master("local[1]").appName("ClusterSubmitIT-compare")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            Map<String, Row> w = byId(spark.read().parquet(want.toString()).collectAsList());
            Map<String, Row> g = byId(spark.read().parquet(got.toString()).collectAsList());
            assertEquals(w.keySet(), g.keySet(), "pair ids");
            for (Map.Entry<String, Row> e : w.entrySet()) {
                Row a = e.getValue();
                Row b = g.get(e.getKey());
                for (String c : List.of("ref_chosen_tokens", "ref_rejected_tokens")) {
                    assertEquals(a.<Integer>getAs(c), b.<Integer>getAs(c), e.getKey() + " " + c);
                }
                for (String c : List.of("ref_chosen_logps", "ref_rejected_logps")) {
                    double x = a.<Double>getAs(c);
                    double y = b.<Double>getAs(c);
                    assertTrue(Math.abs(x - y) <= rel * Math.abs(x), e.getKey() + " " + c + ": " + y + " vs " + x);
                }
            }
        } finally {
            spark.stop();
        }
    }

    private static Map<String, Row> byId(List<Row> rows) {
        Map<String, Row> out = new TreeMap<>();
        for (Row r : rows) out.put(r.getAs("id"), r);
        return out;
    }

    static String fingerprint(Path dir) throws Exception {
        for (String name : List.of("_manifest.json", "manifest.json")) {
            if (Files.exists(dir.resolve(name))) return new ObjectMapper().readTree(dir.resolve(name).toFile()).get("fingerprint").asText();
        }
        throw new AssertionError("no manifest in " + dir);
    }

    static String tail(SparkInstall.Child c) {
        try {
            return "stderr tail:\n" + SparkInstall.tail(c.err(), 4000);
        } catch (Exception e) {
            return e.toString();
        }
    }

    static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
