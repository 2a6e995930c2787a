package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.TestFixtures;

/** {@code prepare} through the command line, as users run it. */
class PrepareCommandTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    static int run(ByteArrayOutputStream err, String... args) {
        return Main.run(Commands.all(), args, new PrintStream(new ByteArrayOutputStream(), true),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void preparesThroughMain(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("pairs.jsonl"),
                "{\"id\": \"a\", \"prompt\": \"The sky is\", \"chosen\": \" blue\", \"rejected\": \" green\"}\n"
                        + "{\"id\": \"b\", \"prompt\": \"Grass is\", \"chosen\": \" green\", \"rejected\": \" green\"}\n");
        Path out = dir.resolve("out");
        String[] args = {"prepare", "--input", in.toString(), "--tokenizer", TestFixtures.tinyGpt2().toString(),
                "--out", out.toString(), "--max-length", "64", "--shards", "1"};
        assertEquals(ExitCodes.OK, Main.run(args));
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("_manifest.json").toFile());
        assertEquals("prepared", manifest.get("kind").asText());
        assertEquals(1, manifest.get("counts").get("kept").asInt());
        assertEquals(1, manifest.get("counts").get("rejected_by_reason").get("chosen_equals_rejected").asInt());
        assertEquals(64, manifest.get("settings").get("max_length").asInt());

        // the same output again: refused with one line, nothing touched
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(ExitCodes.FAILURE, run(err, args));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("error: output folder") && text.contains("--overwrite"), text);
        assertEquals(1, text.strip().lines().count(), text);
    }

    @Test
    void optionProblemsAreUsageErrors(@TempDir Path dir) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(ExitCodes.USAGE, run(err, "prepare", "--input", "x.jsonl", "--out", dir.resolve("o").toString(),
                "--shards", "2", "--target-shard-rows", "5", "--column-map", "prompt=q,colour=c"));
        String text = err.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("--shards and --target-shard-rows exclude each other"), text);
        assertTrue(text.contains("missing required option --tokenizer"), text);
        assertTrue(text.contains("unknown role 'colour'"), text);
        assertEquals(List.of(), List.of(dir.toFile().list()));
    }
}
