package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.jobs.pipeline.TaskModels;

/**
 * submit/collect-loop.sh, two rounds end to end on the task's scratch model with the choices scripted on standard
 * input: collect -> prepare -> precompute-ref -> train, the second round starting from the first round's adapter.
 */
class CollectLoopScriptTest {
    @TempDir Path tmp;

    /** A launcher like submit/local.sh that runs Main with this test JVM's class path (no Maven build). */
    Path launcher() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("-Djdk.") || a.startsWith("-Dorg.")) cmd.add(a);
        }
        cmd.addAll(List.of("-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dspark.master=local[1]", "-Dspark.driver.host=127.0.0.1",
                "-Dspark.driver.bindAddress=127.0.0.1", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        StringBuilder b = new StringBuilder("#!/usr/bin/env bash\nexec");
        for (String c : cmd) b.append(" '").append(c.replace("'", "'\\''")).append('\'');
        b.append(" \"$@\"\n");
        Path f = Files.writeString(tmp.resolve("launch.sh"), b.toString());
        assertTrue(f.toFile().setExecutable(true));
        return f;
    }

    @Test
    void twoRoundsEachContinuingFromTheLastAdapter() throws Exception {
        Path model = TaskModels.scratch(tmp.resolve("model"));
        Path prompts = Files.write(tmp.resolve("prompts.jsonl"), List.of(
                "{\"prompt\": \"the kite is green . what color is the kite ?\"}",
                "{\"prompt\": \"emma lives in oslo . where does emma live ?\"}",
                "{\"prompt\": \"the cup is red . what color is the cup ?\"}"));
        Path work = tmp.resolve("work");
        Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("submit/collect-loop.sh");
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), "--model", model.toString(), "--prompts", prompts.toString(),
                "--work", work.toString(), "--rounds", "2", "--annotator", "tester",
                "--collect", "--max-new-tokens 6 --temperature 1.0 --top-k 20",
                "--prepare", "--max-length 48",
                "--train", "--max-steps 2 --batch-size 2 --workers 1 --lora-r 4 --lr 1e-2 --log-every 1")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("loop.log").toFile());
        pb.environment().put("SPARK_DPO_LAUNCHER", launcher().toString());
        Process p = pb.start();
        // round 1: 1, 2, tie; round 2: 2, 1, 1 (each collect takes only its own keys)
        p.getOutputStream().write("1\n2\nt\n2\n1\n1\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "loop finished");
        String log = Files.readString(tmp.resolve("loop.log"));
        assertEquals(0, p.exitValue(), log);

        Path a1 = work.resolve("round-1/train/adapter"), a2 = work.resolve("round-2/train/adapter");
        assertTrue(Files.isRegularFile(a1.resolve("adapter_config.json")), log);
        assertTrue(Files.isRegularFile(a2.resolve("adapter_config.json")), log);
        assertEquals(2, CollectCommandTest.lines(work.resolve("round-1/prefs.jsonl")).size(), "the tie is not a pair");
        assertEquals(3, CollectCommandTest.lines(work.resolve("round-2/prefs.jsonl")).size());
        for (JsonNode a : CollectCommandTest.lines(work.resolve("round-1/prefs.jsonl.answers"))) assertTrue(a.get("adapter").isNull());
        for (JsonNode a : CollectCommandTest.lines(work.resolve("round-2/prefs.jsonl.answers"))) {
            assertEquals(a1.toString(), a.get("adapter").asText(), "round 2 samples from round 1's adapter");
        }
        JsonNode manifest = CollectCommandTest.JSON.readTree(work.resolve("round-2/prepared/_manifest.json").toFile());
        assertEquals(3, manifest.get("counts").get("kept").asInt());
        assertFalse(Arrays.equals(Files.readAllBytes(a1.resolve("adapter_model.safetensors")),
                Files.readAllBytes(a2.resolve("adapter_model.safetensors"))), "round 2 trained further");
        assertTrue(log.contains("round 2: train (from " + a1 + ")"), log);
        String last = log.strip().substring(log.strip().lastIndexOf('\n') + 1);
        assertEquals(a2.toString(), last, "the script prints the final adapter");

        // a rerun finds both rounds done and trains nothing
        byte[] trained = Files.readAllBytes(a2.resolve("adapter_model.safetensors"));
        ProcessBuilder again = new ProcessBuilder(pb.command()).redirectErrorStream(true);
        again.environment().put("SPARK_DPO_LAUNCHER", launcher().toString());
        Process q = again.start();
        q.getOutputStream().close();
        String out = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(1, TimeUnit.MINUTES));
        assertEquals(0, q.exitValue(), out);
        assertTrue(out.contains("round 1: done earlier") && out.contains("round 2: done earlier"), out);
        assertArrayEquals(trained, Files.readAllBytes(a2.resolve("adapter_model.safetensors")));
    }
}
