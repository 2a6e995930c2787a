package org.sparkdpo.model.nn;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.VariableType;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;

import java.util.Arrays;
import java.util.List;

/**
 * op(a) . op(b), op transposing the last two axes when asked (rank 2, or batched rank 4 as in attention): the same
 * forward op as {@code sd.mmul}, whose backward pass is two plain matmuls, and only one when an input is a graph
 * constant (a frozen base weight).
 *
 * <p>Why not {@code sd.mmul}: ND4J M2.1's matmul always differentiates into {@code matmul_bp}, which computes both
 * gradients even for a constant (for a 150k-vocabulary head, a second GEMM as large as the forward and a 545 MB
 * array per head chunk, thrown away) and, on GPT-2 124M's LoRA and attention shapes, ran at a fraction of the
 * GEMM rate that the same products reach as plain matmuls (6.0 s of a 28 s step in ND4J's op profile; see the
 * README's performance section).
 *
 * <p>SameDiff builds a gradient function on a copy of the graph whose ops are re-created from their serialized
 * form, looked up by libnd4j op hash: a subclass is silently replaced by ND4J's own {@link Mmul} there.
 * {@link GradOverrides#register()} (called by {@link GradFunctions}) maps the matmul hash to this class so that
 * the copy keeps this backward pass; the transposes are read back from the op's integer arguments, which the copy
 * carries.
 */
public final class MatMul extends Mmul {
    static {
        GradOverrides.register();                     // any graph that uses this op differentiates through it
    }

    /** For SameDiff's reflection (the gradient function's copy of the graph). */
    public MatMul() {}

    private MatMul(SameDiff sd, SDVariable a, SDVariable b, boolean transposeA, boolean transposeB) {
        super(sd, a, b, transposeA, transposeB, false);
    }

    /** op(a) . op(b). */
    public static SDVariable of(SameDiff sd, SDVariable a, SDVariable b, boolean transposeA, boolean transposeB) {
        return new MatMul(sd, a, b, transposeA, transposeB).outputVariable();
    }

    /** x . W, or x . W^T when {@code transposeW}. */
    public static SDVariable of(SameDiff sd, SDVariable x, SDVariable w, boolean transposeW) {
        return of(sd, x, w, false, transposeW);
    }

    /**
     * With y = A'B' (A' = op(a), B' = op(b)) and G = dL/dy: dL/dA' = G B'^T and dL/dB' = A'^T G, transposed back
     * where the forward transposed. A constant's gradient is a zeros-like placeholder that SameDiff never runs
     * (it executes only the ops that the requested gradients need; ND4J's differentiation requires one per input).
     */
    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        long[] flags = iArgs();
        boolean transposeA = flags.length > 0 && flags[0] != 0;
        boolean transposeB = flags.length > 1 && flags[1] != 0;
        SDVariable g = grads.get(0);
        SDVariable a = larg();
        SDVariable b = rarg();
        SDVariable da = a.getVariableType() == VariableType.CONSTANT ? sameDiff.zerosLike(a)
                : transposeA ? of(sameDiff, b, g, transposeB, true) : of(sameDiff, g, b, false, !transposeB);
        SDVariable db = b.getVariableType() == VariableType.CONSTANT ? sameDiff.zerosLike(b)
                : transposeB ? of(sameDiff, g, a, true, transposeA) : of(sameDiff, a, g, !transposeA, false);
        return Arrays.asList(da, db);
    }
}
