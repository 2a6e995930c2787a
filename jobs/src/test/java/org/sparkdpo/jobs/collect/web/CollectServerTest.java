package org.sparkdpo.jobs.collect.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.jobs.collect.AnnotationQueue;
import org.sparkdpo.jobs.collect.web.WebFixtures.Api;
import org.sparkdpo.jobs.collect.web.WebFixtures.Reply;

/** The JSON API over real HTTP: refusals change nothing, the token guards non-loopback binds, concurrency is safe. */
class CollectServerTest {

    static CollectServer.Settings loopback() {
        return new CollectServer.Settings("127.0.0.1", 0, false);
    }

    @Test
    void badRequestsGet4xxAndChangeNothing(@TempDir Path dir) throws Exception {
        Path prefs = dir.resolve("PREFS.jsonl");
        try (AnnotationQueue queue = AnnotationQueue.open(prefs, WebFixtures.pairs(3), 1);
             CollectServer server = CollectServer.start(queue, loopback())) {
            assertNull(server.token(), "no token on a loopback address");
            Api api = Api.of(server);
            Reply next = api.next("ann");
            assertEquals(200, next.status(), next.body());
            String pair = next.json().get("pair_id").asText();
            assertEquals(200, api.decide("ann", pair, "1").status());
            byte[] journalBefore = Files.readAllBytes(WebFixtures.journal(prefs));
            byte[] prefsBefore = Files.readAllBytes(prefs);

            assertEquals(400, api.post("/api/decide", "{\"annotator\": \"ann\", \"pair_id\": ").status(), "truncated JSON");
            assertEquals(400, api.post("/api/decide", "[1, 2]").status(), "not an object");
            assertEquals(400, api.post("/api/decide", Map.of("annotator", "ann", "key", "1")).status(), "no pair_id");
            assertEquals(400, api.post("/api/decide", Map.of("annotator", "ann", "pair_id", 7, "key", "1")).status(), "pair_id not text");
            assertEquals(400, api.decide("", "p1", "1").status(), "empty annotator");
            assertEquals(400, api.decide("x".repeat(65), "p1", "1").status(), "annotator too long");
            assertEquals(400, api.decide("ann", "p1", "7").status(), "unknown key");
            assertEquals(404, api.decide("ann", "no-such-pair", "1").status(), "unknown pair");
            Reply replay = api.decide("ann", pair, "1");
            assertEquals(409, replay.status(), "replayed decision");
            assertTrue(replay.json().get("error").asText().length() > 0);
            assertEquals(409, api.decide("ann", pair, "2").status(), "a second decision on the same pair");
            assertEquals(415, api.send(api.request("/api/decide").header("Content-Type", "text/plain").POST(
                    java.net.http.HttpRequest.BodyPublishers.ofString("{\"annotator\":\"ann\",\"pair_id\":\"p1\",\"key\":\"1\"}"))).status(),
                    "a cross-site form post (not application/json)");
            assertEquals(413, api.post("/api/decide", "{\"annotator\": \"" + "a".repeat(HttpIo.MAX_BODY_BYTES) + "\"}").status());
            assertEquals(405, api.get("/api/decide").status());
            assertEquals(404, api.get("/api/nothing").status());
            assertEquals(404, api.get("/secret.txt").status());
            assertEquals(400, api.get("/api/next").status(), "no annotator");

            assertEquals(List.of(journalBefore.length), List.of(Files.readAllBytes(WebFixtures.journal(prefs)).length));
            assertTrue(java.util.Arrays.equals(journalBefore, Files.readAllBytes(WebFixtures.journal(prefs))), "journal unchanged");
            assertTrue(java.util.Arrays.equals(prefsBefore, Files.readAllBytes(prefs)), "dataset unchanged");
            assertEquals(1, api.get("/api/progress?annotator=ann").json().get("done").asInt());
        }
    }

