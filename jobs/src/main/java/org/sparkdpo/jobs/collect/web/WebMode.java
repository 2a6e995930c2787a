package org.sparkdpo.jobs.collect.web;

import java.io.IOException;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.sparkdpo.jobs.collect.AnnotationQueue;

/**
 * Runs {@code collect --web} until it is asked to stop: Ctrl-C or SIGTERM (a JVM shutdown hook), or {@code stop}
 * counting down (tests). Stopping closes the server first (requests in flight finish) and then the queue, so the
 * journal is closed before the JVM exits; the shutdown hook waits for that.
 */
public final class WebMode {
    /** How long a shutdown hook waits for the server and the queue to close. */
    static final long CLOSE_WAIT_SECONDS = 10;

    private WebMode() {}

    /**
     * Serves until stopped, then closes the server and {@code queue}.
     *
     * @param source the next pair for an annotator (see {@link PairSource})
     */
    public static void serve(AnnotationQueue queue, PairSource source, CollectServer.Settings settings, PrintStream out,
                             CountDownLatch stop) throws IOException, InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "collect-web-shutdown");
        CollectServer server = CollectServer.start(queue, source, settings);
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            announce(server, out);
            stop.await();
        } finally {
            server.close();
            try {
                out.println("collect: server stopped; " + queue.progress("-").overallDone() + " of "
                        + queue.progress("-").overallNeeded() + " decisions recorded");
                queue.close();
            } finally {
                closed.countDown();
                removeHook(hook);
            }
        }
    }

    /** The URL, printed once; with a token it is the only place the token appears. */
    static void announce(CollectServer server, PrintStream out) {
        out.println("collect: serving the annotation page at " + server.url());
        if (server.token() != null) {
            out.println("collect: every request needs this token (in the URL above, or header " + AccessPolicy.HEADER
                    + "); share the URL only with annotators");
        }
        out.println("collect: status page at " + server.url().resolve("/status") + (server.token() == null ? "" : "?token=…")
                + "; stop with Ctrl-C");
        out.flush();
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook is running and returns once `closed` is counted down
        }
    }
}
