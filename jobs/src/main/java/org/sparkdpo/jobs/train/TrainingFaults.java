package org.sparkdpo.jobs.train;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;

/**
 * Test seam (local mode only, where tasks run in the test's JVM): makes the first attempt of one worker's task fail
 * at one step, to prove that Spark's task retry ends with the same adapter, or that an out-of-memory error in a task
 * ends the job with one clear line. Off ({@code failAtStep < 0}) in real runs; nothing outside the tests sets it.
 */
final class TrainingFaults {
    /**
     * The 0-based training round (Spark stage running worker tasks; with averaging frequency 1, the step) whose
     * first task attempt on {@link #failWorker} fails; negative: never.
     */
    static volatile int failAtStep = -1;
    /** The worker (Spark partition) that fails. */
    static volatile int failWorker = 0;
    /** Throw an {@link OutOfMemoryError} instead of an ordinary exception. */
    static volatile boolean outOfMemory;
    /** Fail every attempt, not only the first (the job then fails). */
    static volatile boolean everyAttempt;
    /** How many failures were injected. */
    static final AtomicInteger INJECTED = new AtomicInteger();

    /** Stage id to its index among the training stages this seam has seen. */
    private static final java.util.Map<Integer, Integer> ROUNDS = new java.util.HashMap<>();

    private TrainingFaults() {}

    static void reset() {
        failAtStep = -1;
        failWorker = 0;
        outOfMemory = false;
        everyAttempt = false;
        INJECTED.set(0);
        synchronized (ROUNDS) {
            ROUNDS.clear();
        }
    }

    static void check() {
        if (failAtStep < 0 || WorkerIdentity.current() != failWorker) return;
        TaskContext tc = TaskContext.get();
        if (tc == null) return;
        int round;
        synchronized (ROUNDS) {
            round = ROUNDS.computeIfAbsent(tc.stageId(), k -> ROUNDS.size());
        }
        if (round != failAtStep || (!everyAttempt && tc.attemptNumber() > 0)) return;
        INJECTED.incrementAndGet();
        if (outOfMemory) throw new OutOfMemoryError("Java heap space (injected by a test)");
        throw new IllegalStateException("injected task failure in training round " + (round + 1) + " (test seam)");
    }
}
