package org.sparkdpo.model.lora;

import java.util.List;

/**
 * A LoRA adapter's settings with PEFT's meaning and names ({@code adapter_config.json}).
 *
 * @param r                      rank
 * @param loraAlpha              alpha; scaling is alpha / r, or alpha / sqrt(r) with rsLoRA
 * @param loraDropout            dropout on the adapter input during training (0 = off)
 * @param targetModules          module names matched as suffixes of module paths; "all-linear" selects every
 *                               linear map of the blocks; a single string that is not a plain name is a regex
 *                               matched against the whole path (PEFT's rules)
 * @param useRslora              rank-stabilised scaling
 * @param fanInFanOut            true for GPT-2's Conv1D weights ([in, out]); false for nn.Linear
 * @param baseModelNameOrPath    informational, written to adapter_config.json
 */
public record LoraConfig(int r, double loraAlpha, double loraDropout, List<String> targetModules,
                         boolean useRslora, boolean fanInFanOut, String baseModelNameOrPath)
        implements java.io.Serializable {
    public LoraConfig {
        if (r <= 0) throw new IllegalArgumentException("LoRA r must be positive, got " + r);
        if (!(loraAlpha > 0)) throw new IllegalArgumentException("lora_alpha must be positive, got " + loraAlpha);
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + loraDropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new IllegalArgumentException("target_modules must name at least one module");
        }
        targetModules = List.copyOf(targetModules);
    }

    /** The factor applied to B A x. */
    public double scaling() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }
}
