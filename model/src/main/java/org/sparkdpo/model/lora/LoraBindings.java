package org.sparkdpo.model.lora;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.sparkdpo.model.arch.ModelGraph.LoraBinding;

import java.util.LinkedHashMap;
import java.util.Map;

/** Puts an adapter's matrices into a graph, as trainable variables or as constants for scoring. */
public final class LoraBindings {
    private LoraBindings() {}

    /** SameDiff name of a module's A or B matrix. */
    public static String varName(String modulePath, char which) {
        return "lora." + modulePath + "." + which;
    }

    /** SameDiff name of a module's dropout-mask placeholder. */
    public static String dropoutMaskName(String modulePath) {
        return "lora_dropout." + modulePath;
    }

    /**
     * One binding per adapted module. Trainable bindings are SameDiff variables holding the adapter's arrays
     * (so gradients can be asked for by {@link #varName}); otherwise constants. With {@code dropoutMasks}, each
     * module also gets a placeholder [rows, in] multiplied into its input (see {@link LoraDropout}).
     */
    public static Map<String, LoraBinding> of(SameDiff sd, LoraAdapter adapter, boolean trainable, boolean dropoutMasks) {
        Map<String, LoraBinding> out = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : adapter.pairs()) {
            String path = p.module().path();
            SDVariable a = trainable ? sd.var(varName(path, 'A'), p.a()) : sd.constant(varName(path, 'A'), p.a());
            SDVariable b = trainable ? sd.var(varName(path, 'B'), p.b()) : sd.constant(varName(path, 'B'), p.b());
            SDVariable mask = dropoutMasks
                    ? sd.placeHolder(dropoutMaskName(path), p.a().dataType(), -1, p.module().in()) : null;
            out.put(path, new LoraBinding(a, b, mask));
        }
        return out;
    }
}
