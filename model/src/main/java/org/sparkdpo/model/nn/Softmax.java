package org.sparkdpo.model.nn;

import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;

/**
 * ND4J's fused softmax along one axis, whose backward pass is y * (g - sum(g * y)) written out from the
 * softmax's output y: four passes that ND4J runs at memory speed, in place of {@code softmax_bp}, which took 22
 * ms on GPT-2 124M's [96, 256, 256] attention probabilities (about 3x longer), and which reads the softmax's input,
 * so the scores had to be kept for backward beside the probabilities the next matmul's backward keeps anyway.
 * Installed for the {@code softmax} hash by {@link GradOverrides} (see {@link MatMul} for why).
 */
public final class Softmax extends SoftMax {
    static {
        GradOverrides.register();
    }

    /** For SameDiff's reflection (the gradient function's copy of the graph). */
    public Softmax() {}

    private Softmax(SameDiff sd, SDVariable x, int axis) {
        super(sd, x, axis);
    }

    /** softmax of {@code x} along {@code axis} (non-negative). */
    public static SDVariable of(SameDiff sd, SDVariable x, int axis) {
        return new Softmax(sd, x, axis).outputVariable();
    }

    @Override
    public List<SDVariable> doDiff(List<SDVariable> grads) {
        long[] args = iArgs();
        if (args.length == 0 || args[0] < 0) {
            throw new IllegalStateException("softmax gradient needs a non-negative axis, got " + java.util.Arrays.toString(args));
        }
        SDVariable y = outputVariable();
        SDVariable gy = grads.get(0).mul(y);
        return List.of(gy.sub(y.mul(gy.sum(true, (int) args[0]))));
    }
}
