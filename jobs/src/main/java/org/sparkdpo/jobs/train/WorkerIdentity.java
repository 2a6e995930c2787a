package org.sparkdpo.jobs.train;

import org.apache.spark.TaskContext;

/** Which data-parallel worker this thread is: the Spark partition of the current task, 0 outside Spark. */
public final class WorkerIdentity {
    private WorkerIdentity() {}

    public static int current() {
        TaskContext tc = TaskContext.get();
        return tc == null ? 0 : tc.partitionId();
    }
}
