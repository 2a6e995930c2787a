package org.sparkdpo.jobs.train;

import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one objective (DPO on LoRA, SFT full-parameter or LoRA) brings to a {@link TrainingRun}: its training rows,
 * its DL4J network, how its weights are checkpointed and written, its held-out evaluation and its metrics. The run
 * owns everything else: rounds, logging, checkpoints, resume, curves, summary.
 */
public interface TrainingTask extends AutoCloseable {
    /** Builds the task of a run at {@code state}, resuming from {@code checkpoint}'s weights when present. */
    @FunctionalInterface
    interface Factory {
        TrainingTask create(TrainerState state, Optional<CheckpointStore.Loaded> checkpoint) throws IOException;
    }

    /** What one example is called in metric names: {@code pairs} (pairs_per_second, pairs_seen), {@code samples}. */
    String examplesName();

    /** Training rows (indexed 0..size-1). */
    int size();

    /** Sequence length of each training row, by index (for length grouping). */
    int[] lengths();

    /** One epoch's batches, fed round by round. */
    RoundFeeder feeder(JavaSparkContext sc, BatchPlan plan, RoundLayout layout);

    /** The DL4J network (its parameters are what parameter averaging broadcasts and averages). */
    MultiLayerNetwork network(int totalSteps);

    /** One line for the log: what is trained. */
    String describe(MultiLayerNetwork net);

    /** The metrics on the console progress line. */
    List<ProgressLine.Field> progressFields();

    /** The panels of training_curves.html. */
    List<String> curveKeys();

    /** The trained weights as a checkpoint holds them. */
    CheckpointStore.Weights checkpointWeights(MultiLayerNetwork net);

    /** Writes the final weights under {@code out} (e.g. {@code out/adapter}, {@code out/model}) and returns that folder. */
    Path writeResult(MultiLayerNetwork net, Path out) throws IOException;

    /** True when there is held-out data. */
    boolean hasEval();

    /** The held-out metrics ({@code eval_} names) of the network's current weights. */
    Map<String, Double> evaluate(JavaSparkContext sc, MultiLayerNetwork net) throws IOException;

    /** The objective's own entries of summary.json. */
    Map<String, Object> summary(MultiLayerNetwork net);

    @Override
    void close();
}
