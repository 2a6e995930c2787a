package org.sparkdpo.jobs.train;

/**
 * A DL4J output layer that evaluates a whole training objective (DPO, SFT) and remembers what its last training
 * step measured, for {@link StepMetricsHook}.
 */
public interface TrainingLayer {
    /** Statistics of the last training step (null before the first). */
    StepStats lastStepStats();

    /** Global norm of the last step's gradient of the mean loss, before clipping. */
    double lastGradNorm();

    /** Real tokens processed by the last training step. */
    long lastTokens();
}
