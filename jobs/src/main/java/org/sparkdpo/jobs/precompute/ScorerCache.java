package org.sparkdpo.jobs.precompute;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.lora.LoraAdapter;

/**
 * Executor-side reuse: the frozen weights once per JVM ({@link ModelStore}), the adapter once per JVM, and one
 * {@link CompletionScorer} (not thread-safe, holds the built graphs) per executor thread, kept across tasks since
 * Spark reuses its task threads.
 */
final class ScorerCache {
    private record Key(Path model, Path adapter, DataType dtype) {}

    private static final Map<Key, LoraAdapter> ADAPTERS = new ConcurrentHashMap<>();
    private static final ThreadLocal<Map<Key, CompletionScorer>> SCORERS = ThreadLocal.withInitial(HashMap::new);

    private ScorerCache() {}

    /**
     * This thread's scorer for the model in {@code model} (+ the adapter in {@code adapter}, may be null), checking
     * that the weights are those the driver fingerprinted: a model folder replaced during a run fails loudly.
     */
    static CompletionScorer get(Path model, Path adapter, DataType dtype, String expectedModelFingerprint) {
        Key key = new Key(model.toAbsolutePath().normalize(), adapter == null ? null : adapter.toAbsolutePath().normalize(), dtype);
        return SCORERS.get().computeIfAbsent(key, k -> {
            BaseWeights base = ModelStore.get(k.model(), k.dtype());
            if (!base.fingerprint().equals(expectedModelFingerprint)) {
                throw new IllegalStateException("the model in " + k.model() + " has fingerprint " + base.fingerprint()
                        + " but the run started with " + expectedModelFingerprint + ": it changed during the run");
            }
            LoraAdapter lora = k.adapter() == null ? null : ADAPTERS.computeIfAbsent(k, a -> {
                try {
                    return LoraAdapter.load(a.adapter(), base.model(), a.dtype());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return new CompletionScorer(base, lora);
        });
    }
}
