package org.sparkdpo.model.exec;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The vocabulary half of the output head on a chunk of final-normed rows, written as two GEMMs and in-place
 * passes over one reused [rows x V] buffer instead of a SameDiff graph: logits = h . W^T; each row's logit sum;
 * log-sum-exp by max, subtract, exp and sum in place; the target's log-prob; and, for training, the gradient of
 * each row's log-prob with respect to its input, d logp_k / d h_k = W[t_k] - softmax_k . W, formed as
 * -(P - onehot) . W with P the softmax written over the same buffer.
 *
 * <p>Why not a graph: SameDiff's backward of log-softmax materialises about a dozen [rows x V] arrays per chunk
 * (the max and exp gradients, broadcasts of the sum), each a fresh pass over memory; at a 50k vocabulary those
 * passes cost more than the two GEMMs. Here the head is five passes and two GEMMs over one buffer, the same
 * arithmetic in the weights' dtype. Not thread-safe: one instance per thread, like {@link BlockwiseLm}.
 */
final class VocabHead {
    private final INDArray weight;                 // [V, E]
    private INDArray buffer;                       // [rows, V], grown on demand and reused

    /** Per-row results; {@code inputGrad} [len, E] is null unless asked for. */
    record Rows(double[] tokenLogps, double[] logitSums, INDArray inputGrad) {}

    VocabHead(INDArray weight) {
        this.weight = weight;
    }

    /**
     * The head on rows [0, len) of {@code normed} [rows, E] with their target ids; {@code grad} also returns
     * d logp_k / d normed_k for each of them.
     */
    Rows apply(INDArray normed, long[] targets, int len, boolean grad) {
        DataType dt = weight.dataType();
        INDArray h = len == normed.size(0) ? normed : normed.get(NDArrayIndex.interval(0, len), NDArrayIndex.all()).dup();
        INDArray logits = logitsBuffer(len);
        Nd4j.gemm(h, weight, logits, false, true, 1.0, 0.0);
        double[] logitSums = logits.sum(1).toDoubleVector();
        double[] target = new double[len];
        for (int k = 0; k < len; k++) target[k] = logits.getDouble(k, targets[k]);
        INDArray max = logits.max(1).reshape(len, 1);
        logits.subiColumnVector(max);
        Transforms.exp(logits, false);
        INDArray sums = logits.sum(1).reshape(len, 1);
        double[] maxV = max.toDoubleVector();
        double[] sumV = sums.toDoubleVector();
        double[] tokenLogps = new double[len];
        for (int k = 0; k < len; k++) tokenLogps[k] = target[k] - (maxV[k] + Math.log(sumV[k]));
        INDArray inputGrad = null;
        if (grad) {
            logits.diviColumnVector(sums);                                          // P = softmax
            for (int k = 0; k < len; k++) logits.putScalar(k, targets[k], logits.getDouble(k, targets[k]) - 1.0);
            inputGrad = Nd4j.create(dt, len, weight.size(1));
            Nd4j.gemm(logits, weight, inputGrad, false, false, -1.0, 0.0);      // -(P - onehot) . W
        }
        max.close();
        sums.close();
        return new Rows(tokenLogps, logitSums, inputGrad);
    }

    /** A [len, V] array over the start of the reused buffer (its own array, not a view, so GEMM writes in place). */
    private INDArray logitsBuffer(int len) {
        if (buffer == null || buffer.size(0) < len) {
            if (buffer != null) buffer.close();
            buffer = Nd4j.create(weight.dataType(), len, weight.size(0));
        }
        return len == buffer.size(0) ? buffer : Nd4j.create(buffer.data(), new long[]{len, weight.size(0)});
    }
}
