package org.sparkdpo.model.nn;

import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The graph pieces every architecture is made of, written out from elementary SameDiff ops.
 *
 * <p>Written by hand rather than taken from {@code sd.nn} because several built-in ops are broken in
 * ND4J 1.0.0-M2.1 (log-softmax and logSumExp fail while differentiating; log-sigmoid's gradient is
 * 0/0 for large negative inputs). Each piece has a numerical gradient check in the tests.
 */
public final class Ops {
    private Ops() {}

    /**
     * Layer norm over the last axis of {@code x} [N, E]: (x - mean) / sqrt(biased var + eps) * w + b.
     *
     * <p>The per-row factor and w are spread to [N, E] by outer products ({@link #acrossColumns},
     * {@link #downRows}) before they multiply, and b is added by {@link AddBias}: ND4J M2.1's {@code multiply_bp}
     * and {@code add_bp} with a broadcast operand reduce its gradient at ~1 GB/s (21-25 ms on [2048, 768] or
     * [2048, 3072] on this project's machine, a constant's gradient included), against under 1 ms for the
     * same-shape ops and the outer products.
     */
    public static SDVariable layerNorm(SameDiff sd, SDVariable x, SDVariable w, SDVariable b, double eps) {
        long e = w.getShape()[0];
        SDVariable mean = x.mean(true, 1);
        SDVariable centred = x.sub(mean);                         // subtract_bp with a [N, 1] operand is fast
        SDVariable var = centred.mul(centred).mean(true, 1);
        SDVariable normed = centred.mul(acrossColumns(sd, sd.math.rsqrt(var.add(eps)), e));
        return AddBias.of(sd, normed.mul(downRows(sd, onesColumn(sd, x), w)), b);
    }

    /** RMS norm over the last axis of {@code x} [N, E]: x / sqrt(mean(x^2) + eps) * w (broadcasts as layerNorm). */
    public static SDVariable rmsNorm(SameDiff sd, SDVariable x, SDVariable w, double eps) {
        long e = w.getShape()[0];
        SDVariable ms = x.mul(x).mean(true, 1);
        return x.mul(acrossColumns(sd, sd.math.rsqrt(ms.add(eps)), e)).mul(downRows(sd, onesColumn(sd, x), w));
    }

    /**
     * Ones [N, 1] with the row count of {@code x} [N, ...], made from x's shape (an integer path, so no gradient
     * flows back into x through it).
     */
    public static SDVariable onesColumn(SameDiff sd, SDVariable x) {
        SDVariable rows = x.shape().get(SDIndex.interval(0, 1));
        return sd.fill(sd.concat(0, rows, sd.constant(Nd4j.createFromArray(1L))), x.dataType(), 1.0);
    }

    /** v [N, 1] repeated across {@code columns} columns: v . ones[1, columns], an exact [N, columns] copy. */
    public static SDVariable acrossColumns(SameDiff sd, SDVariable v, long columns) {
        return MatMul.of(sd, v, sd.constant(Nd4j.ones(v.dataType(), 1, columns)), false);
    }

    /** w [E] repeated down the rows of {@code onesColumn} [N, 1]: ones . w[1, E], an exact [N, E] copy. */
    public static SDVariable downRows(SameDiff sd, SDVariable onesColumn, SDVariable w) {
        return MatMul.of(sd, onesColumn, w.reshape(1, w.getShape()[0]), false);
    }

    /**
     * GPT-2's tanh approximation of GELU ({@code gelu_new}): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
     * computed as the identical x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) (0.5 (1 + tanh z) = sigmoid(2z)):
     * ND4J M2.1's sigmoid and its gradient take about half the time of tanh's (8 + 13 ms against 15 + 23 ms on
     * [2048, 3072]), and the form needs fewer passes.
     */
    public static SDVariable geluNew(SameDiff sd, SDVariable x) {
        double c2 = 2.0 * Math.sqrt(2.0 / Math.PI);
        SDVariable inner = x.mul(x.mul(x).mul(c2 * 0.044715).add(c2));          // 2c (x + 0.044715 x^3)
        return x.mul(sd.nn.sigmoid(inner));
    }

    /** SiLU (swish): x * sigmoid(x), the gate activation of Llama-family MLPs. */
    public static SDVariable silu(SameDiff sd, SDVariable x) {
        return x.mul(sd.nn.sigmoid(x));
    }

    /** SwiGLU, the Llama-family MLP activation: silu(gate) * up, elementwise. */
    public static SDVariable swiGlu(SameDiff sd, SDVariable gate, SDVariable up) {
        return silu(sd, gate).mul(up);
    }

    /**
     * Rotary position embedding with Hugging Face's non-interleaved convention, x cos + rotate_half(x) sin per head.
     *
     * @param x          [N, H*D] (heads side by side, as a projection's output)
     * @param cos        [N, D] the cos row of each row's position (see {@link Rope#tables})
     * @param sin        [N, D]
     * @param rotateHalf the constant [D, D] of {@link Rope#rotateHalfMatrix}
     * @return [N, H*D]
     */
    public static SDVariable rotary(SameDiff sd, SDVariable x, SDVariable cos, SDVariable sin, SDVariable rotateHalf,
                                    long n, int heads, int headDim) {
        SDVariable perHead = x.reshape(n, heads, headDim);
        SDVariable rotated = sd.mmul(x.reshape(n * heads, headDim), rotateHalf).reshape(n, heads, headDim);
        SDVariable c = cos.reshape(n, 1, headDim);
        SDVariable s = sin.reshape(n, 1, headDim);
        return perHead.mul(c).add(rotated.mul(s)).reshape(n, (long) heads * headDim);
    }

