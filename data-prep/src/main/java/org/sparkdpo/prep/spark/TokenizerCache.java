package org.sparkdpo.prep.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.common.spark.LocalCopies;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.PrepareException;

/**
 * One tokenizer per JVM and tokenizer folder, shared by every task an executor runs (the Rust tokenizer is
 * thread-safe and costly to load). A folder on a remote file system is copied to local disk once per machine
 * ({@link LocalCopies}), and only its tokenizer files. The fingerprint taken on the driver must match, so every
 * executor provably tokenizes with the same tokenizer.json.
 */
public final class TokenizerCache {
    /** The files of a model folder the tokenizer reads. */
    public static final Set<String> TOKENIZER_FILES = Set.of(HfTokenizer.TOKENIZER_JSON, "tokenizer_config.json",
            "chat_template.jinja", "chat_template.json", "config.json", "special_tokens_map.json");

    private static final Map<String, HfTokenizer> LOADED = new ConcurrentHashMap<>();

    private TokenizerCache() {}

    /**
     * Where and which tokenizer: the folder as the user gave it (any Hadoop path) and the SHA-256 of its
     * tokenizer.json.
     */
    public record Ref(String folder, String fingerprint, HadoopConf conf) implements Serializable {}

    /** Loads (once per JVM) the tokenizer in {@code folder}, on the driver, to learn its fingerprint. */
    public static HfTokenizer load(String folder, HadoopConf conf) {
        try {
            Path local = LocalCopies.localize(folder, conf.get(), TOKENIZER_FILES::contains);
            HfTokenizer t = HfTokenizer.load(local);
            HfTokenizer prev = LOADED.putIfAbsent(folder + "#" + t.fingerprint(), t);
            if (prev != null) {
                t.close();
                return prev;
            }
            return t;
        } catch (IOException e) {
            throw new PrepareException("cannot load the tokenizer in " + folder + ": " + e.getMessage(), e);
        }
    }

    /** The tokenizer of {@code ref}, loaded on first use in this JVM. */
    public static HfTokenizer get(Ref ref) {
        return LOADED.computeIfAbsent(ref.folder() + "#" + ref.fingerprint(), k -> {
            try {
                HfTokenizer t = HfTokenizer.load(LocalCopies.localize(ref.folder(), ref.conf().get(), TOKENIZER_FILES::contains));
                if (!t.fingerprint().equals(ref.fingerprint())) {
                    t.close();
                    throw new PrepareException("tokenizer.json in " + ref.folder() + " changed while the job ran (sha256 "
                            + t.fingerprint() + ", expected " + ref.fingerprint() + ")");
                }
                return t;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the tokenizer in " + ref.folder(), e);
            }
        });
    }
}
