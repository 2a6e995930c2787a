package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

/**
 * Builds the DL4J network that ParameterAveragingTrainingMaster trains: one {@link DpoLoraLayerConf} whose only
 * parameters are the LoRA matrices. {@code miniBatch(false)}: the layer already returns the gradient of the
 * mean loss. One layer means DL4J's per-layer L2 clipping is clipping by the global norm, as HF's Trainer does.
 */
public final class DpoNetworks {
    private DpoNetworks() {}

    public static MultiLayerNetwork build(TrainingModel.Spec spec, OptimizerSettings opt, int totalSteps) {
        WarmupDecaySchedule schedule = new WarmupDecaySchedule(opt.lr(), opt.warmupSteps(), totalSteps, opt.decay());
        IUpdater updater = opt.optimizer().equals("sgd") ? new Sgd(schedule)
                : Adam.builder().learningRate(Double.NaN).learningRateSchedule(schedule)
                        .beta1(opt.adamBeta1()).beta2(opt.adamBeta2()).epsilon(opt.adamEpsilon()).build();
        List<Regularization> decay = opt.weightDecay() > 0 ? List.of(new WeightDecay(opt.weightDecay(), true)) : List.of();
        DpoLoraLayerConf layer = new DpoLoraLayerConf(spec);
        NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
                .dataType(spec.dtype())
                .updater(updater)
                .regularization(decay)
                .miniBatch(false)
                .trainingWorkspaceMode(WorkspaceMode.NONE)
                .inferenceWorkspaceMode(WorkspaceMode.NONE)
                .gradientNormalization(opt.maxGradNorm() > 0 ? GradientNormalization.ClipL2PerLayer : GradientNormalization.None)
                .gradientNormalizationThreshold(opt.maxGradNorm() > 0 ? opt.maxGradNorm() : 1.0)
                .list()
                .layer(layer);
        MultiLayerConfiguration conf = b.build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
