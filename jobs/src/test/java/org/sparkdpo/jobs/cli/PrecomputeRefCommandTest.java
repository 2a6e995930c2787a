package org.sparkdpo.jobs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.precompute.PreparedDataFixture;
import org.sparkdpo.model.TestFixtures;

/** The precompute-ref command through {@link Main}: the exit codes and messages a scheduler sees. */
class PrecomputeRefCommandTest {
    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void data() throws Exception {
        data = PreparedDataFixture.write(SparkSessions.forTests(), tmp.resolve("data"), PreparedDataFixture.pairs(4, 3), 1);
    }

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        int code = Main.run(List.of(new PrecomputeRefCommand(o)), args, o, new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void exitCodesForDoneUpToDateRefusedAndUsage() throws Exception {
        String out = tmp.resolve("out").toString();
        String model = TestFixtures.tinyGpt2().toString();
        Run first = run("precompute-ref", "--data", data.toString(), "--model", model, "--out", out, "--batch-tokens", "512");
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().startsWith("done: "), first.out());

        Run again = run("precompute-ref", "--data", data.toString(), "--model", model, "--out", out);
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().startsWith("up to date: skipping"), again.out());

        Run other = run("precompute-ref", "--data", data.toString(), "--model", model, "--out", out, "--dtype", "float64");
        assertEquals(ExitCodes.REFUSED, other.code());
        assertTrue(other.err().contains("error: refused: output") && other.err().contains("--overwrite"), other.err());

        Files.delete(data.resolve("_manifest.json"));
        Run noManifest = run("precompute-ref", "--data", data.toString(), "--model", model, "--out", tmp.resolve("o2").toString());
        assertEquals(ExitCodes.REFUSED, noManifest.code());
        assertTrue(noManifest.err().contains("has no _manifest.json"), noManifest.err());

        Run usage = run("precompute-ref", "--data", data.toString(), "--model", model);
        assertEquals(ExitCodes.USAGE, usage.code());
        Run badBatch = run("precompute-ref", "--data", "d", "--model", "m", "--out", "o", "--max-batch", "1");
        assertEquals(ExitCodes.USAGE, badBatch.code(), badBatch.err());
    }
}
