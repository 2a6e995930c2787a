package org.sparkdpo.common;

/**
 * Another run holds the output's lock: this run changed nothing and did not wait. Schedulers should skip quietly and
 * try again later; the CLI maps it to exit code 4.
 */
public class JobLockedException extends JobRefusedException {
    public JobLockedException(String message) {
        super(message);
    }
}
