package org.sparkdpo.jobs.precompute;

/**
 * The job will not run on these inputs and nothing was computed: no input manifest, a tokenizer that differs from the
 * model's, or an output folder holding a different fingerprint. A human must decide, so schedulers should not retry;
 * the command maps it to exit code 3.
 */
public class PrecomputeRefusedException extends org.sparkdpo.common.JobRefusedException {
    public PrecomputeRefusedException(String message) {
        super(message);
    }

    public PrecomputeRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
