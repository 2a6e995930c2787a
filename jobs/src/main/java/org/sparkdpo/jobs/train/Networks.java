package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;

import java.util.List;

/**
 * The DL4J network ParameterAveragingTrainingMaster trains, for any objective: one output layer that evaluates the
 * whole objective ({@link DpoLoraLayerConf}, the SFT layer), the optimiser with its warmup/decay schedule, weight
 * decay and clipping. {@code miniBatch(false)}: the layer already returns the gradient of the mean loss. One layer
 * means DL4J's per-layer L2 clipping is clipping by the global norm, as HF's Trainer does.
 */
public final class Networks {
    private Networks() {}

    public static MultiLayerNetwork build(Layer layer, DataType dtype, OptimizerSettings opt, int totalSteps) {
        WarmupDecaySchedule schedule = new WarmupDecaySchedule(opt.lr(), opt.warmupSteps(), totalSteps, opt.decay());
        IUpdater updater = opt.optimizer().equals("sgd") ? new Sgd(schedule)
                : Adam.builder().learningRate(Double.NaN).learningRateSchedule(schedule)
                        .beta1(opt.adamBeta1()).beta2(opt.adamBeta2()).epsilon(opt.adamEpsilon()).build();
        List<Regularization> decay = opt.weightDecay() > 0 ? List.of(new WeightDecay(opt.weightDecay(), true)) : List.of();
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .dataType(dtype)
                .updater(updater)
                .regularization(decay)
                .miniBatch(false)
                .trainingWorkspaceMode(WorkspaceMode.NONE)
                .inferenceWorkspaceMode(WorkspaceMode.NONE)
                .gradientNormalization(opt.maxGradNorm() > 0 ? GradientNormalization.ClipL2PerLayer : GradientNormalization.None)
                .gradientNormalizationThreshold(opt.maxGradNorm() > 0 ? opt.maxGradNorm() : 1.0)
                .list()
                .layer(layer)
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }
}
