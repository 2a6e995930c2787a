package org.sparkdpo.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MatMul}'s backward, installed by {@link GradOverrides}: SameDiff's gradient function must use it (no
 * {@code matmul_bp}), and its gradients must match central finite differences for every transpose combination, for
 * rank 2 and batched rank 4, with a constant operand and with two trainable ones.
 */
class MatMulGradientTest {
    private static final double EPS = 1e-6;

    @Test
    void gradientFunctionUsesPlainMatmulsAndSkipsConstants() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", Nd4j.rand(DataType.DOUBLE, 4, 3));
        SDVariable w = sd.constant("w", Nd4j.rand(DataType.DOUBLE, 5, 3));
        SDVariable y = MatMul.of(sd, x, w, true);
        y.mul(y).sum().markAsLoss();
        GradFunctions.ensure(sd);
        List<String> ops = sd.getFunction("grad").getOps().values().stream().map(o -> o.getOp().opName()).toList();
        assertFalse(ops.contains("matmul_bp"), "gradient ops: " + ops);
        assertTrue(ops.stream().filter("matmul"::equals).count() >= 2, "gradient ops: " + ops);
        checkAgainstFiniteDifferences(sd, "x");
    }

    @Test
    void everyTransposeCombinationMatchesFiniteDifferences() {
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) {
                SameDiff sd = SameDiff.create();
                SDVariable a = sd.var("a", Nd4j.rand(DataType.DOUBLE, ta ? new long[]{3, 4} : new long[]{4, 3}));
                SDVariable b = sd.var("b", Nd4j.rand(DataType.DOUBLE, tb ? new long[]{5, 3} : new long[]{3, 5}));
                SDVariable y = MatMul.of(sd, a, b, ta, tb);
                y.mul(y).sum().markAsLoss();
                GradFunctions.ensure(sd);
                checkAgainstFiniteDifferences(sd, "a", "b");
            }
        }
    }

    @Test
    void batchedRankFourLikeAttentionMatchesFiniteDifferences() {
        SameDiff sd = SameDiff.create();
        SDVariable q = sd.var("q", Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 5));
        SDVariable k = sd.var("k", Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 5));
        SDVariable v = sd.var("v", Nd4j.rand(DataType.DOUBLE, 2, 3, 4, 5));
        SDVariable scores = MatMul.of(sd, q, k, false, true);                 // [2, 3, 4, 4]
        SDVariable out = MatMul.of(sd, sd.nn.softmax(scores, 3), v, false, false);
        out.mul(out).sum().markAsLoss();
        GradFunctions.ensure(sd);
        checkAgainstFiniteDifferences(sd, "q", "k", "v");
    }

    /** Every element of each variable's gradient against central differences of sd's (first) loss. */
    static void checkAgainstFiniteDifferences(SameDiff sd, String... vars) {
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), vars);
        String loss = sd.getLossVariables().get(0);
        for (String name : vars) {
            INDArray p = sd.getVariable(name).getArr();
            INDArray g = grads.get(name);
            assertTrue(g.norm2Number().doubleValue() > 0, name + ": the gradient must not vanish");
            for (long i = 0; i < p.length(); i++) {
                double orig = p.getDouble(i);
                p.putScalar(i, orig + EPS);
                double up = sd.output(Map.of(), loss).get(loss).getDouble(0);
                p.putScalar(i, orig - EPS);
                double down = sd.output(Map.of(), loss).get(loss).getDouble(0);
                p.putScalar(i, orig);
                double numeric = (up - down) / (2 * EPS);
                assertEquals(numeric, g.getDouble(i), 1e-6 * Math.max(1, Math.abs(numeric)), name + "[" + i + "]");
            }
        }
    }
}
