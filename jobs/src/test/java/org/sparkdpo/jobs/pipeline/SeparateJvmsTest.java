package org.sparkdpo.jobs.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.data.DatasetManifest;
import org.sparkdpo.data.PairColumns;
import org.sparkdpo.jobs.cli.ShowCommand;
import org.sparkdpo.jobs.precompute.PrecomputeRefJob;
import org.sparkdpo.jobs.precompute.PrecomputeResult;
import org.sparkdpo.jobs.precompute.PrecomputeSettings;
import org.sparkdpo.model.TestFixtures;

/**
 * Runs that users repeat in separate JVMs, typing relative paths: {@code prepare} twice on the same input in two
 * JVMs gives byte-identical shards and the same fingerprint (parquet-mr's footer order differs per JVM unless made
 * stable), so {@code precompute-ref} on the second finds the first's output up to date. The forked JVMs run in a
 * temporary working directory with relative {@code --input}, {@code --tokenizer}, {@code --model} and
 * {@code --out}: the paths must be qualified there, on the driver, before tasks see them. Both outputs are Spark
 * datasets: {@code spark.read.parquet(OUT)} and {@code show OUT} give exactly their rows, {@code show OUT/_rejects}
 * the rejects.
 */
class SeparateJvmsTest {
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    @Test
    void prepareTwiceInTwoJvmsGivesOneFingerprintAndTheReferenceStaysUpToDate(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add(String.format("{\"id\": \"p%02d\", \"prompt\": \"Question %d is\", \"chosen\": \" good %s\", "
                    + "\"rejected\": \" bad %d\", \"score\": %d.5}", i, i, "x".repeat(i % 7), i, i));
        }
        lines.add("{\"id\": \"same\", \"prompt\": \"Q\", \"chosen\": \" A\", \"rejected\": \" A\"}");
        lines.add("{not json");
        Files.write(dir.resolve("in.jsonl"), lines);
        Path model = TestFixtures.tinyGpt2().toAbsolutePath().normalize();
        String rel = dir.relativize(model).toString();

        String[] prepare1 = {"prepare", "--input", "in.jsonl", "--tokenizer", rel, "--out", "prepared1", "--shards", "3",
                "--max-length", "64"};
        String[] precompute = {"precompute-ref", "--data", "prepared1", "--model", "file:" + rel, "--out", "ref"};
        Process a = CommandsInOneJvm.start(dir, dir.resolve("jvm1.log"), concat(prepare1, CommandsInOneJvm.THEN, precompute));
        finish(a, dir.resolve("jvm1.log"));
        String[] prepare2 = prepare1.clone();
        prepare2[6] = "prepared2";
        finish(CommandsInOneJvm.start(dir, dir.resolve("jvm2.log"), prepare2), dir.resolve("jvm2.log"));

        ObjectMapper json = new ObjectMapper();
        JsonNode m1 = json.readTree(dir.resolve("prepared1").resolve(DatasetManifest.FILE).toFile());
        JsonNode m2 = json.readTree(dir.resolve("prepared2").resolve(DatasetManifest.FILE).toFile());
        assertEquals(m1.get("fingerprint"), m2.get("fingerprint"), "same input and settings, two JVMs: one fingerprint");
        assertEquals(m1.get("shards"), m2.get("shards"));
        for (JsonNode s : m1.get("shards")) {
            String f = s.get("file").asText();
            assertEquals(-1L, Files.mismatch(dir.resolve("prepared1").resolve(f), dir.resolve("prepared2").resolve(f)), f);
        }

        // relative paths were qualified against the forked JVM's working directory
        String here = "file:" + dir.toRealPath();
        assertEquals(here + "/in.jsonl", m1.get("inputs").get(0).asText());
        assertEquals("file:" + model, m1.get("tokenizer").get("path").asText());
        JsonNode ref = json.readTree(dir.resolve("ref").resolve(DatasetManifest.FILE).toFile());
        assertEquals("file:" + model, ref.get("model_dir").asText(), "the model path the tasks got");
        assertEquals(here + "/prepared1", ref.get("input").get("path").asText());

        // an unchanged rerun of prepare leaves the reference log-probs up to date
        PrecomputeResult again = PrecomputeRefJob.run(spark, new PrecomputeSettings(dir.resolve("prepared2").toString(),
                model.toString(), dir.resolve("ref").toString(), null, null, 8192, 64, false));
        assertEquals(PrecomputeResult.Status.UP_TO_DATE, again.status());
        assertEquals(ref.get("fingerprint").asText(), again.fingerprint());

        // both outputs are datasets of exactly their rows; rejects are their own dataset
        long kept = m1.get("counts").get("kept").asLong();
        assertEquals(40, kept);
        assertEquals(kept, spark.read().parquet(dir.resolve("prepared1").toString()).count());
        List<Row> refRows = spark.read().parquet(dir.resolve("ref").toString()).collectAsList();
        assertEquals(kept, refRows.size());
        assertTrue(List.of(refRows.get(0).schema().fieldNames()).containsAll(PairColumns.REFERENCE));
        assertEquals(kept, show(dir.resolve("prepared1").toString()).size());
        assertEquals(kept, show(dir.resolve("ref").toString()).size());
        List<String> rejects = show(dir.resolve("prepared1").resolve(PairColumns.REJECTS_DIR).toString());
        assertEquals(2, rejects.size(), rejects.toString());
        assertTrue(String.join("\n", rejects).contains("chosen_equals_rejected"), rejects.toString());
    }

    static List<String> show(String path) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ShowCommand.show(spark, path, 0, List.of(), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    static void finish(Process p, Path log) throws Exception {
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("forked JVM timed out:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), () -> {
            try {
                return Files.readString(log);
            } catch (Exception e) {
                return e.toString();
            }
        });
    }

    static String[] concat(String[] a, String sep, String[] b) {
        List<String> all = new ArrayList<>(List.of(a));
        all.add(sep);
        all.addAll(List.of(b));
        return all.toArray(String[]::new);
    }
}
