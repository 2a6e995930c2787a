package org.sparkdpo.jobs.precompute;

import java.util.HashSet;
import java.util.Set;
import org.apache.spark.Success$;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import scala.collection.JavaConverters;

/**
 * Driver-side progress of the precompute job, logged as each shard finishes: shards done/total, rows, tokens/s and
 * an ETA from the remaining rows. Also counts running task attempts of the job so the driver can wait for
 * cancelled attempts to stop before it returns a failure (no attempt of a failed run then races a rerun).
 */
final class ProgressListener extends SparkListener {
    private final String jobGroup;
    private final int shards;
    private final long rows;
    private final long rowsIdAcc;
    private final long tokensIdAcc;
    private final Logger log;
    private final long started = System.nanoTime();
    private final Set<Integer> stages = new HashSet<>();
    private int running;
    private int done;
    private long rowsDone;
    private long tokensDone;

    /**
     * @param shards      shards this run computes
     * @param rows        rows in those shards (for the ETA)
     */
    ProgressListener(String jobGroup, int shards, long rows, long rowsAccumulatorId, long tokensAccumulatorId, Logger log) {
        this.jobGroup = jobGroup;
        this.shards = shards;
        this.rows = rows;
        this.rowsIdAcc = rowsAccumulatorId;
        this.tokensIdAcc = tokensAccumulatorId;
        this.log = log;
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart e) {
        String group = e.properties() == null ? null : e.properties().getProperty("spark.jobGroup.id");
        if (!jobGroup.equals(group)) return;
        for (Object id : JavaConverters.seqAsJavaList(e.stageIds())) stages.add((Integer) id);
    }

    @Override
    public synchronized void onTaskStart(SparkListenerTaskStart e) {
        if (stages.contains(e.stageId())) running++;
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
        if (!stages.contains(e.stageId())) return;
        running--;
        notifyAll();
        if (e.reason() != Success$.MODULE$) return;
        done++;
        for (AccumulableInfo a : JavaConverters.seqAsJavaList(e.taskInfo().accumulables())) {
            if (a.update().isEmpty()) continue;
            long v = ((Number) a.update().get()).longValue();
            if (a.id() == rowsIdAcc) rowsDone += v;
            else if (a.id() == tokensIdAcc) tokensDone += v;
        }
        double secs = (System.nanoTime() - started) / 1e9;
        String eta = rowsDone == 0 ? "?" : duration(secs * (rows - rowsDone) / rowsDone);
        log.info(String.format("precompute-ref: %d/%d shards, %,d/%,d rows, %,d tokens, %,.0f tokens/s, elapsed %s, ETA %s",
                done, shards, rowsDone, rows, tokensDone, tokensDone / Math.max(secs, 1e-9), duration(secs), eta));
    }

    /** Waits until no task attempt of the job runs (at most {@code millis}); true if none runs. */
    synchronized boolean awaitIdle(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (running > 0) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) return false;
            wait(left);
        }
        return true;
    }

    static String duration(double secs) {
        long s = Math.round(secs);
        return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
