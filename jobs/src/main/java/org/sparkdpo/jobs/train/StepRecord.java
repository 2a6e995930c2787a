package org.sparkdpo.jobs.train;

import java.io.Serializable;

/**
 * What one worker reports for one local step of a round: the objective's statistics, gradient norm, tokens processed,
 * and where it ran ({@code executor N (pid@host)}, see {@code ExecutorContext.where}).
 */
public record StepRecord(int worker, int localStep, StepStats stats, double gradNorm, long tokens, String where)
        implements Serializable {}
