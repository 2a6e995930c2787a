package org.sparkdpo.model.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Gives data-prep tests the model module's Llama-3-style test tokenizer (GPT-2 BPE plus Llama 3 specials, BOS added
 * by the post-processor, Llama 3 chat template), which is package-private there: reused rather than copied.
 */
public final class PrepTokenizers {
    public static final int BEGIN_OF_TEXT = Llama3StyleTokenizer.BEGIN_OF_TEXT;
    public static final int EOT = Llama3StyleTokenizer.EOT;

    private PrepTokenizers() {}

    /** Writes the tokenizer folder under {@code parent} and returns it. */
    public static Path llama3Style(Path parent) throws IOException {
        return Llama3StyleTokenizer.create(parent);
    }
}
