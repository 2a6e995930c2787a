package org.sparkdpo.model.nn;

import java.util.Arrays;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.ops.impl.broadcast.BiasAdd;

/**
 * x [N, C] + b [C] (ND4J's {@code biasadd}, bias on the last axis) whose backward pass passes the gradient
 * through to x untouched and sums it over the rows for b as one GEMV, and not at all for a constant (a frozen
 * bias).
 *
 * <p>Why: ND4J M2.1's {@code biasadd_bp} and broadcasting {@code add_bp} always reduce the gradient over the
 * rows for the bias, and that column reduction runs at ~1 GB/s: 21 ms on a [2048, 3072] GPT-2 MLP activation, a
 * quarter of the block's GEMM time, spent on a gradient that LoRA training throws away. Installed for the
 * {@code biasadd} hash by {@link GradOverrides} (see {@link MatMul} for why a subclass alone is not enough).
 */
public final class AddBias extends BiasAdd {
    static {
        GradOverrides.register();
    }

    /** For SameDiff's reflection (the gradient function's copy of the graph). */
    public AddBias() {}

    private AddBias(SameDiff sd, SDVariable x, SDVariable b) {
        super(sd, x, b, false);
    }

    /** x [N, C] + b [C]. */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable b) {
        return new AddBias(sd, x, b).outputVariable();
    }

    /** dL/dx = G; dL/db = ones[1, N] . G (rows summed by a GEMV), or a never-run zeros placeholder for a constant. */
    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        SDVariable g = grads.get(0);
        SDVariable b = arg(1);
        SDVariable db = b.getVariableType() == VariableType.CONSTANT ? sameDiff.zerosLike(b)
                : MatMul.of(sameDiff, Ops.onesColumn(sameDiff, g), g, true, false).reshape(b.getShape());
        return Arrays.asList(g, db);
    }
}
