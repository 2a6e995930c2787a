package org.sparkdpo.jobs.precompute;

import org.sparkdpo.data.PairColumns;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Row-level Parquet plumbing for the precompute: reading token-id arrays, copying every input column unchanged
 * (whatever its type or nesting) and extending the schema with the reference columns. Works on parquet-mr's
 * {@link Group} records so that each task reads and writes its own files, with fixed writer settings.
 */
final class ParquetRows {
    /** Footer key under which Spark stores its own schema (keeps types Parquet cannot express). */
    static final String SPARK_SCHEMA_KEY = "org.apache.spark.sql.parquet.row.metadata";

    private ParquetRows() {}

    /** The input schema followed by the four reference columns (required: never null). */
    static MessageType outputSchema(MessageType in) throws java.io.IOException {
        for (String c : PairColumns.TOKENS) {
            if (!in.containsField(c)) {
                throw new java.io.IOException("column '" + c + "' is missing; columns found: " + fieldNames(in));
            }
        }
        for (String c : PairColumns.REFERENCE) {
            if (in.containsField(c)) {
                throw new java.io.IOException("column '" + c + "' already exists: the input already holds reference log-probs");
            }
        }
        List<Type> fields = new ArrayList<>(in.getFields());
        fields.add(Types.required(PrimitiveTypeName.DOUBLE).named(PairColumns.REF_CHOSEN_LOGPS));
        fields.add(Types.required(PrimitiveTypeName.DOUBLE).named(PairColumns.REF_REJECTED_LOGPS));
        fields.add(Types.required(PrimitiveTypeName.INT32).named(PairColumns.REF_CHOSEN_TOKENS));
        fields.add(Types.required(PrimitiveTypeName.INT32).named(PairColumns.REF_REJECTED_TOKENS));
        return new MessageType(in.getName(), fields);
    }

    /**
     * The input footer's key-value metadata for the output: kept as is, except that Spark's schema (when present)
     * gets the four reference fields so Spark reads the output with exactly the input's types plus ours.
     */
    static Map<String, String> outputMetadata(Map<String, String> in) {
        Map<String, String> out = new LinkedHashMap<>(in);
        String json = in.get(SPARK_SCHEMA_KEY);
        if (json != null) {
            DataType t = DataType.fromJson(json);
            if (t instanceof StructType s) {
                s = s.add(PairColumns.REF_CHOSEN_LOGPS, DataTypes.DoubleType, false)
                        .add(PairColumns.REF_REJECTED_LOGPS, DataTypes.DoubleType, false)
                        .add(PairColumns.REF_CHOSEN_TOKENS, DataTypes.IntegerType, false)
                        .add(PairColumns.REF_REJECTED_TOKENS, DataTypes.IntegerType, false);
                out.put(SPARK_SCHEMA_KEY, s.json());
            }
        }
        return out;
    }

    /**
     * The int array in top-level field {@code name}: Spark's three-level LIST, the legacy two-level forms, or a bare
     * repeated int32. Null when the value is null; a null element is an error.
     */
    static int[] intArray(Group row, String name) {
        int f = row.getType().getFieldIndex(name);
        if (row.getFieldRepetitionCount(f) == 0) return null;
        Type t = row.getType().getType(f);
        if (t.isPrimitive()) {                                  // repeated int32 name
            int n = row.getFieldRepetitionCount(f);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) out[i] = row.getInteger(f, i);
            return out;
        }
        Group list = row.getGroup(f, 0);
        if (list.getType().getFieldCount() != 1) throw new IllegalArgumentException("column '" + name + "' is not a list of ints");
        int n = list.getFieldRepetitionCount(0);
        int[] out = new int[n];
        Type rep = list.getType().getType(0);
        for (int i = 0; i < n; i++) {
            if (rep.isPrimitive()) {
                out[i] = list.getInteger(0, i);                 // two-level: repeated int32 element
            } else {
                Group element = list.getGroup(0, i);            // three-level: repeated group list { element }
                if (element.getFieldRepetitionCount(0) == 0) {
                    throw new IllegalArgumentException("column '" + name + "' holds a null token id at position " + i);
                }
                out[i] = element.getInteger(0, 0);
            }
        }
        return out;
    }

    /** The top-level field as text (for ids and messages), or "null". */
    static String text(Group row, String name) {
        int f = row.getType().getFieldIndex(name);
        return row.getFieldRepetitionCount(f) == 0 ? "null" : row.getValueToString(f, 0);
    }

    /** Copies every field of {@code from} into the same field indices of {@code to}, recursively. */
    static void copy(Group from, Group to) {
        GroupType type = from.getType();
        for (int f = 0; f < type.getFieldCount(); f++) {
            Type ft = type.getType(f);
            int n = from.getFieldRepetitionCount(f);
            for (int i = 0; i < n; i++) {
                if (!ft.isPrimitive()) {
                    copy(from.getGroup(f, i), to.addGroup(f));
                    continue;
                }
                switch (ft.asPrimitiveType().getPrimitiveTypeName()) {
                    case INT32 -> to.add(f, from.getInteger(f, i));
                    case INT64 -> to.add(f, from.getLong(f, i));
                    case BOOLEAN -> to.add(f, from.getBoolean(f, i));
                    case FLOAT -> to.add(f, from.getFloat(f, i));
                    case DOUBLE -> to.add(f, from.getDouble(f, i));
                    case BINARY, FIXED_LEN_BYTE_ARRAY -> to.add(f, from.getBinary(f, i));
                    case INT96 -> to.add(f, from.getInt96(f, i));
                    default -> throw new IllegalArgumentException("unsupported Parquet type " + ft);
                }
            }
        }
    }

    private static List<String> fieldNames(GroupType t) {
        return t.getFields().stream().map(Type::getName).toList();
    }
}
