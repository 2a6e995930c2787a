package org.sparkdpo.jobs.train;

import java.io.Serializable;
import java.util.Map;

/**
 * The statistics a training objective reports for one worker step, pooled over workers and log windows by
 * {@link TrainingRun}: DPO's reward statistics ({@link DpoStepStats}), SFT's token loss and accuracy.
 */
public interface StepStats extends Serializable {
    /** These statistics pooled with {@code other} (of the same kind). */
    StepStats merge(StepStats other);

    /** Training examples (pairs, sequences) the statistics cover. */
    long examples();

    /** The metrics under their TRL names, each prefixed (e.g. {@code "eval_"}). */
    Map<String, Double> metrics(String prefix);
}
