package org.sparkdpo.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.io.SafeTensorsWriter.RawTensor;

/** The tiny GPT-2 checkpoint, as a single file and split into shards, plus broken indexes. */
class CheckpointTest {
    /** SHA-256 of "model.safetensors" + 0x00 + u64le(size) + contents, computed independently with Python's hashlib. */
    private static final String TINY_GPT2_FINGERPRINT = "35d59ee7b8632b19b873c8ff9b7807058c0de91f0549d1b0dc0ac9633481a393";
    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    private static Map<String, long[]> expectedShapes() {
        int e = 32;
        Map<String, long[]> m = new LinkedHashMap<>();
        m.put("transformer.wte.weight", new long[] {50257, e});
        m.put("transformer.wpe.weight", new long[] {128, e});
        for (int i = 0; i < 2; i++) {
            String h = "transformer.h." + i + ".";
            m.put(h + "ln_1.weight", new long[] {e});
            m.put(h + "ln_1.bias", new long[] {e});
            m.put(h + "attn.c_attn.weight", new long[] {e, 3 * e});
            m.put(h + "attn.c_attn.bias", new long[] {3 * e});
            m.put(h + "attn.c_proj.weight", new long[] {e, e});
            m.put(h + "attn.c_proj.bias", new long[] {e});
            m.put(h + "ln_2.weight", new long[] {e});
            m.put(h + "ln_2.bias", new long[] {e});
            m.put(h + "mlp.c_fc.weight", new long[] {e, 4 * e});
            m.put(h + "mlp.c_fc.bias", new long[] {4 * e});
            m.put(h + "mlp.c_proj.weight", new long[] {4 * e, e});
            m.put(h + "mlp.c_proj.bias", new long[] {e});
        }
        m.put("transformer.ln_f.weight", new long[] {e});
        m.put("transformer.ln_f.bias", new long[] {e});
        return m;
    }

