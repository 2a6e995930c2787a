package org.sparkdpo.prep.spark;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.io.SourceColumns;
import org.sparkdpo.prep.pair.JsonRecord;
import org.sparkdpo.model.logprob.LengthBuckets;
import org.sparkdpo.prep.pair.PairEncoder;
import org.sparkdpo.prep.pair.PairReader;
import org.sparkdpo.prep.pair.RecordFields;
import org.sparkdpo.prep.pair.RejectReason;
import org.sparkdpo.prep.pair.Rejected;
import org.sparkdpo.prep.pair.RowIds;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.TokenizedCompletion;
import org.sparkdpo.prep.pair.TokenizedPair;
import org.sparkdpo.prep.pair.Truncation;
import org.sparkdpo.prep.pair.TruncationMode;

/**
 * The per-row work, run in {@code mapPartitions}: read the pair, give the row its id, tokenize with the JVM's shared
 * tokenizer, truncate, bucket. Every input row yields exactly one output row, kept (reason null) or rejected (reason
 * and detail set), carrying its source position and all its input columns, so nothing is lost and rejects keep the
 * original record.
 *
 * <p>Output layout: {@link #REASON}, {@link #DETAIL}, the source columns ({@link SourceColumns#JSON}, FILE, LINE,
 * ROW), the format's output columns ({@link InputFormat#outputColumns()}: pairs or SFT examples), then the input's columns (one named like an output column is
 * renamed with the prefix {@link #RENAMED}).
 */
public final class PairRows implements MapPartitionsFunction<Row, Row> {
    public static final String REASON = "_prep_reason";
    public static final String DETAIL = "_prep_detail";
    public static final String RENAMED = "_prep_orig_";
    /** {@link #REASON} of a row written in another format than the input's (its {@link #DETAIL} names that format). */
    public static final String MIXED = "_mixed_format";
    private static final String[] SOURCE = {SourceColumns.JSON, SourceColumns.FILE, SourceColumns.LINE, SourceColumns.ROW};
    private static final int FIRST_OUTPUT = 2 + SOURCE.length;

    /**
     * What to do with each row.
     *
     * @param tokenizer       null only for pre-tokenized input without a tokenizer
     * @param idColumn        the column holding given ids
     * @param maxLength       0 for no limit
     * @param maxPromptLength 0 for no limit
     * @param json            rows come from JSON text (parse {@link SourceColumns#JSON}) rather than typed columns
     */
    public record Spec(PairReader reader, TokenizerCache.Ref tokenizer, String idColumn, int maxLength, int maxPromptLength,
                       TruncationMode mode, boolean json) implements Serializable {}

    private final Spec spec;
    private final StructType inputSchema;
    private final StructType userSchema;
    private final StructType outputSchema;
    private final int firstUser;

    /**
     * @param inputSchema the rows' schema: source columns, user columns, raw-bytes companions
     * @param userSchema  the user columns within it
     */
    public PairRows(Spec spec, StructType inputSchema, StructType userSchema) {
        this.spec = spec;
        this.inputSchema = inputSchema;
        this.userSchema = userSchema;
        this.outputSchema = outputSchema(spec.reader().format(), inputSchema, userSchema);
        this.firstUser = FIRST_OUTPUT + spec.reader().format().outputColumns().size();
    }

    public StructType outputSchema() {
        return outputSchema;
    }

    /** The name a user column has in the output of this stage for input of {@code format}. */
    public static String internalName(String userColumn, InputFormat format) {
        return format.outputColumns().contains(userColumn) ? RENAMED + userColumn : userColumn;
    }

    static StructType outputSchema(InputFormat format, StructType inputSchema, StructType userSchema) {
        StructType s = new StructType().add(REASON, DataTypes.StringType, true).add(DETAIL, DataTypes.StringType, true);
        for (String c : SOURCE) s = s.add(inputSchema.apply(c));
        for (StructField f : format.outputSchema().fields()) s = s.add(f);
        for (StructField f : userSchema.fields()) s = s.add(internalName(f.name(), format), f.dataType(), true, f.metadata());
        return s;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        HfTokenizer tok = spec.tokenizer() == null ? null : TokenizerCache.get(spec.tokenizer());
        PairEncoder encoder = new PairEncoder(tok);
        Truncation truncation = new Truncation(spec.maxLength(), spec.maxPromptLength(), spec.mode(), encoder.promptBos());
        Map<String, Integer> user = new LinkedHashMap<>();
        for (String c : userSchema.fieldNames()) user.put(c, inputSchema.fieldIndex(c));
        Map<String, Integer> raw = new HashMap<>();
        for (String c : inputSchema.fieldNames()) {
            if (c.startsWith(SourceColumns.UTF8)) raw.put(c.substring(SourceColumns.UTF8.length()), inputSchema.fieldIndex(c));
        }
        int[] source = new int[SOURCE.length];
        for (int i = 0; i < SOURCE.length; i++) source[i] = inputSchema.fieldIndex(SOURCE[i]);
        int bad = inputSchema.fieldIndex(SourceColumns.BAD);
        int badDetail = inputSchema.fieldIndex(SourceColumns.BAD_DETAIL);
        int width = outputSchema.size();
        int[] userIdx = user.values().stream().mapToInt(Integer::intValue).toArray();

        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row in = rows.next();
                Object[] out = new Object[width];
                for (int i = 0; i < source.length; i++) out[2 + i] = in.get(source[i]);
                for (int i = 0; i < userIdx.length; i++) out[firstUser + i] = in.get(userIdx[i]);
                try {
                    if (!in.isNullAt(bad)) throw new Rejected(RejectReason.valueOf(in.getString(bad).toUpperCase()), in.getString(badDetail));
                    RecordFields f = spec.json() ? JsonRecord.parse(in.getString(source[0])) : new SparkRowRecord(in, user, raw);
                    String id = RowIds.given(f.get(spec.idColumn()), spec.idColumn());
                    out[FIRST_OUTPUT] = id != null ? id : RowIds.hash(f.all());
                    String other = spec.reader().otherFormat(f);
                    if (other != null) {
                        out[0] = MIXED;
                        out[1] = other;
                    } else if (spec.reader().format().sft()) {
                        fill(out, truncation.apply(encoder.encode(spec.reader().readSft(f))));
                    } else {
                        fill(out, truncation.apply(encoder.encode(spec.reader().read(f))));
                    }
                } catch (Rejected r) {
                    out[0] = r.reason().code();
                    out[1] = r.detail();
                }
                return RowFactory.create(out);
            }
        };
    }

    private void fill(Object[] out, TokenizedCompletion t) {
        int o = FIRST_OUTPUT;
        out[o + 1] = t.prompt();
        out[o + 2] = t.completion();
        out[o + 3] = t.prompt().length;
        out[o + 4] = t.completion().length;
        out[o + 5] = t.seqLen();
        out[o + 6] = LengthBuckets.of(t.seqLen(), spec.maxLength());
        out[o + 7] = t.truncated();
    }

    private void fill(Object[] out, TokenizedPair t) {
        int o = FIRST_OUTPUT;
        int seq = t.seqLen();
        out[o + 1] = t.prompt();
        out[o + 2] = t.chosen();
        out[o + 3] = t.rejected();
        out[o + 4] = t.prompt().length;
        out[o + 5] = t.chosen().length;
        out[o + 6] = t.rejected().length;
        out[o + 7] = seq;
        out[o + 8] = LengthBuckets.of(seq, spec.maxLength());
        out[o + 9] = t.truncated();
    }
}
