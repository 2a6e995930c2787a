package org.sparkdpo.jobs.train;

import org.sparkdpo.model.dpo.DpoStats;

import java.io.Serializable;

/**
 * What one worker reports for one local step of a round: DPO statistics, gradient norm, tokens processed, and where
 * it ran ({@code executor N (pid@host)}, see {@code ExecutorContext.where}).
 */
public record StepRecord(int worker, int localStep, DpoStats stats, double gradNorm, long tokens, String where)
        implements Serializable {}
