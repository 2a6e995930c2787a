package org.sparkdpo.jobs.collect.web;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.jobs.collect.AnnotationQueue;

/**
 * {@code collect --web}: the annotation queue served as one web page and a small JSON API on the JDK's built-in
 * HTTP server. It binds 127.0.0.1 unless told otherwise; bound to any other address it requires a token, made at
 * start, on every request (see {@link AccessPolicy}). Closing the server does not close the queue: the caller that
 * opened the queue closes it (after the server, so no request is cut off mid-write).
 */
public final class CollectServer implements Closeable {
    /** Request threads: a handful of annotators at a time, each request short. */
    static final int THREADS = 8;

    /**
     * @param host         address to bind (127.0.0.1 by default)
     * @param port         port, 0 for any free one
     * @param requireToken require a token even on a loopback address (always required elsewhere)
     */
    public record Settings(String host, int port, boolean requireToken) {}

    private final HttpServer server;
    private final ExecutorService threads;
    private final InFlight inFlight;
    private final String token;

    private CollectServer(HttpServer server, ExecutorService threads, InFlight inFlight, String token) {
        this.server = server;
        this.threads = threads;
        this.inFlight = inFlight;
        this.token = token;
    }

    /** Serves a queue of given pairs. */
    public static CollectServer start(AnnotationQueue queue, Settings settings) throws IOException {
        return start(queue, queue::next, settings);
    }

    /**
     * Binds and starts serving; throws when the address cannot be bound (port taken, unknown host).
     *
     * @param source the next pair for an annotator (a session that samples pairs on demand, or the queue itself)
     */
    public static CollectServer start(AnnotationQueue queue, PairSource source, Settings settings) throws IOException {
        InetAddress address = address(settings.host());
        boolean needsToken = settings.requireToken() || AccessPolicy.needsToken(address);
        AccessPolicy policy = new AccessPolicy(needsToken ? AccessPolicy.newToken() : null);
        HttpServer server = bind(new InetSocketAddress(address, settings.port()));
        HttpContext page = server.createContext("/", new PageHandler());
        HttpContext api = server.createContext("/api/", new ApiHandler(queue, source, new StatusView(queue)));
        InFlight inFlight = new InFlight();
        for (HttpContext c : new HttpContext[] {page, api}) {
            c.getFilters().add(inFlight);
            c.getFilters().add(policy);
        }
        ExecutorService threads = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "collect-web");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.start();
        return new CollectServer(server, threads, inFlight, policy.token());
    }

    private static InetAddress address(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new JobRefusedException("--host " + host + ": unknown host; give an address of this machine (127.0.0.1 by default)");
        }
    }

    private static HttpServer bind(InetSocketAddress at) throws IOException {
        try {
            return HttpServer.create(at, 64);
        } catch (BindException e) {
            throw new JobRefusedException("--host " + at.getAddress().getHostAddress() + " --port " + at.getPort()
                    + ": cannot listen there (" + e.getMessage() + "); choose another --port, or --port 0 for any free one");
        }
    }

    /** The token every request must carry, or null when none is required. */
    public String token() {
        return token;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The address to open: the bound host and port, with the token when one is required. */
    public URI url() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + a.getPort() + "/" + (token == null ? "" : "?token=" + token));
    }

    /** Refuses new requests (503), lets running ones finish (up to 5 s), then stops the server and its threads. */
    @Override
    public void close() {
        try {
            inFlight.drain(5_000);
            server.stop(0);
            threads.shutdown();
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.stop(0);
        }
    }
}
