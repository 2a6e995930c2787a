package org.sparkdpo.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;

import java.util.Arrays;
import java.util.List;

/**
 * x . W (or x . W^T) where W is a graph constant (a frozen base weight): the same forward op as
 * {@code sd.mmul}, whose backward pass yields dL/dx only. ND4J M2.1's matmul always differentiates into
 * {@code matmul_bp}, which also computes dL/dW, a second GEMM as large as the forward one and an array of the
 * weight's size (for a 150k-vocabulary head, 545 MB per head chunk), both thrown away for a constant.
 */
public final class FrozenMatMul extends Mmul {
    private boolean transposeW;

    /** For SameDiff's reflection; not used by this project. */
    public FrozenMatMul() {}

    private FrozenMatMul(SameDiff sd, SDVariable x, SDVariable w, boolean transposeW) {
        super(sd, x, w, false, transposeW, false);
        this.transposeW = transposeW;
    }

    /** x . W, or x . W^T when {@code transposeW}; a plain matmul when W is not a constant (it then needs dL/dW). */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable w, boolean transposeW) {
        if (w.getVariableType() != VariableType.CONSTANT) return sd.mmul(x, w, false, transposeW, false);
        return new FrozenMatMul(sd, x, w, transposeW).outputVariable();
    }

    /** dL/dx = dL/dy . W^T (W^T^T = W when the forward used W transposed); no gradient for the constant W. */
    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable dx = sameDiff.mmul(grads.get(0), rarg(), false, !transposeW, false);
        return Arrays.asList(dx, null);
    }
}
