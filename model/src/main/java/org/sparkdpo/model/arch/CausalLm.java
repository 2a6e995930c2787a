package org.sparkdpo.model.arch;

import org.nd4j.autodiff.samediff.SDVariable;
import org.sparkdpo.model.config.ModelConfig;

import java.util.List;
import java.util.Map;

/**
 * A decoder-only architecture, described once and used for every purpose: frozen base + LoRA training,
 * full-parameter training and plain scoring all build the same forward pass through a {@link ModelGraph},
 * which decides per weight whether it is a frozen constant or a trainable variable and where LoRA applies.
 */
public interface CausalLm {
    ModelConfig config();

    /**
     * The canonical name under which a checkpoint tensor is kept, or null for tensors that are not weights
     * (e.g. GPT-2's {@code attn.bias} causal-mask buffers). Unknown names throw with the name in the message.
     */
    String canonicalName(String checkpointKey);

    /** Every weight the forward pass needs: canonical name to shape, in model order. */
    Map<String, long[]> weightShapes();

    /** The linear maps LoRA can target, in model order. */
    List<LinearModule> linearModules();

    /**
     * Final hidden states [S*T, E] (after the last norm) for token ids [S*T] at positions [S*T]. Positions lie in
     * [0, t) (rotary models build their cos/sin tables for the graph's length) and below {@code maxPositions()}.
     * The composition of {@link #embed}, every {@link #block} and {@link #finalNorm}; the block-wise executor
     * ({@code org.sparkdpo.model.exec.BlockwiseLm}) runs the same three pieces as separate graphs.
     */
    default SDVariable hiddenStates(ModelGraph g, SDVariable idsFlat, SDVariable positionsFlat, int s, int t) {
        return finalNorm(g, residualStream(g, idsFlat, positionsFlat, s, t));
    }

    /** The last block's output [S*T, E], before the final norm. */
    default SDVariable residualStream(ModelGraph g, SDVariable idsFlat, SDVariable positionsFlat, int s, int t) {
        SDVariable x = embed(g, idsFlat, positionsFlat);
        for (int i = 0; i < config().numLayers(); i++) x = block(g, i, x, positionsFlat, s, t);
        return x;
    }

    /** The input of the first block [S*T, E]: token (and, where the model has them, learned position) embeddings. */
    SDVariable embed(ModelGraph g, SDVariable idsFlat, SDVariable positionsFlat);

    /**
     * Transformer block {@code layer} on its input x [S*T, E] (the residual stream) for S sequences of length T at
     * positions [S*T]; returns the block's output [S*T, E]. Everything a block needs apart from x is a weight, a
     * graph constant or derived from the positions, so a graph that holds a single block computes the same values.
     */
    SDVariable block(ModelGraph g, int layer, SDVariable x, SDVariable positionsFlat, int s, int t);

    /** The norm after the last block, row-wise on x [N, E] (so it may be applied to selected rows only). */
    SDVariable finalNorm(ModelGraph g, SDVariable x);

    /** The canonical name of the output projection [V, E] (the input embedding's when the model ties them). */
    String lmHeadWeight();

    /** The output projection as [V, E] (the tied input embedding when the model ties them). */
    default SDVariable lmHead(ModelGraph g) {
        return g.weight(lmHeadWeight());
    }
}
