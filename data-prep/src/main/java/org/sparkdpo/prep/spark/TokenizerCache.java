package org.sparkdpo.prep.spark;

import java.util.List;
import org.sparkdpo.common.spark.ExecutorContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
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

    private TokenizerCache() {}

    /**
     * Where and which tokenizer: the folder as the user gave it (any Hadoop path) and the SHA-256 of its
     * tokenizer.json.
     */
    public record Ref(String folder, String fingerprint, HadoopConf conf) implements Serializable {}

    /**
     * Loads (once per JVM and tokenizer.json content) the tokenizer in {@code folder}, on the driver, to learn its
     * fingerprint.
     */
    public static HfTokenizer load(String folder, HadoopConf conf) {
        try {
            Path local = LocalCopies.localize(folder, conf.get(), TOKENIZER_FILES::contains);
            Path json = local.resolve(HfTokenizer.TOKENIZER_JSON);
            if (!Files.isRegularFile(json)) {
                throw new PrepareException("no tokenizer.json in tokenizer folder " + folder
                        + " (--tokenizer takes a model folder holding tokenizer.json)");
            }
            String fingerprint = sha256(json);
            return get(new Ref(folder, fingerprint, conf));
        } catch (IOException | UncheckedIOException e) {
            throw new PrepareException("cannot load the tokenizer in " + folder + ": " + e.getMessage(), e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tokenizer of {@code ref}, loaded on first use in this JVM. */
    public static HfTokenizer get(Ref ref) {
        return ExecutorContext.shared(List.of("tokenizer", ref.folder(), ref.fingerprint()), () -> {
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
