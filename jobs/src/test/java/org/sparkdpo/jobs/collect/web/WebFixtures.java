package org.sparkdpo.jobs.collect.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.sparkdpo.jobs.collect.LabelPair;

/** Pairs to label, an HTTP client for the collect server's API, and the files it leaves behind. */
final class WebFixtures {
    static final ObjectMapper JSON = new ObjectMapper();
    /** An answer that would set a window flag if the page ever ran model text as HTML. */
    static final String HOSTILE = "<script>window.__pwned = 'script'</script><img src=x onerror=\"window.__pwned = 'img'\">";

    private WebFixtures() {}

    /** n pairs with distinct answers; pair "p2" has a hostile answer and pair "p4" a conversational prompt. */
    static List<LabelPair> pairs(int n) {
        List<LabelPair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Object prompt = i == 4
                    ? List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", "Name a colour " + i + "?"))
                    : "Question " + i + ": what is " + i + " + " + i + "?";
            String a = i == 2 ? "The answer is " + (2 * i) + ". " + HOSTILE : "The answer is " + (2 * i) + ".";
            out.add(new LabelPair("p" + i, prompt, a, "I think it is " + (2 * i + 1) + ".", "models/tiny", null));
        }
        return out;
    }

    /** The JSON lines of a file (empty when it does not exist). */
    static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    static Path journal(Path prefs) {
        return prefs.resolveSibling(prefs.getFileName() + ".decisions");
    }

    /** A minimal client for the API: JSON in, status and JSON out. */
    record Api(HttpClient http, URI base, String token) {
        static Api of(CollectServer server) {
            URI u = server.url();
            return new Api(HttpClient.newHttpClient(), URI.create("http://127.0.0.1:" + u.getPort()), server.token());
        }

        Reply get(String pathAndQuery) throws IOException, InterruptedException {
            return send(request(pathAndQuery).GET());
        }

        Reply post(String path, String body) throws IOException, InterruptedException {
            return send(request(path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        Reply post(String path, Map<String, ?> body) throws IOException, InterruptedException {
            return post(path, JSON.writeValueAsString(body));
        }

        HttpRequest.Builder request(String pathAndQuery) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(pathAndQuery));
            return token == null ? b : b.header(AccessPolicy.HEADER, token);
        }

        Reply send(HttpRequest.Builder b) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")
                    ? JSON.readTree(r.body()) : null;
            return new Reply(r.statusCode(), json, r.body());
        }

        Reply decide(String annotator, String pairId, String key) throws IOException, InterruptedException {
            return post("/api/decide", Map.of("annotator", annotator, "pair_id", pairId, "key", key));
        }

        Reply next(String annotator) throws IOException, InterruptedException {
            return get("/api/next?annotator=" + java.net.URLEncoder.encode(annotator, StandardCharsets.UTF_8));
        }
    }

    record Reply(int status, JsonNode json, String body) {}
}