    @Test
    void undoRemovesTheLastDecisionAndItsPairComesBack(@TempDir Path dir) throws Exception {
        Path prefs = dir.resolve("PREFS.jsonl");
        try (AnnotationQueue queue = AnnotationQueue.open(prefs, WebFixtures.pairs(3), 1);
             CollectServer server = CollectServer.start(queue, loopback())) {
            Api api = Api.of(server);
            String first = api.next("ann").json().get("pair_id").asText();
            assertEquals(200, api.decide("ann", first, "1").status());
            String second = api.next("ann").json().get("pair_id").asText();
            assertEquals(200, api.decide("ann", second, "2").status());
            assertEquals(2, WebFixtures.lines(prefs).size());

            Reply undo = api.post("/api/undo", Map.of("annotator", "ann"));
            assertEquals(200, undo.status(), undo.body());
            assertEquals(second, undo.json().get("undone").asText());
            assertEquals(List.of(first + "/ann"), WebFixtures.lines(prefs).stream().map(r -> r.get("id").asText()).toList());
            assertEquals(second, api.next("ann").json().get("pair_id").asText(), "the undone pair is shown again");
            assertEquals(200, api.decide("ann", second, "t").status(), "and can be decided again");
            assertEquals(1, WebFixtures.lines(prefs).size(), "a tie is journaled, not a dataset row");
        }
    }

    @Test
    void theStatusPageReportsProgressPerAnnotatorAndAgreement(@TempDir Path dir) throws Exception {
        Path prefs = dir.resolve("PREFS.jsonl");
        try (AnnotationQueue queue = AnnotationQueue.open(prefs, WebFixtures.pairs(4), 2);
             CollectServer server = CollectServer.start(queue, loopback())) {
            Api api = Api.of(server);
            // both annotators decide the same 4 pairs; they agree on 3 of them
            for (String who : List.of("ann", "bob")) {
                for (int i = 0; i < 4; i++) {
                    JsonNode n = api.next(who).json();
                    String pair = n.get("pair_id").asText();
                    boolean aFirst = n.get("first").asText().startsWith("The answer");
                    boolean preferA = !(who.equals("bob") && pair.equals("p3"));
                    String key = preferA == aFirst ? "1" : "2";
                    assertEquals(200, api.decide(who, pair, key).status());
                }
            }
            JsonNode s = api.get("/api/status").json();
            assertEquals(2, s.get("overlap").asInt());
            assertEquals(8, s.get("overall_done").asInt());
            assertEquals(8, s.get("overall_needed").asInt());
            Map<String, Integer> done = new HashMap<>();
            s.get("annotators").forEach(a -> done.put(a.get("annotator").asText(), a.get("done").asInt()));
            assertEquals(Map.of("ann", 4, "bob", 4), done);
            JsonNode ag = s.get("agreement");
            assertEquals(4, ag.get("n").asInt());
            assertEquals(0.75, ag.get("raw").asDouble(), 1e-12);
            assertTrue(ag.get("kappa").isNumber());
            Reply page = api.get("/status");
            assertEquals(200, page.status());
            assertTrue(page.body().contains("status-agreement"));
        }
    }

    @Test
    void aNonLoopbackBindRequiresTheTokenOnEveryRequest(@TempDir Path dir) throws Exception {
        try (AnnotationQueue queue = AnnotationQueue.open(dir.resolve("PREFS.jsonl"), WebFixtures.pairs(2), 1);
             CollectServer server = CollectServer.start(queue, new CollectServer.Settings("0.0.0.0", 0, false))) {
            String token = server.token();
            assertNotNull(token, "a token is made at start on a non-loopback address");
            assertTrue(token.length() >= 40, token);
            assertTrue(server.url().toString().endsWith("?token=" + token), server.url().toString());
            Api without = new Api(java.net.http.HttpClient.newHttpClient(), java.net.URI.create("http://127.0.0.1:" + server.port()), null);
            Api wrong = new Api(without.http(), without.base(), token.substring(1) + "x");
            Api right = new Api(without.http(), without.base(), token);

            for (String path : List.of("/", "/status", "/api/status", "/api/next?annotator=ann")) {
                assertEquals(401, without.get(path).status(), path);
                assertEquals(403, wrong.get(path).status(), path);
                assertEquals(200, right.get(path).status(), path);
            }
            assertEquals(401, without.decide("ann", "p0", "1").status());
            assertEquals(403, wrong.decide("ann", "p0", "1").status());
            assertEquals(200, without.get("/api/status?token=" + token).status(), "the token as a query parameter");
            assertEquals(0, WebFixtures.lines(dir.resolve("PREFS.jsonl")).size(), "refused decisions wrote nothing");
            assertEquals(200, right.decide("ann", "p0", "1").status());
        }
    }

