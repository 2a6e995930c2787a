package org.sparkdpo.jobs.train;

import org.apache.spark.util.CollectionAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Runs on the workers after every DL4J update and sends that step's statistics (any {@link TrainingLayer}) back to the driver through a
 * Spark accumulator (the hook travels inside DL4J's worker closure, one copy per task, so its step counter is
 * the worker's local step within the round).
 */
public final class StepMetricsHook implements TrainingHook {
    private final CollectionAccumulator<StepRecord> records;
    private int localStep;

    public StepMetricsHook(CollectionAccumulator<StepRecord> records) {
        this.records = records;
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
        TrainingLayer layer = (TrainingLayer) ((MultiLayerNetwork) model).getLayer(0);
        records.add(new StepRecord(WorkerIdentity.current(), localStep++, layer.lastStepStats(), layer.lastGradNorm(),
                layer.lastTokens(), org.sparkdpo.common.spark.ExecutorContext.where()));
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }
}
