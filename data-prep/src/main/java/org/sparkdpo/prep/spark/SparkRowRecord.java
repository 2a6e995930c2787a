package org.sparkdpo.prep.spark;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.sparkdpo.prep.pair.RecordFields;
import org.sparkdpo.prep.pair.RejectReason;
import org.sparkdpo.prep.pair.Rejected;
import scala.Tuple2;
import scala.collection.JavaConverters;

/**
 * A Spark row's user columns as plain Java values: arrays become lists, structs and maps become maps. Text columns
 * with a raw-bytes companion (Parquet) are decoded strictly, so invalid UTF-8 is rejected rather than silently
 * replaced.
 */
final class SparkRowRecord implements RecordFields {
    private final Row row;
    private final Map<String, Integer> columns;
    private final Map<String, Integer> rawBytes;

    /**
     * @param columns  user column name to index in {@code row}
     * @param rawBytes text column name to the index of its raw bytes in {@code row}
     */
    SparkRowRecord(Row row, Map<String, Integer> columns, Map<String, Integer> rawBytes) {
        this.row = row;
        this.columns = columns;
        this.rawBytes = rawBytes;
    }

    @Override
    public Object get(String column) throws Rejected {
        Integer raw = rawBytes.get(column);
        if (raw != null && !row.isNullAt(raw)) {
            byte[] b = (byte[]) row.get(raw);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw new Rejected(RejectReason.INVALID_UTF8, column + " is not valid UTF-8");
            }
        }
        Integer i = columns.get(column);
        return i == null ? null : plain(row.get(i));
    }

    @Override
    public Map<String, Object> all() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : columns.entrySet()) out.put(e.getKey(), plain(row.get(e.getValue())));
        return out;
    }

    static Object plain(Object v) {
        if (v instanceof Row r) {
            Map<String, Object> m = new LinkedHashMap<>();
            StructField[] fields = r.schema().fields();
            for (int i = 0; i < fields.length; i++) m.put(fields[i].name(), plain(r.get(i)));
            return m;
        }
        if (v instanceof scala.collection.Seq<?> s) {
            List<Object> l = new ArrayList<>(s.size());
            for (Iterator<?> it = JavaConverters.asJavaIterator(s.iterator()); it.hasNext(); ) l.add(plain(it.next()));
            return l;
        }
        if (v instanceof scala.collection.Map<?, ?> sm) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Iterator<? extends Tuple2<?, ?>> it = JavaConverters.asJavaIterator(sm.iterator()); it.hasNext(); ) {
                Tuple2<?, ?> t = it.next();
                m.put(String.valueOf(t._1()), plain(t._2()));
            }
            return m;
        }
        return v;
    }
}
