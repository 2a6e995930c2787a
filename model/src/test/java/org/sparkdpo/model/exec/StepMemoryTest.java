package org.sparkdpo.model.exec;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.nn.WorkspaceSessions;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The memory a training step holds does not grow with the number of steps (the per-thread workspace is reused,
 * not extended, from the second step on), and the checkpointed path holds a fraction of the one-graph path's
 * memory when the vocabulary projection dominates (the tiny GPT-2 has width 32 and a 50,257-token vocabulary).
 */
class StepMemoryTest {
    private static final int STEPS = 6;

    @Test
    void workspaceStopsGrowingAfterTheFirstStepsAndTheCheckpointedPathNeedsLess() throws Exception {
        BaseWeights base = org.sparkdpo.model.TestWeights.get(TestFixtures.tinyGpt2(), DataType.FLOAT);
        LoraAdapter adapter = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"), base.model(), DataType.FLOAT);
        long plain = stableWorkspaceBytes(base, adapter, DpoObjective.Activations.ONE_GRAPH);
        long ckpt = stableWorkspaceBytes(base, adapter, DpoObjective.Activations.RECOMPUTED);
        stableWorkspaceBytes(base, adapter, DpoObjective.Activations.KEPT);
        assertTrue(ckpt * 3 < plain, "checkpointed step holds " + ckpt + " bytes, one-graph step " + plain);
    }

    /** Runs {@link #STEPS} steps of one batch shape on a fresh thread; returns the workspace size they settle at. */
    private static long stableWorkspaceBytes(BaseWeights base, LoraAdapter adapter,
                                             DpoObjective.Activations activations) throws Exception {
        long[] sizes = new long[STEPS];
        Thread worker = new Thread(() -> {
            DpoObjective obj = new DpoObjective(base, adapter.config(),
                    adapter.pairs().stream().map(LoraAdapter.Pair::module).toList(),
                    DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), activations, 64);
            Random rng = new Random(1);
            for (int s = 0; s < STEPS; s++) {
                DpoObjective.Result r = obj.run(pairs(rng), PlainPathComparison.arrays(adapter), true, s, 0);
                r.gradients().values().forEach(INDArray::close);
                sizes[s] = WorkspaceSessions.currentThreadBytes();
            }
        });
        worker.start();
        worker.join();
        assertTrue(sizes[1] > 0, "the step ran in the workspace");
        for (int s = 2; s < STEPS; s++) {
            assertEquals(sizes[1], sizes[s], "workspace after step " + (s + 1) + " (" + activations
                    + "): " + java.util.Arrays.toString(sizes));
        }
        return sizes[1];
    }

    /** 4 pairs of 8 + 40 random tokens: 320 scored rows, 5 head chunks of 64. */
    private static List<PreferencePair> pairs(Random rng) {
        List<PreferencePair> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(new PreferencePair("p" + i, ids(rng, 8), ids(rng, 40), ids(rng, 40), -400, -401));
        }
        return out;
    }

    private static int[] ids(Random rng, int n) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextInt(50256);
        return v;
    }
}
