package org.sparkdpo.jobs.train;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.LinearModule;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraBindings;
import org.sparkdpo.model.lora.LoraConfig;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LoRA matrices as plain arrays, small enough to broadcast to executors for evaluation, keyed by the objective's
 * variable names ({@link LoraBindings#varName}); values are float64 so no precision is lost in transit.
 */
public record LoraWeights(Map<String, double[]> values, Map<String, long[]> shapes) implements Serializable {

    public static LoraWeights of(LoraAdapter adapter) {
        Map<String, double[]> v = new LinkedHashMap<>();
        Map<String, long[]> s = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : adapter.pairs()) {
            put(v, s, LoraBindings.varName(p.module().path(), 'A'), p.a());
            put(v, s, LoraBindings.varName(p.module().path(), 'B'), p.b());
        }
        return new LoraWeights(v, s);
    }

    /** The current LoRA parameters of a training network. */
    public static LoraWeights of(MultiLayerNetwork net) {
        return of(adapterOf(net));
    }

    /** A training network's LoRA parameters as a PEFT adapter (copies). */
    public static LoraAdapter adapterOf(MultiLayerNetwork net) {
        DpoLoraLayer layer = (DpoLoraLayer) net.getLayer(0);
        TrainingModel m = TrainingModel.of(layer.layerConf().spec());
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (LinearModule mod : m.modules()) {
            pairs.add(new LoraAdapter.Pair(mod, layer.getParam(DpoLoraLayerConf.paramKey(mod.path(), 'A')).dup(),
                    layer.getParam(DpoLoraLayerConf.paramKey(mod.path(), 'B')).dup()));
        }
        return new LoraAdapter(m.lora(), pairs);
    }

    private static void put(Map<String, double[]> v, Map<String, long[]> s, String key, INDArray a) {
        v.put(key, a.castTo(DataType.DOUBLE).dup('c').data().asDouble());
        s.put(key, a.shape());
    }

    /** The arrays in {@code dtype}, for {@link org.sparkdpo.model.dpo.DpoObjective#run}. */
    public Map<String, INDArray> arrays(DataType dtype) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, Nd4j.create(v, shapes.get(k), DataType.DOUBLE).castTo(dtype)));
        return out;
    }

    /** An all-zero-B adapter on one module: scores exactly like the base model (for evaluating no adapter). */
    public static LoraAdapter identity(org.sparkdpo.model.arch.CausalLm model, DataType dtype) {
        LinearModule first = model.linearModules().get(0);
        LoraConfig cfg = new LoraConfig(1, 1, 0, List.of(first.path()), false, false, null);
        return new LoraAdapter(cfg, List.of(new LoraAdapter.Pair(first, Nd4j.zeros(dtype, 1, first.in()), Nd4j.zeros(dtype, first.out(), 1))));
    }
}
