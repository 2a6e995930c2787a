package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.jobs.pipeline.CommandsInOneJvm;

/**
 * {@code collect} in a JVM of its own, fed keys one at a time through a pipe and killed with SIGKILL after some
 * decisions are journaled; a rerun keeps every recorded decision exactly once and resumes at the first unanswered pair.
 */
class CollectKillTest {
    @TempDir Path tmp;

    @Test
    void sigkillMidWayLosesNothingAndTheRerunResumes() throws Exception {
        int n = 6, killAfter = 3;
        List<String> pairLines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pairLines.add("{\"id\": \"p" + i + "\", \"prompt\": \"question " + i + "\", \"answer_a\": \"a" + i + "\", \"answer_b\": \"b" + i + "\"}");
        }
        Path pairs = Files.write(tmp.resolve("pairs.jsonl"), pairLines);
        Path prefs = tmp.resolve("prefs.jsonl");
        Path journal = AnnotationQueue.sibling(prefs, ".decisions");
        String[] args = {"collect", "--pairs", pairs.toString(), "--out", prefs.toString(), "--annotator", "ann"};
        String[] keys = {"1", "2", "t", "1", "2", "b"};

        Process p = CommandsInOneJvm.start(tmp, tmp.resolve("jvm1.log"), args);
        try (OutputStream stdin = p.getOutputStream()) {
            for (int k = 0; k < killAfter; k++) {
                stdin.write((keys[k] + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
                awaitLines(journal, k + 1, p, tmp.resolve("jvm1.log"));
            }
            p.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no flushing
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        }
        assertEquals(137, p.exitValue(), "killed by SIGKILL");
        assertEquals(killAfter, Files.readAllLines(journal).size());

        String shown = CollectCommandTest.collect(org.sparkdpo.jobs.cli.ExitCodes.OK, String.join("\n", List.of(keys).subList(killAfter, n)) + "\n",
                args[1], args[2], args[3], args[4], args[5], args[6]);
        int firstPair = shown.indexOf("pair p");
        assertEquals("pair p" + killAfter, shown.substring(firstPair, firstPair + 7), "resumes at the first unanswered pair");

        Map<String, Integer> perPair = new HashMap<>();
        List<JsonNode> events = CollectCommandTest.lines(journal);
        for (JsonNode e : events) perPair.merge(e.get("pair_id").asText(), 1, Integer::sum);
        assertEquals(n, events.size());
        for (int i = 0; i < n; i++) assertEquals(1, perPair.get("p" + i), "p" + i + " recorded exactly once");
        for (int i = 0; i < n; i++) assertEquals(keys[i], events.get(i).get("key").asText());
        assertEquals(n, CollectCommandTest.lines(AnnotationQueue.sibling(prefs, ".answers")).size());
        assertEquals(4, CollectCommandTest.lines(prefs).size(), "four 1/2 choices, one tie, one both-bad");
    }

    /** Polls until the journal holds {@code lines} lines (the decision is on disk), failing if the JVM dies first. */
    private static void awaitLines(Path journal, int lines, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!(Files.exists(journal) && Files.readAllLines(journal).size() >= lines)) {
            if (!p.isAlive()) throw new AssertionError("collect exited early:\n" + Files.readString(log));
            if (System.nanoTime() > deadline) throw new AssertionError("no decision " + lines + " journaled:\n" + Files.readString(log));
            Thread.sleep(20);
        }
    }
}
