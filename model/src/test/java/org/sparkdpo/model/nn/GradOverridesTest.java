package org.sparkdpo.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link AddBias} and {@link Softmax} replace ND4J's {@code biasadd_bp} and {@code softmax_bp} in gradient functions
 * (a subclass alone would be silently swapped back: see {@link MatMul}), and their gradients match central finite
 * differences, for a trainable bias as well as a constant one. The pieces that use them (layer norm, linear maps,
 * attention) have their own checks in {@code OpsGradientCheckTest} and the oracle tests.
 */
class GradOverridesTest {
    @Test
    void biasAddPassesTheGradientThroughAndSumsRowsForATrainableBias() {
        for (boolean trainableBias : new boolean[] {true, false}) {
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.var("x", rand(5, 3));
            SDVariable b = trainableBias ? sd.var("b", rand(3)) : sd.constant("b", rand(3));
            SDVariable y = AddBias.of(sd, x, b);
            y.mul(y).mul(sd.constant(rand(5, 3))).sum().markAsLoss();
            GradFunctions.ensure(sd);
            List<String> ops = gradientOps(sd);
            assertFalse(ops.contains("biasadd_bp"), "gradient ops: " + ops);
            assertFalse(ops.contains("add_bp"), "gradient ops: " + ops);
            MatMulGradientTest.checkAgainstFiniteDifferences(sd, trainableBias ? new String[] {"x", "b"} : new String[] {"x"});
        }
    }

    @Test
    void softmaxGradientIsWrittenFromTheOutput() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", rand(2, 3, 4, 5));
        SDVariable p = Softmax.of(sd, x, 3);
        p.mul(sd.constant(rand(2, 3, 4, 5))).sum().markAsLoss();
        GradFunctions.ensure(sd);
        List<String> ops = gradientOps(sd);
        assertFalse(ops.contains("softmax_bp"), "gradient ops: " + ops);
        MatMulGradientTest.checkAgainstFiniteDifferences(sd, "x");
        INDArray rows = p.eval().sum(3);
        assertEquals(0, rows.sub(1.0).amaxNumber().doubleValue(), 1e-12, "rows sum to one");
    }

    private static List<String> gradientOps(SameDiff sd) {
        return sd.getFunction("grad").getOps().values().stream().map(o -> o.getOp().opName()).toList();
    }

    private static INDArray rand(long... shape) {
        return Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
    }
}
