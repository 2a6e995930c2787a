package org.sparkdpo.prep;

import java.io.PrintStream;

/**
 * Receives one line per stage of a {@code prepare} run ("inputs", "format", "tokenize", "shards", "rejects",
 * "verify", "manifest", "commit", "counts"), so users see where a long job is, and tests can watch (or interrupt) a
 * run at a given stage.
 */
@FunctionalInterface
public interface PrepareProgress {
    void stage(String stage, String message);

    /** Lines "prepare [stage] message" on {@code out} (the CLI uses stderr; stdout stays free for data). */
    static PrepareProgress printingTo(PrintStream out) {
        return (stage, message) -> {
            out.println("prepare [" + stage + "] " + message);
            out.flush();
        };
    }

    static PrepareProgress silent() {
        return (stage, message) -> { };
    }
}
