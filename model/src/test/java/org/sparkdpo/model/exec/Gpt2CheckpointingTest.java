package org.sparkdpo.model.exec;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.dpo.DpoConfig;
import org.sparkdpo.model.dpo.DpoLossType;
import org.sparkdpo.model.dpo.DpoObjective;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.lora.LoraAdapter;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpointed blocks and the chunked head on the tiny GPT-2 against the one-graph path, and the oracle. */
class Gpt2CheckpointingTest {
    static BaseWeights base;
    static LoraAdapter adapter;

    @BeforeAll
    static void load() throws Exception {
        base = org.sparkdpo.model.TestWeights.get(TestFixtures.tinyGpt2(), DataType.DOUBLE);
        adapter = LoraAdapter.load(TestFixtures.tinyGpt2().resolve("adapter"), base.model(), DataType.DOUBLE);
    }

    @Test
    void checkpointedStepEqualsThePlainStep() {
        PlainPathComparison.assertCheckpointedStepMatches("gpt2 sigmoid", base, adapter, adapter.config(),
                OracleCases.pairs(), DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), 5);
        PlainPathComparison.assertCheckpointedStepMatches("gpt2 ipo, one chunk", base, adapter, adapter.config(),
                OracleCases.pairs(), DpoConfig.of(DpoLossType.IPO, 0.3, 0.0), 0);
    }

    @Test
    void checkpointedStepWithLoraDropoutEqualsThePlainStep() {
        PlainPathComparison.assertCheckpointedStepMatches("gpt2 dropout", base, adapter,
                PlainPathComparison.withDropout(adapter.config(), 0.2), OracleCases.pairs(),
                DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), 7);
    }

    @Test
    void checkpointedGradientsMatchTheOracle() {
        DpoObjective obj = new DpoObjective(base, adapter.config(), adapter.pairs().stream().map(LoraAdapter.Pair::module).toList(),
                DpoConfig.of(DpoLossType.SIGMOID, 0.1, 0.0), true, 4);
        DpoObjective.Result r = obj.run(OracleCases.pairs(), PlainPathComparison.arrays(adapter), true, 0, 0);
        double want = OracleCases.json().at("/grad_check/loss_value").asDouble();
        assertTrue(OracleCases.closeRel(r.loss(), want, 1e-8), "loss " + r.loss() + " vs " + want);
    }

    @Test
    void blocksRunOnGroupsOfSequencesGiveTheWholeBatchStep() {
        PlainPathComparison.assertGroupedStepMatches("gpt2", base, adapter,
                OracleCases.pairs().stream().flatMap(p -> java.util.stream.Stream.of(p.chosen(), p.rejected())).toList());
    }

    @Test
    void keptActivationsGiveTheCheckpointedStep() {
        PlainPathComparison.assertKeptActivationsStepMatches("gpt2", base, adapter,
                OracleCases.pairs().stream().flatMap(p -> java.util.stream.Stream.of(p.chosen(), p.rejected())).toList());
    }

    @Test
    void chunkedHeadScoresEqualTheWholeHead() {
        List<PreferencePair> pairs = OracleCases.pairs();
        PlainPathComparison.assertChunkedScoresMatch("gpt2 base", base, null,
                pairs.stream().flatMap(p -> java.util.stream.Stream.of(p.chosen(), p.rejected())).toList(), 3);
        PlainPathComparison.assertChunkedScoresMatch("gpt2 adapter", base, adapter,
                pairs.stream().flatMap(p -> java.util.stream.Stream.of(p.chosen(), p.rejected())).toList(), 4);
    }
}
