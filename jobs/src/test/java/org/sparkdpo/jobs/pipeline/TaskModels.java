package org.sparkdpo.jobs.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.lora.LoraConfig;

/** Test models: the synthetic task's scratch GPT-2 and adapters with random (non-zero) B matrices. */
public final class TaskModels {
    private TaskModels() {}

    /** A scratch GPT-2 for the task in {@code dir} (seed 7). */
    public static Path scratch(Path dir) throws IOException {
        return ScratchModel.create(dir, ScratchModel.Shape.SMALL, 7);
    }

    /** A saved adapter on every linear layer whose B matrices are random, so it changes the model's outputs. */
    public static Path randomAdapter(BaseWeights base, Path dir, long seed, double scale) throws IOException {
        LoraConfig cfg = new LoraConfig(4, 8, 0, List.of("all-linear"), false, false, null);
        LoraAdapter init = LoraAdapter.init(cfg, base.model(), seed, DataType.FLOAT);
        Random rng = new Random(seed);
        List<LoraAdapter.Pair> pairs = new ArrayList<>();
        for (LoraAdapter.Pair p : init.pairs()) {
            long[] shape = p.b().shape();
            float[] b = new float[(int) (shape[0] * shape[1])];
            for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextGaussian() * scale);
            pairs.add(new LoraAdapter.Pair(p.module(), p.a(), Nd4j.create(b, shape, DataType.FLOAT)));
        }
        new LoraAdapter(cfg, pairs).save(dir);
        return dir;
    }
}
