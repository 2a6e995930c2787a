package org.sparkdpo.common;

/**
 * A job stopped on a problem whose message says everything a user needs (which file, row or option, and what to
 * change): a missing input, a bad row, a non-finite loss. Jobs throw it instead of knowing about exit codes; the CLI
 * prints the message as one {@code error:} line (exit 1) and shows the cause only with {@code --verbose}.
 */
public class JobFailedException extends RuntimeException {
    public JobFailedException(String message) {
        super(message);
    }

    public JobFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
