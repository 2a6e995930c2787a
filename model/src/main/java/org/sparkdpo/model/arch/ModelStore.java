package org.sparkdpo.model.arch;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.config.ModelConfig;
import org.sparkdpo.model.io.Checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads a checkpoint's frozen weights: the weight files are memory-mapped and each tensor is written once into
 * ND4J's off-heap memory in the compute dtype; nothing of the checkpoint stays on the Java heap. Executors keep one
 * copy per JVM and dtype (the jobs' per-executor context caches it).
 */
public final class ModelStore {
    private ModelStore() {}

    /** Reads the checkpoint in {@code dir}: every weight the architecture needs, checked against config.json. */
    public static BaseWeights load(Path dir, DataType dtype) throws IOException {
        ModelConfig config = ModelConfig.load(dir);
        CausalLm model = Architectures.of(config);
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        String fingerprint;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            for (String name : ckpt.names()) {
                String canonical = model.canonicalName(name);
                if (canonical == null) continue;
                if (tensors.containsKey(canonical)) {
                    throw new IOException("checkpoint " + dir + " holds '" + canonical + "' twice (as '" + name + "' too)");
                }
                tensors.put(canonical, ckpt.read(name, dtype));
            }
            fingerprint = sha256(dir.resolve("config.json"), ckpt.fingerprint());
        }
        Set<String> missing = new TreeSet<>(model.weightShapes().keySet());
        missing.removeAll(tensors.keySet());
        if (!missing.isEmpty()) {
            throw new IOException("checkpoint " + dir + " lacks " + missing.size() + " weight(s) the " + config.modelType()
                    + " architecture needs, e.g. " + missing.iterator().next());
        }
        for (Map.Entry<String, long[]> e : model.weightShapes().entrySet()) {
            long[] actual = tensors.get(e.getKey()).shape();
            if (!java.util.Arrays.equals(actual, e.getValue())) {
                throw new IOException("checkpoint " + dir + ": weight '" + e.getKey() + "' has shape "
                        + java.util.Arrays.toString(actual) + ", config.json implies " + java.util.Arrays.toString(e.getValue()));
            }
        }
        return new BaseWeights(dir, model, dtype, Map.copyOf(tensors), fingerprint);
    }

    private static String sha256(Path configJson, String weightsFingerprint) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(configJson)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
            md.update(weightsFingerprint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
