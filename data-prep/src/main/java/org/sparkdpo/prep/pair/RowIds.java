package org.sparkdpo.prep.pair;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Row ids: a given id is kept as text; a row without one gets the first 128 bits (32 hex digits) of the SHA-256 of its
 * canonical content (every column, keys sorted, compact JSON), so the same row always gets the same id, on any
 * partitioning and in any run.
 */
public final class RowIds {
    private static final JsonFactory JSON = new JsonFactory();

    private RowIds() {}

    /**
     * A given id as text: strings as they are, integers in decimal; null (or blank) when the row has none.
     *
     * @throws Rejected wrong_type for other values (fractions, lists, objects)
     */
    public static String given(Object id, String column) throws Rejected {
        if (id == null) return null;
        if (id instanceof String s) return s.isBlank() ? null : s;
        if (id instanceof Long || id instanceof Integer || id instanceof Short || id instanceof Byte || id instanceof BigInteger) {
            return id.toString();
        }
        throw new Rejected(RejectReason.WRONG_TYPE, column + " is " + Kinds.of(id) + ", expected text or an integer id");
    }

    /** The content id of a record. */
    public static String hash(Map<String, Object> record) {
        return HexFormat.of().formatHex(sha256(canonical(record).getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    /** Compact JSON with map keys sorted at every level; binary as base64. */
    public static String canonical(Object value) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            Map<String, Object> sorted = new TreeMap<>();
            m.forEach((k, x) -> sorted.put(String.valueOf(k), x));
            for (Map.Entry<String, Object> e : sorted.entrySet()) {
                g.writeFieldName(e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object x : l) write(g, x);
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d.toPlainString());
        } else if (v instanceof Double || v instanceof Float) {
            g.writeNumber(((Number) v).doubleValue());
        } else if (v instanceof Number n) {
            g.writeNumber(n.toString());
        } else if (v instanceof byte[] b) {
            g.writeString(Base64.getEncoder().encodeToString(b));
        } else {
            g.writeString(v.toString());
        }
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
