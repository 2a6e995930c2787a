package org.sparkdpo.jobs.collect.web;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Serves the one self-contained page ({@code collect.html}) at {@code /} and {@code /status}. Each response gets a
 * fresh nonce in its Content-Security-Policy: only the page's own script and style run, so even a slip that put
 * model text into HTML could not execute it (the page itself only ever uses textContent).
 */
final class PageHandler implements HttpHandler {
    static final String RESOURCE = "collect.html";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String template;

    PageHandler() {
        try (InputStream in = PageHandler.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (!path.equals("/") && !path.equals("/status")) {
                HttpIo.sendError(ex, 404, "no such page: " + path);
            } else if (!ex.getRequestMethod().equals("GET")) {
                HttpIo.sendError(ex, 405, "use GET");
            } else {
                byte[] nonceBytes = new byte[18];
                RANDOM.nextBytes(nonceBytes);
                String nonce = Base64.getEncoder().encodeToString(nonceBytes);
                ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; connect-src 'self'; "
                        + "script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; img-src 'self'; "
                        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
                HttpIo.send(ex, 200, "text/html; charset=utf-8",
                        template.replace("__NONCE__", nonce).getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
