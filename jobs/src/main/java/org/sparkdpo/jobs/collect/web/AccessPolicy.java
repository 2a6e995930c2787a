package org.sparkdpo.jobs.collect.web;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;

/**
 * Who may talk to the server. On a loopback address only this machine can connect, so no token is needed, but the
 * Host header must name the loopback address too (a web page from elsewhere cannot reach the server through DNS
 * rebinding). On any other address every request must carry the token printed at start, in the
 * {@value #HEADER} header or the {@code token} query parameter: 401 without one, 403 with a wrong one.
 */
final class AccessPolicy extends Filter {
    static final String HEADER = "X-Collect-Token";

    private final String token;

    /** @param token the required token, or null to require none (loopback only) */
    AccessPolicy(String token) {
        this.token = token;
    }

    /** Whether a server bound to this address must require a token. */
    static boolean needsToken(InetAddress bound) {
        return !bound.isLoopbackAddress();
    }

    /** A fresh random token: 32 bytes from SecureRandom, URL-safe base64. */
    static String newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    String token() {
        return token;
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        try {
            check(ex);
        } catch (HttpIo.HttpError e) {
            HttpIo.sendError(ex, e.status, e.getMessage());
            return;
        }
        chain.doFilter(ex);
    }

    private void check(HttpExchange ex) {
        if (token == null) {
            if (!loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
                throw new HttpIo.HttpError(403, "this server only answers requests addressed to localhost");
            }
            return;
        }
        String given = ex.getRequestHeaders().getFirst(HEADER);
        if (given == null) given = HttpIo.query(ex).get("token");
        if (given == null || given.isEmpty()) {
            throw new HttpIo.HttpError(401, "a token is required: open the URL printed at start (…?token=…)");
        }
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            throw new HttpIo.HttpError(403, "wrong token");
        }
    }

    /** localhost, 127.x.y.z or [::1], with or without a port. */
    static boolean loopbackHost(String host) {
        if (host == null) return false;
        String h = host.toLowerCase(Locale.ROOT).strip();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end > 0 && h.substring(1, end).equals("::1");
        }
        int colon = h.indexOf(':');
        if (colon >= 0) h = h.substring(0, colon);
        return h.equals("localhost") || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    @Override
    public String description() {
        return "collect access policy";
    }
}
