package org.sparkdpo.model.llama;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.exec.PlainPathComparison;
import org.sparkdpo.model.lora.LoraAdapter;

/** Checkpointed blocks and the chunked head on the Llama-family golden models against the one-graph path. */
class LlamaCheckpointingTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void checkpointedStepEqualsThePlainStep(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        LoraAdapter a = LlamaDpoTest.adapter(o);
        PlainPathComparison.assertCheckpointedStepMatches(name, LlamaDpoTest.base(o), a, a.config(), o.pairs(),
                DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), 5);
        PlainPathComparison.assertCheckpointedStepMatches(name + " dropout", LlamaDpoTest.base(o), a,
                PlainPathComparison.withDropout(a.config(), 0.2), o.pairs(), DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), 6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void blocksRunOnGroupsOfSequencesGiveTheWholeBatchStep(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        PlainPathComparison.assertGroupedStepMatches(name, LlamaDpoTest.base(o), LlamaDpoTest.adapter(o), o.completions());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void keptActivationsGiveTheCheckpointedStep(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        PlainPathComparison.assertKeptActivationsStepMatches(name, LlamaDpoTest.base(o), LlamaDpoTest.adapter(o), o.completions());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2"})
    void chunkedHeadScoresEqualTheWholeHead(String name) throws Exception {
        LlamaOracle o = LlamaOracle.of(name);
        PlainPathComparison.assertChunkedScoresMatch(name, LlamaDpoTest.base(o), LlamaDpoTest.adapter(o), o.completions(), 3);
    }
}
