package org.sparkdpo.jobs.train;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;

/**
 * Test seam (local mode only, where tasks run in the test's JVM): makes the first attempt of one worker's task fail
 * at one step, to prove that Spark's task retry ends with the same adapter, or that an out-of-memory error in a task
 * ends the job with one clear line. Off ({@code failAtStep < 0}) in real runs; nothing outside the tests sets it.
 */
final class TrainingFaults {
    /** The 0-based global step (DL4J iteration count) whose first attempt fails; negative: never. */
    static volatile int failAtStep = -1;
    /** The worker (Spark partition) that fails. */
    static volatile int failWorker = 0;
    /** Throw an {@link OutOfMemoryError} instead of an ordinary exception. */
    static volatile boolean outOfMemory;
    /** Fail every attempt, not only the first (the job then fails). */
    static volatile boolean everyAttempt;
    /** How many failures were injected. */
    static final AtomicInteger INJECTED = new AtomicInteger();

    private TrainingFaults() {}

    static void reset() {
        failAtStep = -1;
        failWorker = 0;
        outOfMemory = false;
        everyAttempt = false;
        INJECTED.set(0);
    }

    static void check(int step) {
        if (failAtStep < 0 || step != failAtStep || WorkerIdentity.current() != failWorker) return;
        TaskContext tc = TaskContext.get();
        if (!everyAttempt && tc != null && tc.attemptNumber() > 0) return;
        INJECTED.incrementAndGet();
        if (outOfMemory) throw new OutOfMemoryError("Java heap space (injected by a test)");
        throw new IllegalStateException("injected task failure at step " + (step + 1) + " (test seam)");
    }
}
