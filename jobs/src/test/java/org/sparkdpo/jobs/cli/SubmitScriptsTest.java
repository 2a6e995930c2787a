package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** submit/spark-submit.sh with each conf/cluster-*.conf builds the spark-submit command a cluster needs. */
class SubmitScriptsTest {
    static Path root() {
        return ConfFilesTest.confDir().getParent();
    }

    static Result dryRun(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", root().resolve("submit/spark-submit.sh").toString(), "--dry-run"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("SPARK_DPO_CLUSTER");
        pb.environment().remove("SPARK_DPO_CLUSTER_CONF");
        pb.environment().put("SPARK_DPO_JOB_JAR", "/opt/spark-dpo/spark-dpo-job.jar");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    record Result(int code, String out) {}

    @Test
    void everyClusterConfBuildsACompleteCommandAndPassesTheJobOptionsThrough() throws Exception {
        List<Path> confs;
        try (Stream<Path> s = Files.list(root().resolve("conf"))) {
            confs = s.filter(p -> p.getFileName().toString().matches("cluster-.*\\.conf")).sorted().toList();
        }
        assertEquals(List.of("cluster-k8s.conf", "cluster-standalone.conf", "cluster-yarn.conf"),
                confs.stream().map(p -> p.getFileName().toString()).toList());
        for (Path conf : confs) {
            String kind = conf.getFileName().toString().replaceAll("cluster-|\\.conf", "");
            Result r = dryRun("--cluster", kind, "train", "--data", "hdfs:///ref", "--out", "/runs/a b", "--lr", "1e-4");
            assertEquals(0, r.code(), r.out());
            String c = r.out();
            for (String want : List.of("--class org.sparkdpo.jobs.cli.Main", "spark.executor.memoryOverhead=",
                    "-Dorg.bytedeco.javacpp.cachedir=", "org.deeplearning4j.spark.time.TimeSource", "spark.eventLog.enabled=true",
                    " train --data hdfs:///ref --out /runs/a\\ b --lr 1e-4")) {
                assertTrue(c.contains(want), kind + ": " + want + " in\n" + c);
            }
            assertTrue(!c.contains("spark-dpo.jar=") && !c.contains("userClassPathFirst") && !c.contains("--jars"), c);
        }
        assertTrue(dryRun("--cluster", "k8s", "eval").out().contains("local:///opt/spark-dpo/spark-dpo-job.jar")
                || dryRun("--cluster", "k8s", "eval").out().contains("/opt/spark-dpo/spark-dpo-job.jar"));
    }

    @Test
    void aMismatchedClusterKindOrAMissingFileIsAUsageError() throws Exception {
        Result r = dryRun("--cluster", "yarn", "--conf-file", root().resolve("conf/cluster-standalone.conf").toString(), "eval");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.out().contains("--cluster yarn needs spark.master yarn"), r.out());
        assertEquals(2, dryRun("--conf-file", "/no/such.conf", "eval").code());
    }

    @Test
    void extraConfOverridesTheFile() throws Exception {
        Result r = dryRun("--cluster", "standalone", "--conf", "spark.executor.memoryOverhead=12g", "prepare", "--help");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("spark.executor.memoryOverhead=12g") && !r.out().contains("memoryOverhead=8g"), r.out());
    }
}
