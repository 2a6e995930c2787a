package org.sparkdpo.model.lora;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Inverted-dropout masks for LoRA inputs, drawn from a seeded generator on the Java side so a training step is
 * reproducible from (seed, step) alone — which is what makes resumed runs identical to uninterrupted ones.
 */
public final class LoraDropout {
    private LoraDropout() {}

    /** Masks of 0 or 1/(1-p) for every adapted module, for a batch of {@code rows} token rows (p = 0: all ones). */
    public static Map<String, INDArray> masks(java.util.List<org.sparkdpo.model.arch.LinearModule> modules, double p, int rows, long seed, DataType dtype) {
        SplittableRandom rng = new SplittableRandom(seed);
        double keep = 1.0 / (1.0 - p);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (org.sparkdpo.model.arch.LinearModule module : modules) {
            int in = module.in();
            double[] m = new double[rows * in];
            for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < p ? 0.0 : keep;
            out.put(LoraBindings.dropoutMaskName(module.path()), Nd4j.create(m, new long[]{rows, in}, DataType.DOUBLE).castTo(dtype));
        }
        return out;
    }
}
