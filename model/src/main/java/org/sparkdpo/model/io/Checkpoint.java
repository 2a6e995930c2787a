package org.sparkdpo.model.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A Hugging Face checkpoint folder: {@code model.safetensors}, or {@code model.safetensors.index.json} plus the
 * shards its {@code weight_map} names. Exists so model code asks for tensors by name without caring how the weights
 * are split, and so caches can key on a content fingerprint of the weights.
 *
 * <p>When both files are present the single file wins, as in transformers. The index must agree with the shards
 * exactly: every listed tensor in its shard, no tensor in two shards, no unlisted tensor.
 */
public final class Checkpoint implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path dir;
    private final Map<String, SafeTensorsFile> shards; // file name -> file, sorted by name
    private final Map<String, SafeTensorsFile> byTensor; // tensor -> shard, in index (or header) order
    private volatile String fingerprint;

    private Checkpoint(Path dir, Map<String, SafeTensorsFile> shards, Map<String, SafeTensorsFile> byTensor) {
        this.dir = dir;
        this.shards = shards;
        this.byTensor = byTensor;
    }

    /** Opens the checkpoint in {@code dir}, validating the index and every shard header. */
    public static Checkpoint open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "not a checkpoint folder");
        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX_FILE);
        if (Files.exists(single)) {
            SafeTensorsFile f = SafeTensorsFile.open(single);
            Map<String, SafeTensorsFile> byTensor = new LinkedHashMap<>();
            for (String name : f.tensors().keySet()) byTensor.put(name, f);
            return new Checkpoint(dir, Map.of(SINGLE_FILE, f), Collections.unmodifiableMap(byTensor));
        }
        if (!Files.exists(index)) {
            throw new NoSuchFileException(dir.toString(), null,
                    "neither " + SINGLE_FILE + " nor " + INDEX_FILE + " found in this checkpoint folder");
        }
        return openSharded(dir, index);
    }

    private static Checkpoint openSharded(Path dir, Path index) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        TreeMap<String, SafeTensorsFile> shards = new TreeMap<>();
        boolean ok = false;
        try {
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shard = e.getValue();
                if (shards.containsKey(shard)) continue;
                Path p = dir.resolve(shard);
                if (!Files.exists(p)) {
                    throw new NoSuchFileException(p.toString(), null, "shard missing: " + index + " maps tensor '"
                            + e.getKey() + "' to '" + shard + "', which does not exist");
                }
                shards.put(shard, SafeTensorsFile.open(p));
            }
            Map<String, String> actual = new HashMap<>();
            for (Map.Entry<String, SafeTensorsFile> s : shards.entrySet()) {
                for (String name : s.getValue().tensors().keySet()) {
                    String other = actual.putIfAbsent(name, s.getKey());
                    if (other != null) {
                        throw new SafeTensorsFormatException(index, "tensor '" + name + "' appears in two shards: '"
                                + other + "' and '" + s.getKey() + "'");
                    }
                }
            }
            Map<String, SafeTensorsFile> byTensor = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                if (!e.getValue().equals(actual.get(e.getKey()))) {
                    throw new SafeTensorsFormatException(index, "weight_map lists tensor '" + e.getKey() + "' in shard '"
                            + e.getValue() + "', but that shard does not contain it"
                            + (actual.containsKey(e.getKey()) ? " (it is in '" + actual.get(e.getKey()) + "')" : ""));
                }
                byTensor.put(e.getKey(), shards.get(e.getValue()));
            }
            for (Map.Entry<String, String> a : actual.entrySet()) {
                if (!weightMap.containsKey(a.getKey())) {
                    throw new SafeTensorsFormatException(index, "shard '" + a.getValue() + "' holds tensor '" + a.getKey()
                            + "', which weight_map does not list");
                }
            }
            ok = true;
            return new Checkpoint(dir, Collections.unmodifiableMap(shards), Collections.unmodifiableMap(byTensor));
        } finally {
            if (!ok) shards.values().forEach(SafeTensorsFile::close);
        }
    }

    /** Parses {@code weight_map} with a streaming parser so a tensor listed twice is reported, not silently merged. */
    private static Map<String, String> readWeightMap(Path index) throws IOException {
        Map<String, String> map = null;
        try (JsonParser p = HeaderParser.JSON.getFactory().createParser(index.toFile())) {
            p.disable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafeTensorsFormatException(index, "index is not a JSON object");
            }
            Set<String> topKeys = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (!topKeys.add(key)) throw new SafeTensorsFormatException(index, "key '" + key + "' appears twice");
                JsonToken v = p.nextToken();
                if (!key.equals("weight_map")) {
                    p.skipChildren();
                    continue;
                }
                if (v != JsonToken.START_OBJECT) {
                    throw new SafeTensorsFormatException(index, "weight_map is not an object of tensor name to shard file");
                }
                map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String tensor = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw new SafeTensorsFormatException(index, "weight_map value for tensor '" + tensor + "' is not a string");
                    }
                    String shard = p.getText();
                    checkShardName(index, tensor, shard);
                    String before = map.put(tensor, shard);
                    if (before != null) {
                        throw new SafeTensorsFormatException(index, "weight_map lists tensor '" + tensor + "' twice (shards '"
                                + before + "' and '" + shard + "')");
                    }
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new SafeTensorsFormatException(index, "trailing content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new SafeTensorsFormatException(index, "index is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (map == null) throw new SafeTensorsFormatException(index, "no weight_map");
        if (map.isEmpty()) throw new SafeTensorsFormatException(index, "weight_map is empty");
        return map;
    }

    private static void checkShardName(Path index, String tensor, String shard) throws SafeTensorsFormatException {
        boolean simple = !shard.isEmpty() && !shard.equals(".") && !shard.equals("..")
                && shard.indexOf('/') < 0 && shard.indexOf('\\') < 0 && shard.indexOf('\0') < 0;
        if (!simple) {
            throw new SafeTensorsFormatException(index, "weight_map maps tensor '" + tensor + "' to '" + shard
                    + "', which is not a plain file name in the checkpoint folder");
        }
    }

    public Path dir() {
        return dir;
    }

    /** Shard file names, sorted. */
    public Set<String> shardFiles() {
        return shards.keySet();
    }

    /** Tensor names: the index's order for sharded checkpoints, header order for a single file. */
    public Set<String> names() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(byTensor.keySet()));
    }

    public boolean contains(String name) {
        return byTensor.containsKey(name);
    }

    /** The tensor's header entry; offsets are relative to its shard's data buffer. */
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    /** The shard file that holds a tensor. */
    public Path shardOf(String name) {
        return shard(name).path();
    }

    /** See {@link SafeTensorsFile#read(String, DataType)}. */
    public INDArray read(String name, DataType computeType) {
        return shard(name).read(name, computeType);
    }

    /** See {@link SafeTensorsFile#read(String)}. */
    public INDArray read(String name) {
        return shard(name).read(name);
    }

    private SafeTensorsFile shard(String name) {
        SafeTensorsFile f = byTensor.get(name);
        if (f == null) {
            throw new IllegalArgumentException(dir + ": checkpoint has no tensor named '" + name + "' ("
                    + byTensor.size() + " tensors in " + shards.keySet() + ")");
        }
        return f;
    }

    /**
     * Hex SHA-256 identifying the weights: for each shard in file-name order, its UTF-8 name, a 0 byte, its length as
     * 8 little-endian bytes, then its contents. Files are streamed, never loaded whole.
     */
    public String fingerprint() throws IOException {
        String f = fingerprint;
        if (f == null) {
            f = computeFingerprint();
            fingerprint = f;
        }
        return f;
    }

    private String computeFingerprint() throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        for (Map.Entry<String, SafeTensorsFile> s : shards.entrySet()) {
            Path p = s.getValue().path();
            sha.update(s.getKey().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Files.size(p)).array());
            try (InputStream in = Files.newInputStream(p)) {
                for (int r; (r = in.read(buf)) > 0; ) sha.update(buf, 0, r);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Override
    public void close() {
        List<SafeTensorsFile> all = new ArrayList<>(shards.values());
        all.forEach(SafeTensorsFile::close);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + dir + ", " + shards.size() + " shard(s), " + byTensor.size() + " tensors]";
    }
}
