package org.sparkdpo.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;

/** Test fixtures' checkpoints, loaded once per test JVM and dtype (the suite loads the same tiny models many times). */
public final class TestWeights {
    private static final Map<String, BaseWeights> LOADED = new ConcurrentHashMap<>();

    private TestWeights() {}

    public static BaseWeights get(Path dir, DataType dtype) {
        Path d = dir.toAbsolutePath().normalize();
        return LOADED.computeIfAbsent(d + "#" + dtype, k -> {
            try {
                return ModelStore.load(d, dtype);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
