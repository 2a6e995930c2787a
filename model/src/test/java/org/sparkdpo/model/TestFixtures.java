package org.sparkdpo.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the golden fixtures committed under {@code model/src/test/resources}, from any module's tests. */
public final class TestFixtures {
    private TestFixtures() {}

    /** The repository root: the nearest ancestor of the working directory that holds {@code model/pom.xml}. */
    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("model").resolve("pom.xml"))) p = p.getParent();
        if (p == null) throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
        return p;
    }

    /** {@code model/src/test/resources/oracle-gpt2}: the GPT-2 oracle (tokenizer cases, safetensors cases, tiny-gpt2/). */
    public static Path oracleGpt2() {
        return repoRoot().resolve("model/src/test/resources/oracle-gpt2");
    }

    /** The tiny GPT-2 checkpoint folder (config.json, model.safetensors, tokenizer.json, adapter/, cases.json). */
    public static Path tinyGpt2() {
        return oracleGpt2().resolve("tiny-gpt2");
    }

    /** The shared 1,100-pair dataset beside the checkout, or null when {@code ../shared} is absent (fresh clones). */
    public static Path sharedPreferenceDataset() {
        Path p = repoRoot().resolveSibling("shared").resolve("datasets/instruction-data-with-preference.json");
        return Files.exists(p) ? p : null;
    }
}
