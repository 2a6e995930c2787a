package org.sparkdpo.jobs.collect.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.sparkdpo.jobs.collect.AnnotationQueue;
import org.sparkdpo.jobs.collect.Decision;
import org.sparkdpo.jobs.collect.QueueException;

/**
 * The JSON API under {@code /api/}: {@code GET next?annotator=}, {@code POST decide {annotator, pair_id, key}},
 * {@code POST undo {annotator}}, {@code GET progress?annotator=}, {@code GET status}. It only talks to the
 * {@link AnnotationQueue}, which journals every change before it returns; a refused request (bad JSON, unknown pair,
 * a replayed decision, ...) gets a 4xx and changes nothing.
 */
final class ApiHandler implements HttpHandler {
    static final int MAX_ANNOTATOR_CHARS = 64;

    private final AnnotationQueue queue;
    private final PairSource source;
    private final StatusView status;

    ApiHandler(AnnotationQueue queue, PairSource source, StatusView status) {
        this.queue = queue;
        this.source = source;
        this.status = status;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (HttpIo.HttpError e) {
                HttpIo.sendError(ex, e.status, e.getMessage());
            } catch (QueueException e) {
                HttpIo.sendError(ex, statusOf(e.kind()), e.getMessage());
            }
        }
    }

    /** The HTTP status of a request the queue refused. */
    static int statusOf(QueueException.Kind kind) {
        return switch (kind) {
            case UNKNOWN_PAIR -> 404;
            case ALREADY_DECIDED, NOT_LEASED -> 409;
            case BAD_KEY, BAD_ANNOTATOR -> 400;
            case CLOSED -> 503;
        };
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        switch (path) {
            case "/api/next" -> {
                requireMethod(method, "GET");
                HttpIo.sendJson(ex, 200, next(annotator(HttpIo.query(ex).get("annotator"))));
            }
            case "/api/decide" -> {
                requireMethod(method, "POST");
                HttpIo.sendJson(ex, 200, decide(HttpIo.jsonBody(ex)));
            }
            case "/api/undo" -> {
                requireMethod(method, "POST");
                HttpIo.sendJson(ex, 200, undo(annotator(HttpIo.text(HttpIo.jsonBody(ex), "annotator"))));
            }
            case "/api/progress" -> {
                requireMethod(method, "GET");
                HttpIo.sendJson(ex, 200, StatusView.progress(queue.progress(annotator(HttpIo.query(ex).get("annotator")))));
            }
            case "/api/status" -> {
                requireMethod(method, "GET");
                HttpIo.sendJson(ex, 200, status.json());
            }
            default -> throw new HttpIo.HttpError(404, "no such API call: " + path);
        }
    }

    private static void requireMethod(String actual, String wanted) {
        if (!actual.equals(wanted)) throw new HttpIo.HttpError(405, "use " + wanted);
    }

    /** A name of 1..64 characters without control characters (the queue checks the rest). */
    static String annotator(String name) {
        if (name == null || name.isBlank()) throw new HttpIo.HttpError(400, "an annotator name is required");
        String n = name.strip();
        if (n.length() > MAX_ANNOTATOR_CHARS) throw new HttpIo.HttpError(400, "annotator name over " + MAX_ANNOTATOR_CHARS + " characters");
        if (n.chars().anyMatch(Character::isISOControl)) throw new HttpIo.HttpError(400, "annotator name has control characters");
        return n;
    }

    private Map<String, Object> next(String annotator) {
        status.saw(annotator);
        Map<String, Object> out = new LinkedHashMap<>();
        var shown = source.next(annotator);
        if (shown.isEmpty()) {
            out.put("done", true);
            out.put("progress", StatusView.progress(queue.progress(annotator)));
            return out;
        }
        var s = shown.get();
        out.put("pair_id", s.pair().pairId());
        out.put("prompt", s.pair().prompt());
        out.put("first", s.first());
        out.put("second", s.second());
        out.put("progress", StatusView.progress(s.progress()));
        return out;
    }

    private Map<String, Object> decide(JsonNode body) {
        String annotator = annotator(HttpIo.text(body, "annotator"));
        String pairId = HttpIo.text(body, "pair_id");
        String key = HttpIo.text(body, "key");
        status.saw(annotator);
        Decision d = queue.decide(annotator, pairId, key);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("seq", d.seq());
        out.put("pair_id", d.pairId());
        out.put("choice", d.choice().wire());
        out.put("progress", StatusView.progress(queue.progress(annotator)));
        return out;
    }

    private Map<String, Object> undo(String annotator) {
        Optional<Decision> d = queue.undo(annotator);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("undone", d.map(Decision::pairId).orElse(null));
        out.put("progress", StatusView.progress(queue.progress(annotator)));
        return out;
    }
}