    @Test
    void aLoopbackServerRefusesForeignHostNamesAndCanBeMadeToRequireAToken(@TempDir Path dir) throws Exception {
        try (AnnotationQueue queue = AnnotationQueue.open(dir.resolve("PREFS.jsonl"), WebFixtures.pairs(2), 1)) {
            try (CollectServer server = CollectServer.start(queue, loopback())) {
                assertEquals(403, rawStatus(server.port(), "evil.example:" + server.port()), "DNS rebinding");
                assertEquals(200, rawStatus(server.port(), "localhost:" + server.port()));
            }
            try (CollectServer server = CollectServer.start(queue, new CollectServer.Settings("127.0.0.1", 0, true))) {
                assertNotNull(server.token());
                Api without = new Api(java.net.http.HttpClient.newHttpClient(), java.net.URI.create("http://127.0.0.1:" + server.port()), null);
                assertEquals(401, without.get("/api/status").status());
                assertEquals(200, Api.of(server).get("/api/status").status());
            }
        }
        assertTrue(AccessPolicy.loopbackHost("127.0.0.1:8080") && AccessPolicy.loopbackHost("[::1]:80") && AccessPolicy.loopbackHost("LOCALHOST"));
        assertFalse(AccessPolicy.loopbackHost("127.0.0.1.evil.example") || AccessPolicy.loopbackHost(null) || AccessPolicy.loopbackHost("10.0.0.1"));
    }

    /** The status of GET /api/status sent with a chosen Host header (java.net.http does not let one set it). */
    static int rawStatus(int port, String host) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/status HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    @Test
    void concurrentDecisionsAreNeitherLostNorDuplicated(@TempDir Path dir) throws Exception {
        Path prefs = dir.resolve("PREFS.jsonl");
        int pairs = 12;
        List<String> annotators = List.of("a1", "a2", "a3", "a4", "a5", "a6");
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try (AnnotationQueue queue = AnnotationQueue.open(prefs, WebFixtures.pairs(pairs), 2);
             CollectServer server = CollectServer.start(queue, loopback())) {
            Api api = Api.of(server);
            // every annotator works through the queue in two threads at once, each decision sent twice (a double click)
            List<Callable<List<String>>> workers = new ArrayList<>();
            for (String who : annotators) for (int t = 0; t < 2; t++) workers.add(() -> work(api, who));
            Set<String> accepted = new HashSet<>();
            for (Future<List<String>> f : pool.invokeAll(workers)) {
                for (String d : f.get()) assertTrue(accepted.add(d), "accepted twice: " + d);
            }
            assertEquals(pairs * 2, accepted.size(), "each pair decided by exactly `overlap` annotators");
            Map<String, Integer> perPair = new HashMap<>();
            for (String d : accepted) perPair.merge(d.substring(0, d.indexOf('/')), 1, Integer::sum);
            assertEquals(pairs, perPair.size());
            assertTrue(perPair.values().stream().allMatch(c -> c == 2), perPair.toString());

            List<JsonNode> events = WebFixtures.lines(WebFixtures.journal(prefs));
            Set<String> journaled = new HashSet<>();
            for (JsonNode e : events) {
                assertEquals("decision", e.get("event").asText());
                assertTrue(journaled.add(e.get("pair_id").asText() + "/" + e.get("annotator").asText()), e.toString());
            }
            assertEquals(accepted, journaled, "the journal holds exactly the accepted decisions");
            Set<String> rows = new HashSet<>();
            for (JsonNode r : WebFixtures.lines(prefs)) assertTrue(rows.add(r.get("id").asText()));
            assertEquals(accepted, rows, "every decision (all 1/2 keys) is one dataset row");
        } finally {
            pool.shutdownNow();
        }
    }

    /** Takes pairs until none is left; returns "pair/annotator" of each decision the server accepted. */
    static List<String> work(Api api, String who) throws Exception {
        List<String> accepted = new ArrayList<>();
        while (true) {
            Reply next = api.next(who);
            assertEquals(200, next.status(), next.body());
            if (!next.json().has("pair_id")) return accepted;
            String pair = next.json().get("pair_id").asText();
            String key = (pair.hashCode() & 1) == 0 ? "1" : "2";
            for (int click = 0; click < 2; click++) {
                Reply r = api.decide(who, pair, key);
                if (r.status() == 200) accepted.add(pair + "/" + who);
                else assertEquals(409, r.status(), r.body());
            }
        }
    }
}
