package org.sparkdpo.model.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.config.LlamaConfig;
import org.sparkdpo.model.io.DType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark helper writes a checkpoint the project's own loader accepts, in the requested Qwen2 shape. */
class RandomCheckpointTest {
    private static final Path TOKENIZER = Path.of("src/test/resources/oracle-gpt2/tiny-gpt2");

    private static Map<String, String> smallQwen2() {
        Map<String, String> c = DpoStepComparison.preset("qwen2-0.5b");
        c.putAll(Map.of("layers", "2", "width", "64", "heads", "4", "kv-heads", "2", "intermediate", "96",
                "vocab", "50304", "prompt", "6", "completion", "5"));
        return c;
    }

    @Test
    void writesALoadableQwen2CheckpointWithTokenizerAndExactPairs(@TempDir Path dir) throws Exception {
        Map<String, String> c = smallQwen2();
        int tokenizerVocab = RandomCheckpoint.write(dir, RandomCheckpoint.configJson(c), TOKENIZER, DType.BF16);
        BaseWeights w = ModelStore.load(dir, DataType.FLOAT);
        LlamaConfig cfg = (LlamaConfig) w.model().config();
        assertEquals("qwen2", cfg.modelType());
        assertEquals(2, cfg.numLayers());
        assertEquals(50304, cfg.vocabSize());
        assertTrue(cfg.tieWordEmbeddings());
        assertTrue(cfg.qkvBias());
        assertArrayEquals(new long[]{32, 64}, w.tensors().get("model.layers.1.self_attn.k_proj.weight").shape());
        assertEquals(50257, tokenizerVocab);
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));

        RandomCheckpoint.writePairs(dir.resolve("pairs.jsonl"), 3, 6, 5, tokenizerVocab);
        List<String> rows = Files.readAllLines(dir.resolve("pairs.jsonl"));
        assertEquals(3, rows.size());
        var row = new com.fasterxml.jackson.databind.ObjectMapper().readTree(rows.get(2));
        assertEquals(6, row.get("prompt_ids").size());
        assertEquals(5, row.get("chosen_ids").size());
        assertEquals(5, row.get("rejected_ids").size());
        for (var id : row.get("chosen_ids")) assertTrue(id.asInt() >= 0 && id.asInt() < tokenizerVocab - 1);
    }

    @Test
    void refusesATokenizerWhoseIdsExceedTheModelVocabulary(@TempDir Path dir) {
        Map<String, String> c = smallQwen2();
        c.put("vocab", "1000");
        var e = assertThrows(IllegalArgumentException.class,
                () -> RandomCheckpoint.write(dir, RandomCheckpoint.configJson(c), TOKENIZER, DType.F32));
        assertTrue(e.getMessage().contains("50257"), e.getMessage());
    }
}
