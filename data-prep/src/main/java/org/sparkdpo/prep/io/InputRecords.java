package org.sparkdpo.prep.io;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.sparkdpo.common.spark.HadoopConf;
import org.sparkdpo.prep.PrepareException;

/**
 * Every input record as one row: the {@link SourceColumns} bookkeeping columns followed by the record's own columns
 * with their types (Parquet's, or for JSON the types Spark infers from all valid records), so later stages see one
 * shape whatever the input kind.
 */
public final class InputRecords {
    private final InputFiles files;
    private final Dataset<Row> rows;
    private final StructType userSchema;
    private final long count;
    private final Dataset<Row> cached;

    private InputRecords(InputFiles files, Dataset<Row> rows, StructType userSchema, long count, Dataset<Row> cached) {
        this.files = files;
        this.rows = rows;
        this.userSchema = userSchema;
        this.count = count;
        this.cached = cached;
    }

    /** Reads the inputs; counts the records (the job's "read" count) with a job of its own. */
    public static InputRecords read(SparkSession spark, InputFiles files, HadoopConf conf) {
        if (files.isParquet()) {
            Dataset<Row> df = spark.read().parquet(files.parquet().toArray(String[]::new));
            StructType schema = df.schema();
            checkNames(schema);
            List<Column> cols = new ArrayList<>(List.of(
                    col("_metadata.file_path").as(SourceColumns.FILE),
                    lit(null).cast(DataTypes.LongType).as(SourceColumns.LINE),
                    col("_metadata.row_index").as(SourceColumns.ROW),
                    lit(null).cast(DataTypes.StringType).as(SourceColumns.BAD),
                    lit(null).cast(DataTypes.StringType).as(SourceColumns.BAD_DETAIL),
                    lit(null).cast(DataTypes.StringType).as(SourceColumns.JSON)));
            for (String name : schema.fieldNames()) cols.add(quoted(name));
            return new InputRecords(files, df.select(cols.toArray(Column[]::new)), schema, df.count(), null);
        }
        Dataset<Row> raw = JsonInput.read(spark, files, conf).persist(StorageLevel.MEMORY_AND_DISK());
        long n = raw.count();
        List<Row> fatal = raw.filter(col(SourceColumns.BAD).equalTo(JsonInput.FATAL)).select(SourceColumns.BAD_DETAIL)
                .limit(1).collectAsList();
        if (!fatal.isEmpty()) {
            raw.unpersist();
            throw new PrepareException(fatal.get(0).getString(0));
        }
        Dataset<String> valid = raw.filter(col(SourceColumns.BAD).isNull()).select(SourceColumns.JSON).as(Encoders.STRING());
        StructType schema = n == 0 ? new StructType() : spark.read().option("mode", "DROPMALFORMED").json(valid).schema();
        checkNames(schema);
        List<Column> cols = new ArrayList<>();
        for (StructField f : JsonInput.SCHEMA.fields()) cols.add(col(f.name()));
        Dataset<Row> typed = raw;
        if (schema.fields().length > 0) {
            typed = raw.withColumn("_prep_parsed", from_json(col(SourceColumns.JSON), schema));
            for (String name : schema.fieldNames()) cols.add(col("_prep_parsed").getField(name).as(name));
        }
        return new InputRecords(files, typed.select(cols.toArray(Column[]::new)), schema, n, raw);
    }

    private static void checkNames(StructType schema) {
        for (String name : schema.fieldNames()) {
            if (name.startsWith(SourceColumns.PREFIX)) {
                throw new PrepareException("input column '" + name + "' uses the prefix " + SourceColumns.PREFIX
                        + " reserved for the job's bookkeeping; rename it");
            }
        }
    }

    static Column quoted(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }

    public InputFiles files() {
        return files;
    }

    /** The records' own columns (without bookkeeping). */
    public StructType userSchema() {
        return userSchema;
    }

    /** Number of records read, blank JSON lines excluded. */
    public long count() {
        return count;
    }

    /**
     * The rows, plus for Parquet the raw bytes of the given top-level text columns as
     * {@link SourceColumns#UTF8}{@code name} (Spark decodes invalid UTF-8 silently; the bytes let the job reject it).
     */
    public Dataset<Row> rows(Collection<String> textColumns) {
        if (!files.isParquet()) return rows;
        Dataset<Row> out = rows;
        for (String c : textColumns) {
            int i = userSchema.getFieldIndex(c).isDefined() ? userSchema.fieldIndex(c) : -1;
            if (i >= 0 && userSchema.fields()[i].dataType().equals(DataTypes.StringType)) {
                out = out.withColumn(SourceColumns.UTF8 + c, quoted(c).cast(DataTypes.BinaryType));
            }
        }
        return out;
    }

    /** Frees cached input data. */
    public void release() {
        if (cached != null) cached.unpersist();
    }
}
