package org.sparkdpo.model.generate;

/** Why a sequence stopped: it produced a stop (EOS) token, or it reached max-new-tokens or the model's context. */
public enum FinishReason {
    EOS("eos"), LENGTH("length");

    private final String label;

    FinishReason(String label) {
        this.label = label;
    }

    /** The lower-case name written to outputs ({@code eos}, {@code length}), as Hugging Face pipelines name them. */
    public String label() {
        return label;
    }
}
