package org.sparkdpo.jobs.train;

import java.io.Serializable;

/** What one worker reports for one local step of a round: the objective's statistics, gradient norm, tokens processed. */
public record StepRecord(int worker, int localStep, StepStats stats, double gradNorm, long tokens) implements Serializable {}
