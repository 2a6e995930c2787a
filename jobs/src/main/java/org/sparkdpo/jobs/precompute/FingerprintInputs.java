package org.sparkdpo.jobs.precompute;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparkdpo.jobs.common.Sha256;
import org.sparkdpo.model.io.Checkpoint;
import org.sparkdpo.model.json.PythonJson;
import org.sparkdpo.model.lora.LoraAdapter;

/**
 * Everything the reference log-probs depend on, each as a hash: the output's identity. Two runs with equal
 * fingerprints produce the same values, so the second can skip; a different fingerprint means the existing output
 * is stale for these inputs. Batch settings are not part of it: they change padding, not values (beyond float
 * rounding).
 *
 * @param model                    SHA-256 over config.json and the weight files, equal to {@code BaseWeights.fingerprint()}
 * @param adapter                  SHA-256 over adapter_config.json and adapter_model.safetensors, or null for the base model
 * @param tokenizer                SHA-256 of the model folder's tokenizer.json
 * @param inputManifest            the input manifest's own fingerprint (of the shard contents)
 * @param dtype                    "float32" or "float64"
 * @param logprobConventionVersion {@link #LOGPROB_CONVENTION_VERSION}
 */
public record FingerprintInputs(String model, String adapter, String tokenizer, String inputManifest, String dtype,
                                int logprobConventionVersion) {
    /**
     * Version of what a reference log-prob means: natural-log probabilities of the completion tokens only (EOS
     * included, prompt masked), summed per sequence, with the first sequence token never scored. Bump it when that
     * convention or the model code's numerics change on purpose, so old outputs stop matching.
     */
    public static final int LOGPROB_CONVENTION_VERSION = 1;

    /** The inputs as the manifest writes them (snake_case keys, null adapter kept). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("adapter", adapter);
        m.put("tokenizer", tokenizer);
        m.put("input_manifest", inputManifest);
        m.put("dtype", dtype);
        m.put("logprob_convention_version", logprobConventionVersion);
        return m;
    }

    /** SHA-256 of the canonical JSON (sorted keys) of {@link #toMap()}. */
    public String fingerprint() {
        return Sha256.of(PythonJson.write(toMap()));
    }

    /**
     * The model fingerprint exactly as {@code ModelStore} computes it (SHA-256 of config.json's bytes followed by the
     * checkpoint's weight fingerprint), without loading any tensor: the driver never holds the weights.
     */
    public static String modelFingerprint(Path modelDir) throws IOException {
        MessageDigest md = Sha256.digest();
        try (InputStream in = Files.newInputStream(modelDir.resolve("config.json"))) {
            Sha256.update(md, in);
        }
        try (Checkpoint ckpt = Checkpoint.open(modelDir)) {
            md.update(ckpt.fingerprint().getBytes(StandardCharsets.UTF_8));
        }
        return Sha256.hex(md);
    }

    /** For each adapter file in a fixed order: its name, a 0 byte, then its bytes. */
    public static String adapterFingerprint(Path adapterDir) throws IOException {
        MessageDigest md = Sha256.digest();
        for (String name : new String[] {LoraAdapter.CONFIG_FILE, LoraAdapter.WEIGHTS_FILE}) {
            md.update(name.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            try (InputStream in = Files.newInputStream(adapterDir.resolve(name))) {
                Sha256.update(md, in);
            }
        }
        return Sha256.hex(md);
    }
}
