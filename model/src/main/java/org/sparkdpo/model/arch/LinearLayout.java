package org.sparkdpo.model.arch;

/** How a checkpoint stores a linear map's weight: GPT-2's Conv1D keeps [in, out], nn.Linear keeps [out, in]. */
public enum LinearLayout {
    /** GPT-2 {@code Conv1D}: y = x W + b with W [in, out]; PEFT calls this {@code fan_in_fan_out = true}. */
    CONV1D,
    /** {@code nn.Linear}: y = x W^T + b with W [out, in]. */
    LINEAR
}
