package org.sparkdpo.jobs.collect.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.jobs.collect.LabelPair;
import org.sparkdpo.jobs.collect.web.WebFixtures.Api;

/** {@code collect --web --pairs FILE --overlap 2} as users run it: in a JVM of its own, stopped with SIGTERM. */
class CollectWebCommandTest {

    static Path pairsFile(Path dir, int n) throws Exception {
        List<String> lines = new ArrayList<>();
        for (LabelPair p : WebFixtures.pairs(n)) {
            lines.add(WebFixtures.JSON.writeValueAsString(Map.of("pair_id", p.pairId(), "prompt", p.prompt(),
                    "answer_a", p.answerA(), "answer_b", p.answerB())));
        }
        return Files.write(dir.resolve("pairs.jsonl"), lines);
    }

    /** Starts {@code Main} with {@code args} in a new JVM, its output (stdout and stderr) readable line by line. */
    static Process start(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (a.startsWith("--add-opens")) cmd.add(a);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    }

    @Test
    void servesUntilSigtermThenClosesTheJournalWithEveryDecisionOnce(@TempDir Path dir) throws Exception {
        pairsFile(dir, 3);
        Process p = start(dir, "collect", "--web", "--port", "0", "--pairs", "pairs.jsonl", "--out", "PREFS.jsonl", "--overlap", "2");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            List<String> printed = new ArrayList<>();
            URI url = null;
            for (String line; url == null && (line = out.readLine()) != null; ) {
                printed.add(line);
                if (line.startsWith("collect: serving the annotation page at ")) url = URI.create(line.substring(line.lastIndexOf(' ') + 1));
            }
            assertTrue(url != null && url.getHost().equals("127.0.0.1") && url.getPort() > 0 && url.getQuery() == null, printed.toString());
            Api api = new Api(HttpClient.newHttpClient(), url.resolve("/"), null);
            for (String who : List.of("alice", "bob")) {
                for (int i = 0; i < 3; i++) {
                    String pair = api.next(who).json().get("pair_id").asText();
                    assertEquals(200, api.decide(who, pair, i % 2 == 0 ? "1" : "2").status());
                }
                assertTrue(api.next(who).json().get("done").asBoolean(), "no pair twice to one annotator");
            }
            assertEquals(3, api.get("/api/status").json().get("agreement").get("n").asInt(), "overlap 2: every pair twice");

            assertTrue(p.toHandle().destroy(), "SIGTERM sent"); // unlike Process.destroy, keeps the output readable
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops on SIGTERM");
            for (String line; (line = out.readLine()) != null; ) printed.add(line);
            assertTrue(printed.stream().anyMatch(l -> l.equals("collect: server stopped; 6 of 6 decisions recorded")), printed.toString());
        } finally {
            p.destroyForcibly();
        }
        List<JsonNode> journal = WebFixtures.lines(dir.resolve("PREFS.jsonl.decisions"));
        assertEquals(6, journal.size());
        List<String> ids = WebFixtures.lines(dir.resolve("PREFS.jsonl")).stream().map(r -> r.get("id").asText()).sorted().toList();
        assertEquals(List.of("p0/alice", "p0/bob", "p1/alice", "p1/bob", "p2/alice", "p2/bob"), ids);
    }

    /** Main.run with standard error captured in {@code err}. */
    static int run(ByteArrayOutputStream err, String... args) {
        PrintStream was = System.err;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return Main.run(args);
        } finally {
            System.setErr(was);
        }
    }

    @Test
    void webOptionProblemsAreOneLineErrors(@TempDir Path dir) throws Exception {
        pairsFile(dir, 2);
        String pairs = dir.resolve("pairs.jsonl").toString();
        String out = dir.resolve("PREFS.jsonl").toString();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(ExitCodes.USAGE, run(err, "collect", "--web", "--port", "70000", "--pairs", pairs, "--out", out));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--port"), err.toString(StandardCharsets.UTF_8));

        err.reset();
        assertEquals(ExitCodes.USAGE, run(err, "collect", "--web", "--keys-from-stdin", "--pairs", pairs, "--out", out));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--keys-from-stdin"), err.toString(StandardCharsets.UTF_8));

        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            err.reset();
            assertEquals(ExitCodes.REFUSED, run(err, "collect", "--web", "--port", String.valueOf(taken.getLocalPort()),
                    "--pairs", pairs, "--out", out));
            String text = err.toString(StandardCharsets.UTF_8);
            assertTrue(text.startsWith("error: ") && text.contains("--host 127.0.0.1 --port " + taken.getLocalPort() + ": cannot listen")
                    && text.contains("--port 0") && text.strip().lines().count() == 1, text);
        }
    }
}
