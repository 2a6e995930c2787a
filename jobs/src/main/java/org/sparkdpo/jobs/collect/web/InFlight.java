package org.sparkdpo.jobs.collect.web;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * Counts requests being handled, so closing can wait for exactly those to finish. (Java 17's
 * {@code HttpServer.stop(delay)} waits the whole delay whenever a keep-alive connection is idle; this lets the
 * server stop with delay 0 once nothing is in flight.) After {@link #drain} begins, new requests get 503.
 */
final class InFlight extends Filter {
    private int active;
    private boolean draining;

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        boolean admitted;
        synchronized (this) {
            admitted = !draining;
            if (admitted) active++;
        }
        if (!admitted) {
            HttpIo.sendError(ex, 503, "the server is shutting down");
            return;
        }
        try {
            chain.doFilter(ex);
        } finally {
            synchronized (this) {
                active--;
                notifyAll();
            }
        }
    }

    /** Refuses new requests and waits up to {@code millis} for running ones; true when none is left. */
    synchronized boolean drain(long millis) throws InterruptedException {
        draining = true;
        long deadline = System.currentTimeMillis() + millis;
        while (active > 0) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) return false;
            wait(left);
        }
        return true;
    }

    @Override
    public String description() {
        return "requests in flight";
    }
}
