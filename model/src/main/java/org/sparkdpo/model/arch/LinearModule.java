package org.sparkdpo.model.arch;

/**
 * One linear map of a model, named by its Hugging Face module path (e.g. {@code transformer.h.0.attn.c_attn}),
 * which is also the name PEFT uses for its LoRA matrices.
 *
 * @param path       module path, without the {@code base_model.model.} prefix PEFT adds
 * @param in         input features
 * @param out        output features
 * @param layout     how the weight is stored
 * @param weightName checkpoint name of the weight
 * @param biasName   checkpoint name of the bias, or null when the map has none
 */
public record LinearModule(String path, int in, int out, LinearLayout layout, String weightName, String biasName) {
    /** The last component of the path, which PEFT's {@code target_modules} names (e.g. {@code c_attn}). */
    public String shortName() {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
