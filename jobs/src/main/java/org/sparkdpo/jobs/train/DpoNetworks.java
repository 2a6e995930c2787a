package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Builds the DL4J network that ParameterAveragingTrainingMaster trains: one {@link DpoLoraLayerConf} whose only
 * parameters are the LoRA matrices. {@code miniBatch(false)}: the layer already returns the gradient of the
 * mean loss. One layer means DL4J's per-layer L2 clipping is clipping by the global norm, as HF's Trainer does.
 */
public final class DpoNetworks {
    private DpoNetworks() {}

    public static MultiLayerNetwork build(TrainingModel.Spec spec, OptimizerSettings opt, int totalSteps) {
        return Networks.build(new DpoLoraLayerConf(spec), spec.dtype(), opt, totalSteps);
    }
}
