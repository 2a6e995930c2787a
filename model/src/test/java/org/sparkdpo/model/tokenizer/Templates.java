package org.sparkdpo.model.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Chat templates of public models, typed into test resources under {@code tokenizer/templates/}. */
final class Templates {
    private Templates() {}

    static String text(String name) {
        try (InputStream in = Templates.class.getResourceAsStream("/tokenizer/templates/" + name + ".jinja")) {
            if (in == null) throw new IllegalStateException("missing test template " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatTemplate of(String name) {
        return ChatTemplate.of(text(name));
    }
}
