package org.sparkdpo.model.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Numerical gradient checks (central differences, float64) for every hand-written graph piece: a check that
 * fails if SameDiff's automatic differentiation of the piece is wrong (ND4J M2 had such bugs).
 */
class OpsGradientCheckTest {
    /** Builds f(x) from a variable named "x"; the checked scalar is sum(f(x) * w) with a fixed random w. */
    static void check(String what, INDArray x0, BiFunction<SameDiff, SDVariable, SDVariable> f) {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.var("x", x0.dup());
        SDVariable y = f.apply(sd, x);
        long[] shape = y.eval().shape();
        Nd4j.getRandom().setSeed(99);
        INDArray w = Nd4j.rand(DataType.DOUBLE, shape).subi(0.5);
        SDVariable loss = y.mul(sd.constant("w", w)).sum();
        sd.setLossVariables(loss);
        INDArray grad = sd.calculateGradients(Map.of(), "x").get("x");
        double h = 1e-6;
        int n = (int) x0.length();
        int checked = 0;
        for (int i = 0; i < n; i += Math.max(1, n / 40)) {
            INDArray plus = x0.dup(), minus = x0.dup();
            plus.reshape(-1).putScalar(i, plus.reshape(-1).getDouble(i) + h);
            minus.reshape(-1).putScalar(i, minus.reshape(-1).getDouble(i) - h);
            double fp = eval(f, plus, w), fm = eval(f, minus, w);
            double numeric = (fp - fm) / (2 * h);
            double analytic = grad.reshape(-1).getDouble(i);
            assertEquals(numeric, analytic, 1e-6 * Math.max(1.0, Math.abs(numeric)), what + " d/dx[" + i + "]");
            checked++;
        }
        assertTrue(checked > 5);
        assertTrue(grad.norm2Number().doubleValue() > 0, what + ": gradient must not vanish");
    }

    static double eval(BiFunction<SameDiff, SDVariable, SDVariable> f, INDArray x, INDArray w) {
        SameDiff sd = SameDiff.create();
        SDVariable y = f.apply(sd, sd.var("x", x));
        return y.mul(sd.constant("w", w)).sum().eval().getDouble(0);
    }