    /**
     * Softmax along the last axis: ND4J's fused {@code softmax} (exp(x - max) / sum in one pass) with this
     * project's backward pass ({@link Softmax}), which keeps fewer arrays for the backward than the composed form
     * (max, shifted, exp, sum, quotient) and makes fewer passes over [S, H, T, T].
     */
    public static SDVariable softmaxLastAxis(SameDiff sd, SDVariable x, int lastAxis) {
        return Softmax.of(sd, x, lastAxis);
    }

    /** log-sum-exp along axis 1 of {@code x} [N, V], kept as [N, 1]: max + log(sum(exp(x - max))). */
    public static SDVariable logSumExpRows(SameDiff sd, SDVariable x) {
        SDVariable max = x.max(true, 1);
        return sd.math.log(sd.math.exp(x.sub(max)).sum(true, 1)).add(max);
    }

    /** Log-softmax along axis 1 of {@code x} [N, V]. */
    public static SDVariable logSoftmaxRows(SameDiff sd, SDVariable x) {
        return x.sub(logSumExpRows(sd, x));
    }

    /**
     * log(sigmoid(x)), accurate and with the right gradient everywhere: -log1p(exp(-x)) for x >= -80 and x
     * beyond that (where the two agree to e^-80), so exp never overflows, even in float32.
     */
    public static SDVariable logSigmoid(SameDiff sd, SDVariable x) {
        SDVariable clamped = sd.scalarMax(x, -80.0);
        SDVariable tail = sd.scalarMin(x.add(80.0), 0.0);
        return sd.math.log1p(sd.math.exp(clamped.neg())).neg().add(tail);
    }

    /** A [T, T] additive causal mask: 0 where key position <= query position, a large negative number above. */
    public static INDArray causalMask(int t, DataType dtype) {
        return causalMask(t, 0, dtype);
    }

    /**
     * A [T, T] additive causal mask with a sliding window: query i sees key j iff j <= i and, when {@code window}
     * is positive, j > i - window (i.e. the window counts the query's own position, as transformers' masks do).
     */
    public static INDArray causalMask(int t, int window, DataType dtype) {
        double neg = dtype == DataType.DOUBLE ? -1e300 : -1e30;
        double[] m = new double[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) {
                boolean visible = j <= i && (window <= 0 || j > i - window);
                if (!visible) m[i * t + j] = neg;
            }
        }
        return Nd4j.create(m, new long[]{t, t}, DataType.DOUBLE).castTo(dtype);
    }

    /**
     * Causal scaled dot-product attention. q [S*T, H*D], k and v [S*T, Hkv*D] (Hkv divides H; grouped-query
     * attention repeats each key/value head H/Hkv times, as Hugging Face's {@code repeat_kv}); scores are
     * multiplied by {@code scale} (usually 1/sqrt(D)) before the mask [T, T] is added; returns [S*T, H*D], heads
     * merged back head-major.
     */
    public static SDVariable causalAttention(SameDiff sd, SDVariable q, SDVariable k, SDVariable v, int s, int t,
                                             int heads, int kvHeads, int headDim, double scale, SDVariable mask) {
        SDVariable qh = splitHeads(q, s, t, heads, headDim);
        SDVariable kh = repeatKv(sd, splitHeads(k, s, t, kvHeads, headDim), s, t, heads, kvHeads, headDim);
        SDVariable vh = repeatKv(sd, splitHeads(v, s, t, kvHeads, headDim), s, t, heads, kvHeads, headDim);
        // the scale goes on q [S, H, T, D], not on the scores [S, H, T, T]: T/D times fewer elements each way
        SDVariable scores = MatMul.of(sd, scale == 1.0 ? qh : qh.mul(scale), kh, false, true).add(mask);
        SDVariable probs = softmaxLastAxis(sd, scores, 3);
        SDVariable out = MatMul.of(sd, probs, vh, false, false);              // [S, H, T, D]
        return out.permute(0, 2, 1, 3).reshape(s * (long) t, heads * (long) headDim);
    }

    /** [S*T, H*D] -> [S, H, T, D]. */
    static SDVariable splitHeads(SDVariable x, int s, int t, int heads, int headDim) {
        return x.reshape(s, t, heads, headDim).permute(0, 2, 1, 3);
    }

    /** [S, Hkv, T, D] -> [S, H, T, D], each kv head used by H/Hkv consecutive query heads. */
    static SDVariable repeatKv(SameDiff sd, SDVariable x, int s, int t, int heads, int kvHeads, int headDim) {
        if (heads == kvHeads) return x;
        int groups = heads / kvHeads;
        SDVariable expanded = x.reshape(s, kvHeads, 1, t, headDim);
        SDVariable tiled = sd.tile(expanded, 1, 1, groups, 1, 1);
        return tiled.reshape(s, heads, t, headDim);
    }
}