    @Test
    void tinyGpt2NamesShapesAndValues() throws IOException {
        try (Checkpoint c = Checkpoint.open(TestFixtures.tinyGpt2())) {
            assertEquals(expectedShapes().keySet(), c.names());
            for (Map.Entry<String, long[]> e : expectedShapes().entrySet()) {
                assertArrayEquals(e.getValue(), c.info(e.getKey()).shape(), e.getKey());
                assertEquals(DType.F32, c.info(e.getKey()).dtype(), e.getKey());
            }
            assertFalse(c.contains("lm_head.weight"), "tied to wte, not stored");
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> c.read("lm_head.weight", DataType.FLOAT));
            assertTrue(missing.getMessage().contains("'lm_head.weight'") && missing.getMessage().contains(TestFixtures.tinyGpt2().toString()),
                    missing.getMessage());
            // values checked against Python's struct.unpack of the same bytes
            INDArray wte = c.read("transformer.wte.weight", DataType.DOUBLE);
            assertEquals(-0.06426604092121124, wte.getDouble(0, 0));
            assertEquals(-0.18103355169296265, wte.getDouble(50256, 31));
            assertEquals(-0.4962369203567505, c.read("transformer.wpe.weight", DataType.DOUBLE).getDouble(127, 0));
            assertEquals((float) -0.03431832045316696, c.read("transformer.h.1.mlp.c_fc.weight", DataType.FLOAT).getFloat(5, 7));
            INDArray lnf = c.read("transformer.ln_f.weight", DataType.DOUBLE);
            double sum = 0;
            for (int i = 0; i < 32; i++) sum += lnf.getDouble(i);
            assertEquals(31.362879633903503, sum);
            assertEquals(Set.of(Checkpoint.SINGLE_FILE), c.shardFiles());
        }
    }

    @Test
    void fingerprintIsStableAndContentBased() throws IOException {
        String first;
        try (Checkpoint c = Checkpoint.open(TestFixtures.tinyGpt2())) {
            first = c.fingerprint();
            assertEquals(first, c.fingerprint());
        }
        assertEquals(TINY_GPT2_FINGERPRINT, first);
        Path copy = Files.createDirectory(dir.resolve("copy"));
        Files.copy(IoTestSupport.tinyGpt2Model(), copy.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint c = Checkpoint.open(copy)) {
            assertEquals(first, c.fingerprint(), "the folder's location does not matter");
        }
        // change one weight byte (a valid file still): the fingerprint changes
        byte[] bytes = Files.readAllBytes(IoTestSupport.tinyGpt2Model());
        bytes[bytes.length - 1] ^= 1;
        Path changed = Files.createDirectory(dir.resolve("changed"));
        Files.write(changed.resolve(Checkpoint.SINGLE_FILE), bytes);
        try (Checkpoint c = Checkpoint.open(changed)) {
            assertNotEquals(first, c.fingerprint());
        }
    }

    /** Splits tiny-gpt2 into two shards plus an index; returns the weight map written. */
    private static Map<String, String> writeShards(Path out) throws IOException {
        Map<String, String> weightMap = new LinkedHashMap<>();
        List<RawTensor> a = new ArrayList<>(), b = new ArrayList<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(IoTestSupport.tinyGpt2Model())) {
            int i = 0;
            for (TensorInfo t : f.tensors().values()) {
                RawTensor r = new RawTensor(t.name(), t.dtype(), t.shape(), IoTestSupport.bytes(f.raw(t.name())));
                boolean first = i++ % 2 == 0;
                (first ? a : b).add(r);
                weightMap.put(t.name(), first ? SHARD1 : SHARD2);
            }
        }
        SafeTensorsWriter.writeRaw(out.resolve(SHARD1), a, Map.of("format", "pt"));
        SafeTensorsWriter.writeRaw(out.resolve(SHARD2), b, Map.of("format", "pt"));
        writeIndex(out, weightMap);
        return weightMap;
    }

    private static void writeIndex(Path out, Map<String, String> weightMap) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"metadata\": {\"total_size\": 6551168},\n  \"weight_map\": {\n");
        int i = 0;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            sb.append("    \"").append(e.getKey()).append("\": \"").append(e.getValue()).append('"')
                    .append(++i < weightMap.size() ? ",\n" : "\n");
        }
        Files.writeString(out.resolve(Checkpoint.INDEX_FILE), sb.append("  }\n}\n").toString());
    }

    @Test
    void shardedCheckpointReadsTheSameTensors() throws IOException {
        Map<String, String> weightMap = writeShards(dir);
        try (Checkpoint single = Checkpoint.open(TestFixtures.tinyGpt2()); Checkpoint sharded = Checkpoint.open(dir)) {
            assertEquals(single.names(), sharded.names());
            assertEquals(new ArrayList<>(weightMap.keySet()), new ArrayList<>(sharded.names()), "index order");
            assertEquals(Set.of(SHARD1, SHARD2), sharded.shardFiles());
            for (String name : single.names()) {
                assertEquals(dir.resolve(weightMap.get(name)), sharded.shardOf(name));
                assertArrayEquals(single.info(name).shape(), sharded.info(name).shape());
                assertArrayEquals(IoTestSupport.nd4jBytes(single.read(name, DataType.DOUBLE)),
                        IoTestSupport.nd4jBytes(sharded.read(name, DataType.DOUBLE)), name);
            }
            String fp = sharded.fingerprint();
            assertNotEquals(single.fingerprint(), fp);
            try (Checkpoint again = Checkpoint.open(dir)) {
                assertEquals(fp, again.fingerprint());
            }
        }
    }

    private static <T extends IOException> T fails(Class<T> type, Path checkpoint, String... fragments) {
        T e = assertThrows(type, () -> Checkpoint.open(checkpoint).close());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "message should mention '" + f + "': " + e.getMessage());
        return e;
    }

    @Test
    void folderWithoutWeights() throws IOException {
        fails(NoSuchFileException.class, dir, dir.toString(), "neither model.safetensors nor model.safetensors.index.json");
        fails(NoSuchFileException.class, dir.resolve("absent"), "absent");
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        writeShards(dir);
        Files.delete(dir.resolve(SHARD2));
        fails(NoSuchFileException.class, dir, SHARD2, Checkpoint.INDEX_FILE, "shard missing");
    }

    @Test
    void tensorListedTwiceInTheIndex() throws IOException {
        writeShards(dir);
        String text = Files.readString(dir.resolve(Checkpoint.INDEX_FILE));
        text = text.replace("\"weight_map\": {\n", "\"weight_map\": {\n    \"transformer.wte.weight\": \"" + SHARD1 + "\",\n");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), text);
        fails(SafeTensorsFormatException.class, dir, Checkpoint.INDEX_FILE, "'transformer.wte.weight'", "twice");
    }

    @Test
    void tensorStoredInTwoShards() throws IOException {
        Map<String, String> weightMap = writeShards(dir);
        // rewrite shard 2 with an extra copy of a tensor that shard 1 holds
        List<RawTensor> b = new ArrayList<>();
        try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(SHARD2)); SafeTensorsFile one = SafeTensorsFile.open(dir.resolve(SHARD1))) {
            for (TensorInfo t : f.tensors().values()) b.add(new RawTensor(t.name(), t.dtype(), t.shape(), IoTestSupport.bytes(f.raw(t.name()))));
            String dup = one.tensors().keySet().iterator().next();
            assertEquals(SHARD1, weightMap.get(dup));
            b.add(new RawTensor(dup, one.info(dup).dtype(), one.info(dup).shape(), IoTestSupport.bytes(one.raw(dup))));
        }
        SafeTensorsWriter.writeRaw(dir.resolve(SHARD2), b, Map.of());
        fails(SafeTensorsFormatException.class, dir, Checkpoint.INDEX_FILE, "appears in two shards", SHARD1, SHARD2);
    }

    @Test
    void indexListsATensorItsShardLacks() throws IOException {
        Map<String, String> weightMap = writeShards(dir);
        weightMap.put("transformer.wte.weight", SHARD2.equals(weightMap.get("transformer.wte.weight")) ? SHARD1 : SHARD2);
        writeIndex(dir, weightMap);
        fails(SafeTensorsFormatException.class, dir, Checkpoint.INDEX_FILE, "'transformer.wte.weight'", "does not contain it");
        weightMap = writeShards(dir);
        weightMap.put("lm_head.weight", SHARD1);
        writeIndex(dir, weightMap);
        fails(SafeTensorsFormatException.class, dir, "'lm_head.weight'", SHARD1, "does not contain it");
    }

    @Test
    void otherIndexProblems() throws IOException {
        Map<String, String> weightMap = writeShards(dir);
        String removed = weightMap.keySet().iterator().next();
        weightMap.remove(removed);
        writeIndex(dir, weightMap);
        fails(SafeTensorsFormatException.class, dir, "'" + removed + "'", "does not list");

        weightMap = writeShards(dir);
        weightMap.put("transformer.wte.weight", "../model.safetensors");
        writeIndex(dir, weightMap);
        fails(SafeTensorsFormatException.class, dir, "../model.safetensors", "not a plain file name");

        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\": {}}");
        fails(SafeTensorsFormatException.class, dir, Checkpoint.INDEX_FILE, "no weight_map");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\": {\"a\": 3}}");
        fails(SafeTensorsFormatException.class, dir, "'a'", "not a string");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\": {");
        fails(SafeTensorsFormatException.class, dir, Checkpoint.INDEX_FILE, "not valid JSON");
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "[]");
        fails(SafeTensorsFormatException.class, dir, Checkpoint.INDEX_FILE, "not a JSON object");
    }

    @Test
    void singleFileWinsOverAnIndex() throws IOException {
        writeShards(dir);
        Files.copy(IoTestSupport.tinyGpt2Model(), dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(Set.of(Checkpoint.SINGLE_FILE), c.shardFiles());
            assertEquals(TINY_GPT2_FINGERPRINT, c.fingerprint());
        }
    }
}
