package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.lora.LoraAdapter;

import java.util.Map;

/**
 * DL4J configuration of the DPO output layer: a whole frozen causal LM plus LoRA, of which only the LoRA
 * matrices are DL4J parameters. The frozen weights are not part of the configuration or the parameter vector:
 * every JVM loads them once from {@code modelDir} (see {@link TrainingModel}), so parameter averaging
 * broadcasts and averages only LoRA matrices and their updater state.
 *
 * <p>Serialised by DL4J's (shaded) Jackson, hence the no-arg constructor and plain getters/setters.
 */
public class DpoLoraLayerConf extends ObjectiveLayerConf {
    private String dpoJson;
    private String initAdapterDir;
    private boolean gradientCheckpointing;

    public DpoLoraLayerConf() {
        // for Jackson
    }

    public DpoLoraLayerConf(TrainingModel.Spec spec) {
        this.modelDir = spec.modelDir();
        this.computeDtype = spec.dtypeName();
        this.loraJson = spec.loraJson();
        this.dpoJson = spec.dpoJson();
        this.initAdapterDir = spec.initAdapterDir();
        this.loraSeed = spec.loraSeed();
        this.dropoutSeed = spec.dropoutSeed();
        this.microBatches = spec.microBatches();
        this.gradientCheckpointing = spec.gradientCheckpointing();
    }

    /** The spec this configuration carries. */
    public TrainingModel.Spec spec() {
        return new TrainingModel.Spec(modelDir, computeDtype, loraJson, dpoJson, initAdapterDir, loraSeed, dropoutSeed, microBatches,
                gradientCheckpointing);
    }

    /** DL4J parameter key of a module's matrix; DL4J splits keys at '_' so underscores become dashes. */
    public static String paramKey(String modulePath, char which) {
        return modulePath.replace('_', '-') + "." + which;
    }

    @Override
    public void defineParameters(SDLayerParams params) {
        TrainingModel model = TrainingModel.of(spec());
        for (LinearModule m : model.modules()) {
            params.addWeightParam(paramKey(m.path(), 'A'), model.lora().r(), m.in());
            params.addWeightParam(paramKey(m.path(), 'B'), m.out(), model.lora().r());
        }
    }

    /** Runs on the driver only: from the --adapter-init adapter, or PEFT's initialisation (A uniform, B zero). */
    @Override
    public void initializeParameters(Map<String, INDArray> params) {
        LoraAdapter init = TrainingModel.of(spec()).initialAdapter();
        for (LoraAdapter.Pair p : init.pairs()) {
            params.get(paramKey(p.module().path(), 'A')).assign(p.a());
            params.get(paramKey(p.module().path(), 'B')).assign(p.b());
        }
    }

    public String getDpoJson() { return dpoJson; }
    public void setDpoJson(String dpoJson) { this.dpoJson = dpoJson; }
    public String getInitAdapterDir() { return initAdapterDir; }
    public void setInitAdapterDir(String initAdapterDir) { this.initAdapterDir = initAdapterDir; }
    public boolean isGradientCheckpointing() { return gradientCheckpointing; }
    public void setGradientCheckpointing(boolean gradientCheckpointing) { this.gradientCheckpointing = gradientCheckpointing; }

    @Override
    protected ObjectiveLayer<?> newLayer(NeuralNetConfiguration conf, DataType networkDataType) {
        return new DpoLoraLayer(conf, networkDataType);
    }

    @Override
    protected int outputWidth() {
        return 2;
    }
}
