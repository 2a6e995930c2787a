package org.sparkdpo.model.sft;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.TestWeights;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelGraph;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Numerical gradient check (central differences, float64) of the differentiable embedding lookup that full-parameter
 * training uses ({@link ModelGraph#rowsOf} on a trainable weight), with a repeated id (its rows' gradients must add
 * up) and rows that are never looked up (zero gradient).
 */
class EmbeddingLookupGradientTest {
    private static final String W = "transformer.wpe.weight";
    private static final long[] IDS = {0, 5, 5, 127, 3};

    @Test
    void lookupGradientMatchesCentralDifferences() {
        BaseWeights base = TestWeights.get(TestFixtures.tinyGpt2(), DataType.DOUBLE);
        SameDiff sd = SameDiff.create();
        ModelGraph g = ModelGraph.fullTraining(sd, base);
        SDVariable weight = g.weight(W);
        SDVariable rows = g.rowsOf(weight, sd.constant("ids", Nd4j.createFromArray(IDS)));
        Nd4j.getRandom().setSeed(7);
        INDArray probe = Nd4j.rand(DataType.DOUBLE, IDS.length, 32).subi(0.5);
        SDVariable loss = sd.math.tanh(rows).mul(sd.constant("probe", probe)).sum();       // non-linear in the rows
        sd.setLossVariables(loss);
        INDArray w0 = base.get(W).dup();
        sd.associateArrayWithVariable(w0.dup(), weight);
        INDArray grad = sd.calculateGradients(Map.of(), W).get(W);
        assertEquals(0.0, grad.getRow(1).norm2Number().doubleValue(), 0.0, "a row never looked up has no gradient");
        double h = 1e-6;
        int checked = 0;
        for (long row : new long[]{0, 5, 127, 3, 9}) {
            for (int col = 0; col < 32; col += 7) {
                INDArray plus = w0.dup(), minus = w0.dup();
                plus.putScalar(row, col, w0.getDouble(row, col) + h);
                minus.putScalar(row, col, w0.getDouble(row, col) - h);
                sd.associateArrayWithVariable(plus, weight);
                double fp = loss.eval().getDouble(0);
                sd.associateArrayWithVariable(minus, weight);
                double fm = loss.eval().getDouble(0);
                double numeric = (fp - fm) / (2 * h);
                assertEquals(numeric, grad.getDouble(row, col), 1e-7 * Math.max(1, Math.abs(numeric)), "d/dW[" + row + "," + col + "]");
                checked++;
            }
        }
        assertTrue(checked >= 25);
        assertTrue(grad.getRow(5).norm2Number().doubleValue() > grad.getRow(0).norm2Number().doubleValue() * 0.1);
    }
}