    static INDArray rand(long... shape) {
        Nd4j.getRandom().setSeed(1234);
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    @Test
    void layerNorm() {
        INDArray w = rand(8).addi(1), b = rand(8);
        check("layerNorm", rand(5, 8), (sd, x) -> Ops.layerNorm(sd, x, sd.constant(w), sd.constant(b), 1e-5));
    }

    @Test
    void layerNormWeightsAndBias() {
        INDArray x = rand(5, 8);
        check("layerNorm dW", rand(8), (sd, w) -> Ops.layerNorm(sd, sd.constant(x), w, sd.constant(Nd4j.zeros(DataType.DOUBLE, 8)), 1e-5));
    }

    @Test
    void rmsNorm() {
        INDArray w = rand(8).addi(1);
        check("rmsNorm", rand(5, 8), (sd, x) -> Ops.rmsNorm(sd, x, sd.constant(w), 1e-6));
    }

    @Test
    void geluNew() {
        check("gelu_new", rand(6, 7).muli(3), Ops::geluNew);
    }

    @Test
    void silu() {
        check("silu", rand(6, 7).muli(3), Ops::silu);
    }

    @Test
    void swiGluGateAndUp() {
        INDArray up = rand(6, 7).muli(2), gate = rand(6, 7).muli(3).addi(0.3);
        check("swiGlu d/dgate", gate, (sd, g) -> Ops.swiGlu(sd, g, sd.constant(up)));
        check("swiGlu d/dup", up, (sd, u) -> Ops.swiGlu(sd, sd.constant(gate), u));
    }

    /** RoPE application w.r.t. its input (what LoRA on q_proj/k_proj differentiates through), 3 heads of 4. */
    @Test
    void rotaryPositionEmbedding() {
        int n = 5, heads = 3, d = 4;
        float[] inv = Rope.inverseFrequencies(d, 10000.0, null);
        INDArray[] tables = Rope.tables(inv, 12, DataType.DOUBLE);
        INDArray pos = Nd4j.createFromArray(new long[]{0, 1, 2, 7, 11});
        INDArray rot = Rope.rotateHalfMatrix(d, DataType.DOUBLE);
        check("rotary", rand(n, heads * d), (sd, x) -> Ops.rotary(sd, x,
                sd.gather(sd.constant(tables[0]), sd.constant(pos), 0), sd.gather(sd.constant(tables[1]), sd.constant(pos), 0),
                sd.constant(rot), n, heads, d));
    }

    @Test
    void slidingWindowAttentionWithGroupedQueries() {
        int s = 2, t = 6, h = 4, kv = 2, d = 3, window = 3;
        INDArray k = rand(s * t, kv * d).muli(0.7), v = rand(s * t, kv * d);
        INDArray mask = Ops.causalMask(t, window, DataType.DOUBLE);
        check("windowed attention dq", rand(s * t, h * d), (sd, q) -> Ops.causalAttention(sd, q, sd.constant(k), sd.constant(v),
                s, t, h, kv, d, 1 / Math.sqrt(d), sd.constant(mask)));
        INDArray q = rand(s * t, h * d);
        check("windowed attention dv", v, (sd, vv) -> Ops.causalAttention(sd, sd.constant(q), sd.constant(k), vv,
                s, t, h, kv, d, 1 / Math.sqrt(d), sd.constant(mask)));
    }

    @Test
    void slidingWindowMaskCountsTheQueryItself() {
        INDArray m = Ops.causalMask(5, 2, DataType.DOUBLE);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                boolean visible = j == i || j == i - 1;                       // window 2: itself and one before
                assertEquals(visible, m.getDouble(i, j) == 0.0, "(" + i + "," + j + ")");
            }
        }
        assertEquals(Ops.causalMask(5, DataType.DOUBLE), Ops.causalMask(5, 5, DataType.DOUBLE), "window >= T is causal");
    }

    @Test
    void logSoftmax() {
        check("logSoftmax", rand(4, 11).muli(4), Ops::logSoftmaxRows);
    }

    @Test
    void logSigmoidIncludingZeroAndFarTails() {
        INDArray x = Nd4j.createFromArray(0.0, 1e-9, -1e-9, 3.0, -3.0, 50.0, -50.0, -79.0, -85.0, -200.0, 120.0, 0.5).reshape(12, 1);
        check("logSigmoid", x, Ops::logSigmoid);
        double[] v = eval2(x);
        for (int i = 0; i < v.length; i++) {
            double xi = x.getDouble(i);
            double exact = xi < 0 ? xi - Math.log1p(Math.exp(xi)) : -Math.log1p(Math.exp(-xi));
            assertEquals(exact, v[i], 1e-12 * Math.max(1, Math.abs(exact)), "logSigmoid(" + xi + ")");
        }
    }

    static double[] eval2(INDArray x) {
        SameDiff sd = SameDiff.create();
        return Ops.logSigmoid(sd, sd.var("x", x)).eval().reshape(-1).toDoubleVector();
    }

    @Test
    void causalAttentionQueriesKeysValues() {
        int s = 2, t = 5, h = 2, d = 3;
        INDArray k = rand(s * t, h * d).muli(0.7), v = rand(s * t, h * d).addi(0.1);
        INDArray mask = Ops.causalMask(t, DataType.DOUBLE);
        check("attention dq", rand(s * t, h * d), (sd, q) -> Ops.causalAttention(sd, q, sd.constant(k), sd.constant(v),
                s, t, h, h, d, 1 / Math.sqrt(d), sd.constant(mask)));
        INDArray q = rand(s * t, h * d);
        check("attention dk", k, (sd, kk) -> Ops.causalAttention(sd, sd.constant(q), kk, sd.constant(v),
                s, t, h, h, d, 1 / Math.sqrt(d), sd.constant(mask)));
        check("attention dv", v, (sd, vv) -> Ops.causalAttention(sd, sd.constant(q), sd.constant(k), vv,
                s, t, h, h, d, 1 / Math.sqrt(d), sd.constant(mask)));
    }

    @Test
    void groupedQueryAttentionKeysValues() {
        int s = 2, t = 4, h = 4, kv = 2, d = 3;
        INDArray q = rand(s * t, h * d), v = rand(s * t, kv * d);
        INDArray mask = Ops.causalMask(t, DataType.DOUBLE);
        check("gqa dk", rand(s * t, kv * d).muli(0.5), (sd, kk) -> Ops.causalAttention(sd, sd.constant(q), kk, sd.constant(v),
                s, t, h, kv, d, 1 / Math.sqrt(d), sd.constant(mask)));
    }

    @Test
    void attentionIsCausal() {
        int s = 1, t = 4, h = 1, d = 2;
        INDArray q = rand(t, d), k = rand(t, d), v = rand(t, d);
        SameDiff sd = SameDiff.create();
        INDArray out1 = Ops.causalAttention(sd, sd.constant(q), sd.constant(k), sd.constant(v), s, t, h, h, d, 1, sd.constant(Ops.causalMask(t, DataType.DOUBLE))).eval();
        INDArray v2 = v.dup();
        v2.putRow(3, Nd4j.createFromArray(100.0, -100.0));
        SameDiff sd2 = SameDiff.create();
        INDArray out2 = Ops.causalAttention(sd2, sd2.constant(q), sd2.constant(k), sd2.constant(v2), s, t, h, h, d, 1, sd2.constant(Ops.causalMask(t, DataType.DOUBLE))).eval();
        for (int i = 0; i < 3; i++) assertEquals(out1.getRow(i), out2.getRow(i), "row " + i + " must not see a later value");
    }
}
