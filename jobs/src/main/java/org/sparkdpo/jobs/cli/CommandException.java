package org.sparkdpo.jobs.cli;

/**
 * A failure with a known exit code and a message meant for the user (e.g. {@link ExitCodes#REFUSED} on a
 * fingerprint mismatch): {@link Main} prints "error: " + message and exits with {@link #exitCode()}.
 */
public class CommandException extends RuntimeException {
    private final int exitCode;

    public CommandException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CommandException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
