package org.sparkdpo.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.rec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;

/** The output folder appears complete or not at all. */
class PrepareOutputTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    static Path input(Path dir) throws Exception {
        return PrepFixtures.jsonl(dir.resolve("in/in.jsonl"), List.of(
                rec("prompt", "The sky is", "chosen", " blue", "rejected", " green")));
    }

    static List<String> listing(Path dir) throws Exception {
        List<String> names = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        names.sort(null);
        return names;
    }

    @Test
    void aFailureLateInTheJobLeavesNoOutput(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out");
        List<String> stages = new ArrayList<>();
        PrepareProgress failAtManifest = (stage, message) -> {
            stages.add(stage);
            if (stage.equals("manifest")) throw new IllegalStateException("injected failure");
        };
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PrepareJob.run(spark,
                PrepareSettingsBuilder.of(List.of(input(dir).toString()), PrepFixtures.gpt2().toString(), out.toString()).build(), failAtManifest));
        assertEquals("injected failure", e.getMessage());
        assertTrue(stages.containsAll(List.of("shards", "rejects", "verify")), stages.toString());
        assertFalse(Files.exists(out));
        assertEquals(List.of("in"), listing(dir), "no temporary folder left behind");
    }

    @Test
    void anExistingOutputIsKeptUnlessOverwriteIsGiven(@TempDir Path dir) throws Exception {
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("keep.txt"), "old");
        PrepareSettingsBuilder o = PrepareSettingsBuilder.of(List.of(input(dir).toString()), PrepFixtures.gpt2().toString(), out.toString());
        PrepareException e = assertThrows(PrepareException.class, () -> PrepareJob.run(spark, o.build(), PrepareProgress.silent()));
        assertTrue(e.getMessage().contains("already exists") && e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals(List.of("keep.txt"), listing(out));

        PrepareResult r = PrepareJob.run(spark, o.withOverwrite(true).build(), PrepareProgress.silent());
        assertEquals(1, r.counts().kept());
        assertFalse(Files.exists(out.resolve("keep.txt")));
        assertTrue(Files.exists(out.resolve("_manifest.json")));
        assertEquals(List.of("in", "out"), listing(dir));
    }
}
