package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the training tests. */
final class TestSupport {
    private TestSupport() {}

    /** The network's LoRA parameters keyed by the objective's variable names. */
    static Map<String, INDArray> loraArrays(MultiLayerNetwork net) {
        DpoLoraLayer layer = (DpoLoraLayer) net.getLayer(0);
        TrainingModel m = TrainingModel.of(layer.layerConf().spec());
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (var mod : m.modules()) {
            for (char w : new char[]{'A', 'B'}) {
                out.put(org.sparkdpo.model.lora.LoraBindings.varName(mod.path(), w),
                        layer.getParam(DpoLoraLayerConf.paramKey(mod.path(), w)).dup());
            }
        }
        return out;
    }
}
