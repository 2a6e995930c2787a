package org.sparkdpo.model.arch;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.Map;

/**
 * The frozen weights of one checkpoint in the compute dtype, under canonical names. Held once per JVM
 * (see {@link ModelStore}) and referenced, never copied, by every graph built on this JVM.
 *
 * @param dir         the checkpoint folder
 * @param model       the architecture
 * @param dtype       compute dtype of every tensor
 * @param tensors     canonical name to tensor (read-only by convention)
 * @param fingerprint hex SHA-256 over config.json and the weight files
 */
public record BaseWeights(Path dir, CausalLm model, DataType dtype, Map<String, INDArray> tensors, String fingerprint) {
    /** The tensor with this canonical name; a clear error if the checkpoint lacks it. */
    public INDArray get(String name) {
        INDArray a = tensors.get(name);
        if (a == null) throw new IllegalArgumentException("checkpoint " + dir + " has no weight '" + name + "'");
        return a;
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** Total number of weights (elements), for reports. */
    public long numWeights() {
        return tensors.values().stream().mapToLong(INDArray::length).sum();
    }
}
