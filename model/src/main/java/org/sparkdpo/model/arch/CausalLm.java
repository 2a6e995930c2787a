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
     */
    SDVariable hiddenStates(ModelGraph g, SDVariable idsFlat, SDVariable positionsFlat, int s, int t);

    /** The output projection as [V, E] (the tied input embedding when the model ties them). */
    SDVariable lmHead(ModelGraph g);
}
