package org.sparkdpo.common;

/**
 * A job will not run on these inputs and has changed nothing: e.g. an output folder built from other inputs, or a
 * dataset without the manifest that proves where it came from. A person must decide, so schedulers should not retry;
 * the CLI maps it to exit code 3.
 */
public class JobRefusedException extends RuntimeException {
    public JobRefusedException(String message) {
        super(message);
    }

    public JobRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
