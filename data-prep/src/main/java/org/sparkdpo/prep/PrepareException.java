package org.sparkdpo.prep;

/**
 * A problem with the user's inputs or settings that stops the job (missing path, no usable columns, corrupt file,
 * a broken JSON array), with a one-line message that names the file (and line) involved. The CLI prints it without
 * a stack trace.
 */
public class PrepareException extends org.sparkdpo.common.JobFailedException {
    public PrepareException(String message) {
        super(message);
    }

    public PrepareException(String message, Throwable cause) {
        super(message, cause);
    }
}
