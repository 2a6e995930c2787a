package org.sparkdpo.model.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads and fully validates a safetensors header; nothing here looks at tensor data. */
final class HeaderParser {
    /** The format's limit on the JSON header, in bytes. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");

    static final JsonMapper JSON = JsonMapper.builder(
                    com.fasterxml.jackson.core.JsonFactory.builder()
                            .streamReadConstraints(StreamReadConstraints.builder()
                                    .maxStringLength(Integer.MAX_VALUE).build())
                            .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** A validated header: metadata, tensors in header order, and where the data buffer lies in the file. */
    record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors, long dataStart, long dataSize) {}

    private final String file;

    private HeaderParser(String file) {
        this.file = file;
    }

    static Header read(FileChannel ch, String file) throws IOException {
        return new HeaderParser(file).read(ch);
    }

    private SafeTensorsFormatException error(String problem) {
        return new SafeTensorsFormatException(file, problem);
    }

    private Header read(FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw error("file is " + size + " bytes, shorter than the 8-byte header length (truncated or not safetensors)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        // n is an unsigned u64: a negative long means >= 2^63.
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw error("header length " + Long.toUnsignedString(n) + " exceeds the format limit of "
                    + MAX_HEADER_BYTES + " bytes (corrupt or not safetensors)");
        }
        if (n > size - 8) {
            throw error("header length " + n + " runs past the end of the file (" + size
                    + " bytes): file truncated or corrupt");
        }
        if (n < 2) {
            throw error("header length " + n + " is too short for a JSON object");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) n);
        readFully(ch, headerBytes, 8);
        headerBytes.flip();
        if (headerBytes.get(0) != '{') {
            throw error(String.format("header must be a JSON object starting with '{' but starts with byte 0x%02x%s",
                    headerBytes.get(0) & 0xff, printable(headerBytes.get(0))));
        }
        String text = decodeUtf8(headerBytes);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafeTensorsFormatException(file, "header is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (at header character " + e.getLocation().getCharOffset() + ")" : ""), e);
        }
        if (root == null || !root.isObject()) {
            throw error("header JSON is " + (root == null ? "empty" : root.getNodeType().toString().toLowerCase())
                    + ", expected an object");
        }
        Map<String, String> metadata = Collections.emptyMap();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                metadata = parseMetadata(e.getValue());
            } else {
                tensors.put(e.getKey(), parseEntry(e.getKey(), e.getValue()));
            }
        }
        long dataStart = 8 + n;
        long dataSize = size - dataStart;
        checkLayout(tensors.values(), dataSize);
        return new Header(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors), dataStart, dataSize);
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? " '" + (char) b + "'" : "";
    }

    private String decodeUtf8(ByteBuffer bytes) throws SafeTensorsFormatException {
        try {
            CharBuffer cb = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes.duplicate());
            return cb.toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsFormatException(file, "header is not valid UTF-8", e);
        }
    }

    private Map<String, String> parseMetadata(JsonNode node) throws SafeTensorsFormatException {
        if (!node.isObject()) {
            throw error("__metadata__ is " + kind(node) + ", expected an object of string to string");
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw error("__metadata__ value for key '" + e.getKey() + "' is " + kind(e.getValue())
                        + ", expected a string");
            }
            m.put(e.getKey(), e.getValue().textValue());
        }
        return m;
    }

    private TensorInfo parseEntry(String name, JsonNode node) throws SafeTensorsFormatException {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw error(where + ": entry is " + kind(node) + ", expected an object with dtype, shape, data_offsets");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!ENTRY_FIELDS.contains(f)) {
                throw error(where + ": unexpected field '" + f + "' (allowed: dtype, shape, data_offsets)");
            }
        }
        for (String f : List.of("dtype", "shape", "data_offsets")) {
            if (!node.has(f)) throw error(where + ": missing field '" + f + "'");
        }
        JsonNode dt = node.get("dtype");
        if (!dt.isTextual()) throw error(where + ": dtype is " + kind(dt) + ", expected a string");
        DType dtype = DType.lookup(dt.textValue());
        if (dtype == null) {
            throw error(where + ": unknown or unsupported dtype '" + dt.textValue() + "' (known: " + DType.knownNames() + ")");
        }
        long[] shape = longArray(node.get("shape"), where + ": shape", -1);
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw error(where + ": negative dimension " + shape[i] + " in shape " + Arrays.toString(shape));
        }
        long[] offsets = longArray(node.get("data_offsets"), where + ": data_offsets", 2);
        if (offsets[0] < 0 || offsets[1] < 0) {
            throw error(where + ": negative data_offsets " + Arrays.toString(offsets));
        }
        long begin = offsets[0], end = offsets[1];
        if (begin > end) {
            throw error(where + ": data_offsets [" + begin + "," + end + ") out of order (begin > end)");
        }
        long bytes;
        try {
            long numel = 1;
            for (long d : shape) numel = Math.multiplyExact(numel, d);
            bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw error(where + ": shape " + Arrays.toString(shape) + " overflows (product of dimensions times itemsize > 2^63-1)");
        }
        if (end - begin != bytes) {
            throw error(where + ": wrong byte count: data_offsets [" + begin + "," + end + ") hold " + (end - begin)
                    + " bytes but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private long[] longArray(JsonNode node, String what, int requiredLength) throws SafeTensorsFormatException {
        if (!node.isArray()) throw error(what + " is " + kind(node) + ", expected an array of integers");
        if (requiredLength >= 0 && node.size() != requiredLength) {
            throw error(what + " has " + node.size() + " elements, expected " + requiredLength);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber()) throw error(what + "[" + i + "] is " + kind(v) + ", expected an integer");
            if (!v.canConvertToLong()) throw error(what + "[" + i + "] = " + v.asText() + " is too large");
            out[i] = v.longValue();
        }
        return out;
    }

    private static String kind(JsonNode n) {
        if (n.isTextual()) return "a string";
        if (n.isIntegralNumber()) return "an integer (" + n.asText() + ")";
        if (n.isNumber()) return "a non-integer number (" + n.asText() + ")";
        if (n.isBoolean()) return "a boolean";
        if (n.isNull()) return "null";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return n.getNodeType().toString().toLowerCase();
    }

    /** Offsets must tile the data buffer exactly: contiguous from 0, no overlap, no hole, nothing past the end. */
    private void checkLayout(java.util.Collection<TensorInfo> tensors, long dataSize) throws SafeTensorsFormatException {
        for (TensorInfo t : tensors) {
            if (t.end() > dataSize) {
                throw error("tensor '" + t.name() + "': data_offsets [" + t.begin() + "," + t.end()
                        + ") out of range: the data buffer holds only " + dataSize + " bytes (file truncated?)");
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long pos = 0;
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.begin() < pos) {
                throw error("tensors '" + prev.name() + "' [" + prev.begin() + "," + prev.end() + ") and '" + t.name()
                        + "' [" + t.begin() + "," + t.end() + ") overlap");
            }
            if (t.begin() > pos) {
                throw error("hole of " + (t.begin() - pos) + " unused bytes in the data buffer before tensor '" + t.name()
                        + "' (begins at " + t.begin() + ", " + (prev == null ? "expected 0" : "'" + prev.name() + "' ends at " + pos) + ")");
            }
            pos = t.end();
            prev = t;
        }
        if (pos != dataSize) {
            throw error("hole of " + (dataSize - pos) + " unused bytes at the end of the data buffer: tensors end at "
                    + pos + " but the file holds " + dataSize + " data bytes");
        }
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) throw new java.io.EOFException("unexpected end of file at byte " + pos);
            pos += r;
        }
    }
}
