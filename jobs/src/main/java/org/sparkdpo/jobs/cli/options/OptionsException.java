package org.sparkdpo.jobs.cli.options;

import java.util.List;

/**
 * A user error in options (unknown name, bad value, out of range, missing): one line per problem, all reported
 * together. The CLI prints the lines and exits with the usage code, never a stack trace. Unchecked so that job
 * code can raise cross-option errors (e.g. "--columns: no column 'x'") from anywhere.
 */
public class OptionsException extends RuntimeException {
    private final List<String> errors;

    public OptionsException(List<String> errors) {
        super(String.join("\n", errors));
        if (errors.isEmpty()) throw new IllegalArgumentException("an OptionsException needs at least one error");
        this.errors = List.copyOf(errors);
    }

    public OptionsException(String error) {
        this(List.of(error));
    }

    /** Each problem as one line, in the order found. */
    public List<String> errors() {
        return errors;
    }
}
