package org.sparkdpo.jobs.train;

import org.sparkdpo.model.dpo.DpoStats;

import java.io.Serializable;

/** What one worker reports for one local step of a round: DPO statistics, gradient norm, tokens processed. */
public record StepRecord(int worker, int localStep, DpoStats stats, double gradNorm, long tokens) implements Serializable {}
