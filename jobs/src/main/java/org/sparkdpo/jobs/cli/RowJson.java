package org.sparkdpo.jobs.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * One Spark row as one line of JSON, guided by the schema: fields in schema order, nulls kept, arrays as JSON
 * arrays, structs and maps as objects, binary as base64, decimals in plain notation, timestamps as ISO-8601 UTC.
 * Written here rather than with {@code Dataset.toJSON} because that drops null fields.
 */
final class RowJson {
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    private RowJson() {}

    static String toJson(Row row) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            struct(g, row, row.schema());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void struct(JsonGenerator g, Row row, StructType schema) throws IOException {
        g.writeStartObject();
        StructField[] fields = schema.fields();
        for (int i = 0; i < fields.length; i++) {
            g.writeFieldName(fields[i].name());
            value(g, row.isNullAt(i) ? null : row.get(i), fields[i].dataType());
        }
        g.writeEndObject();
    }

    private static void value(JsonGenerator g, Object v, DataType type) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (type instanceof StructType s) {
            struct(g, (Row) v, s);
        } else if (type instanceof ArrayType a) {
            g.writeStartArray();
            for (Iterator<?> it = elements(v); it.hasNext(); ) value(g, it.next(), a.elementType());
            g.writeEndArray();
        } else if (type instanceof MapType m) {
            g.writeStartObject();
            for (Iterator<?> it = entries(v); it.hasNext(); ) {
                Object[] kv = (Object[]) it.next();
                g.writeFieldName(String.valueOf(kv[0]));
                value(g, kv[1], m.valueType());
            }
            g.writeEndObject();
        } else if (v instanceof byte[] bytes) {
            g.writeBinary(bytes);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof BigDecimal d) {
            g.writeNumber(d);
        } else if (v instanceof Number n) {
            g.writeNumber(n.longValue());
        } else if (v instanceof Timestamp t) {
            g.writeString(t.toInstant().toString());
        } else if (v instanceof Instant t) {
            g.writeString(t.toString());
        } else {
            g.writeString(v.toString()); // strings, dates (yyyy-MM-dd), local date-times
        }
    }

    private static Iterator<?> elements(Object v) {
        if (v instanceof scala.collection.Seq<?> seq) return scala.collection.JavaConverters.asJavaIterator(seq.iterator());
        if (v instanceof Iterable<?> it) return it.iterator();
        if (v instanceof Object[] arr) return java.util.Arrays.asList(arr).iterator();
        throw new IllegalArgumentException("unexpected array value " + v.getClass().getName());
    }

    private static Iterator<?> entries(Object v) {
        if (v instanceof scala.collection.Map<?, ?> m) {
            Iterator<? extends Tuple2<?, ?>> it = scala.collection.JavaConverters.asJavaIterator(m.iterator());
            return new Iterator<Object[]>() {
                public boolean hasNext() {
                    return it.hasNext();
                }

                public Object[] next() {
                    Tuple2<?, ?> t = it.next();
                    return new Object[] {t._1(), t._2()};
                }
            };
        }
        if (v instanceof Map<?, ?> m) return m.entrySet().stream().map(e -> new Object[] {e.getKey(), e.getValue()}).iterator();
        throw new IllegalArgumentException("unexpected map value " + v.getClass().getName());
    }
}
