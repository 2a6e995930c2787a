package org.sparkdpo.jobs.cli;

/**
 * Process exit codes, shared by every command so scripts and schedulers can tell failures apart. Codes 5 to 63
 * are free for job-specific meanings: add them here, with a comment, rather than inventing them in a command.
 */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** The job failed (I/O error, Spark failure, bug); a one-line "error: ..." was printed. */
    public static final int FAILURE = 1;
    /** Bad command line or config: unknown command or option, bad value, missing required option. */
    public static final int USAGE = 2;
    /** The job refused to run on these inputs, e.g. a fingerprint mismatch with existing outputs. */
    public static final int REFUSED = 3;
    /** Another run holds the lock on the output. */
    public static final int LOCKED = 4;
    /** {@code collect} stopped (q or the end of its keys) with pairs left to label; a rerun continues. */
    public static final int COLLECT_STOPPED = 5;

    private ExitCodes() {}
}
