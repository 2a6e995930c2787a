package org.sparkdpo.jobs.sft;

import org.sparkdpo.jobs.train.ObjectiveLayerConf;
import org.sparkdpo.jobs.train.ObjectiveLayer;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J configuration of the SFT output layer: a causal LM whose trainable tensors are DL4J parameters, either every
 * weight (full-parameter: parameter averaging broadcasts and averages the whole model) or only the LoRA matrices
 * (the frozen base stays a per-JVM constant, as in {@code train}). Rank-1 tensors are stored as [1, n].
 * Serialised by DL4J's (shaded) Jackson, hence the no-arg constructor and plain getters/setters.
 */
public class SftLayerConf extends ObjectiveLayerConf {
    private boolean full;
    private String initDir;
    private boolean completionOnly = true;

    public SftLayerConf() {
        // for Jackson
    }

    public SftLayerConf(SftModel.Spec s) {
        this.modelDir = s.modelDir();
        this.computeDtype = s.dtypeName();
        this.full = s.full();
        this.loraJson = s.loraJson();
        this.initDir = s.initDir();
        this.loraSeed = s.loraSeed();
        this.dropoutSeed = s.dropoutSeed();
        this.microBatches = s.microBatches();
        this.completionOnly = s.completionOnly();
    }

    public SftModel.Spec spec() {
        return new SftModel.Spec(modelDir, computeDtype, full, loraJson, initDir, loraSeed, dropoutSeed, microBatches, completionOnly);
    }

    /** The DL4J shape of a tensor: rank-1 tensors as [1, n]. */
    static long[] paramShape(long[] shape) {
        return shape.length == 1 ? new long[]{1, shape[0]} : shape;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        for (SftModel.Trainable t : SftModel.of(spec()).trainables()) params.addWeightParam(t.paramKey(), paramShape(t.shape()));
    }

    /** Runs on the driver only: the base weights, a checkpoint's, an --adapter-init adapter or a fresh adapter. */
    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        SftModel m = SftModel.of(spec());
        Map<String, INDArray> init = m.initialValues();
        for (SftModel.Trainable t : m.trainables()) {
            INDArray v = init.get(t.varName());
            if (v == null) throw new IllegalStateException("no initial value for " + t.varName());
            params.get(t.paramKey()).assign(v.reshape(paramShape(t.shape())));
        }
    }

    public boolean isFull() { return full; }
    public void setFull(boolean full) { this.full = full; }
    public String getInitDir() { return initDir; }
    public void setInitDir(String initDir) { this.initDir = initDir; }
    public boolean isCompletionOnly() { return completionOnly; }
    public void setCompletionOnly(boolean completionOnly) { this.completionOnly = completionOnly; }

    @Override
    protected ObjectiveLayer<?> newLayer(NeuralNetConfiguration conf, DataType networkDataType) {
        return new SftLayer(conf, networkDataType);
    }

    @Override
    protected int outputWidth() {
        return 1;
    }
}
