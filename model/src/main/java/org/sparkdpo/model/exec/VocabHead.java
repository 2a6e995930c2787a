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
 * passes cost more than the two GEMMs. Here the head is four passes and two GEMMs over one buffer, the same
 * arithmetic in the weights' dtype; each row's logit sum comes from the weight's column sums instead of a pass.
 * Not thread-safe: one instance per thread, like {@link BlockwiseLm}.
 */
final class VocabHead {
    private final INDArray weight;                 // [V, E]
    private INDArray buffer;                       // [rows, V], grown on demand and reused
    private double[] columnSums;                   // [E]: sum over the vocabulary of each weight column

    /**
     * Per-row results for the first {@code len} rows; {@code inputGrad} [rows, E] (rows as given, those past
     * {@code len} zero) is null unless asked for.
     */
    record Rows(double[] tokenLogps, double[] logitSums, INDArray inputGrad) {}

    VocabHead(INDArray weight) {
        this.weight = weight;
    }

    /**
     * The head on rows [0, len) of {@code normed} [rows, E] with their target ids; {@code grad} also returns
     * d logp_k / d normed_k for each of them.
     *
     * <p>Both GEMMs run on all {@code rows} (a padded count from a small set of sizes); the row maxima come from
     * ND4J (a maximum is exact in any order) and the sums of exponentials are summed in Java, rows in parallel but
     * each row on one thread in index order with a double accumulator: ND4J splits a sum over threads differently
     * with the thread count (an executor with one core versus a driver with two), and GEMMs choose kernels by
     * shape, so this keeps a row's log-prob bit-identical on any machine layout (precompute-ref outputs are
     * compared byte for byte across JVMs).
     */
    Rows apply(INDArray normed, long[] targets, int len, boolean grad) {
        int rows = (int) normed.size(0);
        long v = weight.size(0);
        INDArray logits = logitsBuffer(rows);
        Nd4j.gemm(normed, weight, logits, false, true, 1.0, 0.0);
        double[] logitSums = logitSums(normed, len);
        double[] max = logits.max(1).castTo(DataType.DOUBLE).toDoubleVector();     // exact in any order
        double[] target = new double[len];
        java.util.function.IntToDoubleFunction at = reader(logits);
        for (int k = 0; k < len; k++) target[k] = at.applyAsDouble((int) (k * v + targets[k]));
        logits.subiColumnVector(Nd4j.create(max, new long[]{rows, 1}, DataType.DOUBLE).castTo(logits.dataType()));
        Transforms.exp(logits, false);
        double[] expSum = new double[len];
        double[] tokenLogps = new double[len];
        java.util.function.IntToDoubleFunction exps = reader(logits);
        // rows in parallel, each row's sum in index order on one thread: the same bits for any thread count
        java.util.stream.IntStream.range(0, len).parallel().forEach(k -> {
            double sum = 0;
            int base = (int) (k * v);
            for (int j = 0; j < v; j++) sum += exps.applyAsDouble(base + j);
            expSum[k] = sum;
            tokenLogps[k] = target[k] - (max[k] + Math.log(sum));
        });
        INDArray inputGrad = null;
        if (grad) {
            double[] inv = new double[rows];                                       // padded rows: P = 0
            for (int k = 0; k < len; k++) inv[k] = 1.0 / expSum[k];
            logits.muliColumnVector(Nd4j.create(inv, new long[]{rows, 1}, DataType.DOUBLE).castTo(logits.dataType()));
            for (int k = 0; k < len; k++) logits.putScalar(k, targets[k], logits.getDouble(k, targets[k]) - 1.0);
            if (len < rows) logits.get(NDArrayIndex.interval(len, rows), NDArrayIndex.all()).assign(0);
            inputGrad = Nd4j.create(weight.dataType(), rows, weight.size(1));
            Nd4j.gemm(logits, weight, inputGrad, false, false, -1.0, 0.0);      // -(P - onehot) . W
        }
        return new Rows(tokenLogps, logitSums, inputGrad);
    }

    /**
     * Each row's sum of logits, sum_j h_k . W_j = h_k . (sum_j W_j), from the weight's column sums (summed once,
     * in double, in index order): the metric TRL reports as logits/chosen and logits/rejected, without a pass
     * over [rows x V].
     */
    private double[] logitSums(INDArray normed, int len) {
        if (columnSums == null) {
            int e = (int) weight.size(1);
            long v = weight.size(0);
            columnSums = new double[e];
            java.util.function.IntToDoubleFunction w = reader(weight.isView() || weight.ordering() != 'c' ? weight.dup('c') : weight);
            for (long j = 0; j < v; j++) {
                for (int c = 0; c < e; c++) columnSums[c] += w.applyAsDouble((int) (j * e + c));
            }
        }
        double[][] h = normed.castTo(DataType.DOUBLE).toDoubleMatrix();
        double[] sums = new double[len];
        for (int k = 0; k < len; k++) {
            double s = 0;
            for (int c = 0; c < columnSums.length; c++) s += h[k][c] * columnSums[c];
            sums[k] = s;
        }
        return sums;
    }

    /** Reads a float32 or float64 array's buffer (from its start) in place, through NIO, without a copy. */
    private static java.util.function.IntToDoubleFunction reader(INDArray a) {
        if (a.dataType() == DataType.DOUBLE) {
            java.nio.DoubleBuffer d = a.data().asNioDouble();
            return d::get;
        }
        java.nio.FloatBuffer f = a.data().asNioFloat();
        return f::get;
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
