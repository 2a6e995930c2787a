package org.sparkdpo.prep.pair;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A record parsed strictly from one JSON object's text (a JSON Lines line or a JSON array element): duplicate keys
 * and trailing content are errors, and values keep their JSON types, so a number where text belongs is a
 * {@code wrong_type} reject rather than silently becoming text as in Spark's JSON reader.
 */
public final class JsonRecord implements RecordFields {
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Map<String, Object> values;

    private JsonRecord(Map<String, Object> values) {
        this.values = values;
    }

    /**
     * Parses {@code json}.
     *
     * @throws Rejected unparsable_line with the parser's message and column, or wrong_type when it is valid JSON but
     *                  not an object
     */
    public static JsonRecord parse(String json) throws Rejected {
        JsonNode node;
        try {
            node = STRICT.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc == null ? "" : " at column " + loc.getColumnNr();
            throw new Rejected(RejectReason.UNPARSABLE_LINE, "invalid JSON" + where + ": " + firstLine(e.getOriginalMessage()));
        }
        if (node == null || node.isMissingNode()) throw new Rejected(RejectReason.UNPARSABLE_LINE, "no JSON value");
        if (!node.isObject()) {
            throw new Rejected(RejectReason.WRONG_TYPE, "record is " + Kinds.of(plain(node)) + ", expected a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) plain(node);
        return new JsonRecord(m);
    }

    @Override
    public Object get(String column) {
        return values.get(column);
    }

    @Override
    public Map<String, Object> all() {
        return values;
    }

    /** JSON to plain Java: objects to insertion-ordered maps, arrays to lists, integers to Long (BigInteger if huge). */
    static Object plain(JsonNode n) {
        switch (n.getNodeType()) {
            case OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    m.put(e.getKey(), plain(e.getValue()));
                }
                return m;
            }
            case ARRAY: {
                List<Object> l = new ArrayList<>(n.size());
                for (JsonNode x : n) l.add(plain(x));
                return l;
            }
            case STRING:
                return n.textValue();
            case NUMBER:
                if (n.isIntegralNumber()) return n.canConvertToLong() ? (Object) n.longValue() : n.bigIntegerValue();
                return n.isBigDecimal() ? n.decimalValue() : n.doubleValue();
            case BOOLEAN:
                return n.booleanValue();
            case BINARY:
                return n.textValue();
            default:
                return null;
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
