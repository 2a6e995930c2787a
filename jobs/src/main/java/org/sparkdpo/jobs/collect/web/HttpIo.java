package org.sparkdpo.jobs.collect.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reading bounded JSON requests and writing JSON answers on the JDK's HTTP server; every answer is no-store. */
final class HttpIo {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Requests are a few short fields; anything larger is refused before it is parsed. */
    static final int MAX_BODY_BYTES = 16 * 1024;

    private HttpIo() {}

    /** A request refused with an HTTP status and a one-line reason; nothing was changed. */
    static final class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The body of a POST as a JSON object: 415 unless sent as application/json, 413 when too large, 400 when not an object. */
    static JsonNode jsonBody(HttpExchange ex) throws IOException {
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            throw new HttpError(415, "send the request body as Content-Type: application/json");
        }
        byte[] body = readBounded(ex.getRequestBody());
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) throw new HttpError(400, "the request body must be a JSON object");
            return node;
        } catch (JsonProcessingException e) {
            throw new HttpError(400, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
        if (body.length > MAX_BODY_BYTES) throw new HttpError(413, "request body over " + MAX_BODY_BYTES + " bytes");
        return body;
    }

    /** A required text field of a JSON body. */
    static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual()) throw new HttpError(400, "field '" + field + "' is missing or not a string");
        return v.asText();
    }

    /** The decoded query parameters (first value of each). */
    static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new LinkedHashMap<>();
        String raw = ex.getRequestURI().getRawQuery();
        if (raw == null || raw.isEmpty()) return out;
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = eq < 0 ? part : part.substring(0, eq);
            String v = eq < 0 ? "" : part.substring(eq + 1);
            try {
                out.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new HttpError(400, "malformed query string");
            }
        }
        return out;
    }

    static void sendJson(HttpExchange ex, int status, Object value) throws IOException {
        send(ex, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(value));
    }

    static void sendError(HttpExchange ex, int status, String message) throws IOException {
        sendJson(ex, status, Map.of("error", message));
    }

    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        var h = ex.getResponseHeaders();
        h.set("Content-Type", contentType);
        h.set("Cache-Control", "no-store");
        h.set("X-Content-Type-Options", "nosniff");
        h.set("Referrer-Policy", "no-referrer");
        h.set("X-Frame-Options", "DENY");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
