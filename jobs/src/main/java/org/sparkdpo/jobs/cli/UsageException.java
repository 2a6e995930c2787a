package org.sparkdpo.jobs.cli;

import java.util.List;

/**
 * A user error in options (unknown name, bad value, out of range, missing): one line per problem, all reported
 * together. {@link Main} prints each as "error: ..." and exits {@link ExitCodes#USAGE}, never with a stack trace.
 * Commands throw it for cross-option problems found while building their settings.
 */
public class UsageException extends RuntimeException {
    private final List<String> errors;

    public UsageException(List<String> errors) {
        super(String.join("\n", errors));
        if (errors.isEmpty()) throw new IllegalArgumentException("a UsageException needs at least one error");
        this.errors = List.copyOf(errors);
    }

    public UsageException(String error) {
        this(List.of(error));
    }

    /** Each problem as one line, in the order found. */
    public List<String> errors() {
        return errors;
    }
}
