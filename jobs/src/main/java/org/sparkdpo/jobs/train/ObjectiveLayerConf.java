package org.sparkdpo.jobs.train;

import java.util.Collection;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffOutputLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the DL4J configurations of the training objectives (DPO, SFT) share: the one output layer of the network,
 * which carries the path of the model (never its weights: every JVM loads them once), the compute dtype, the LoRA
 * settings, the seeds and the micro-batch count, and builds its own graphs instead of DL4J's {@code defineLayer}.
 *
 * <p>Serialised by DL4J's (shaded) Jackson, hence the plain getters/setters (in subclasses too).
 */
public abstract class ObjectiveLayerConf extends SameDiffOutputLayer {
    protected String modelDir;
    protected String computeDtype = "float32";
    protected String loraJson;
    protected long loraSeed = 42;
    protected long dropoutSeed = 1234;
    protected int microBatches = 1;

    /** The runtime layer this configuration makes. */
    protected abstract ObjectiveLayer<?> newLayer(NeuralNetConfiguration conf, DataType networkDataType);

    /** Width of the layer's (unused) activations: what DL4J's shape inference sees. */
    protected abstract int outputWidth();

    @Override
    public SDVariable defineLayer(SameDiff sameDiff, SDVariable layerInput, SDVariable labels, Map<String, SDVariable> paramTable) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " builds its own graphs (see its layer)");
    }

    @Override
    public String activationsVertexName() {
        return "input";
    }

    @Override
    public InputType getOutputType(int layerIndex, InputType inputType) {
        return InputType.feedForward(outputWidth());
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        ObjectiveLayer<?> layer = newLayer(conf, networkDataType);
        layer.setIndex(layerIndex);
        layer.setParamsViewArray(layerParamsView);
        layer.setParamTable(initializer().init(conf, layerParamsView, initializeParams));
        layer.setConf(conf);
        return layer;
    }

    public String getModelDir() { return modelDir; }
    public void setModelDir(String modelDir) { this.modelDir = modelDir; }
    public String getComputeDtype() { return computeDtype; }
    public void setComputeDtype(String computeDtype) { this.computeDtype = computeDtype; }
    public String getLoraJson() { return loraJson; }
    public void setLoraJson(String loraJson) { this.loraJson = loraJson; }
    public long getLoraSeed() { return loraSeed; }
    public void setLoraSeed(long loraSeed) { this.loraSeed = loraSeed; }
    public long getDropoutSeed() { return dropoutSeed; }
    public void setDropoutSeed(long dropoutSeed) { this.dropoutSeed = dropoutSeed; }
    public int getMicroBatches() { return microBatches; }
    public void setMicroBatches(int microBatches) { this.microBatches = microBatches; }
}
