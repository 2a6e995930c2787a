package org.sparkdpo.data;

import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The dataset contract of every stage, in one place: the columns {@code prepare} writes (and the
 * pre-tokenized input format reads), the reject columns, the columns {@code precompute-ref} adds, and the folder
 * layout. Every job reads and writes these names through this class; {@link DatasetManifest} owns the manifest
 * and {@link PairShards} turns reference-scored shards into pairs.
 */
public final class PairColumns {
    /** Row id: the input's id as text, or a content hash (32 hex digits). Unique within the output. */
    public static final String ID = "id";
    /** Prompt token ids, after truncation. */
    public static final String PROMPT_IDS = "prompt_ids";
    /** Chosen completion ids (EOS appended for non-conversational formats), after truncation. */
    public static final String CHOSEN_IDS = "chosen_ids";
    /** Rejected completion ids, likewise. */
    public static final String REJECTED_IDS = "rejected_ids";
    public static final String PROMPT_LEN = "prompt_len";
    public static final String CHOSEN_LEN = "chosen_len";
    public static final String REJECTED_LEN = "rejected_len";
    /** max(prompt_len + chosen_len, prompt_len + rejected_len): the width the pair needs in a batch. */
    public static final String SEQ_LEN = "seq_len";
    /** The padded width of the pair's length bucket ({@code org.sparkdpo.model.logprob.LengthBuckets}). */
    public static final String LENGTH_BUCKET = "length_bucket";
    /** True when truncation shortened the prompt or a completion. */
    public static final String TRUNCATED = "truncated";

    /** Output columns, in order; the passed-through input columns follow them. */
    public static final List<String> OUTPUT = List.of(ID, PROMPT_IDS, CHOSEN_IDS, REJECTED_IDS, PROMPT_LEN, CHOSEN_LEN,
            REJECTED_LEN, SEQ_LEN, LENGTH_BUCKET, TRUNCATED);

    /** Reject columns: the original record as JSON, where it came from, why it was rejected. */
    public static final String ROW_JSON = "row_json";
    public static final String SOURCE_FILE = "source_file";
    /** 1-based line of the record in a JSON file; null for Parquet. */
    public static final String SOURCE_LINE = "source_line";
    /** 0-based position in the file: Parquet row index or JSON array element; null for JSON Lines. */
    public static final String SOURCE_ROW = "source_row";
    public static final String REASON = "reason";
    public static final String DETAIL = "detail";

    /**
     * The folder of rejected rows inside a prepared output: a Parquet dataset of its own ({@code show OUT/_rejects}),
     * skipped by Spark when it reads {@code OUT} (names starting with {@code _} are metadata). Called {@code rejects}
     * in folders written before this layout.
     */
    public static final String REJECTS_DIR = "_rejects";

    /** Added by precompute-ref: summed reference log-prob of the chosen completion (DOUBLE, never null). */
    public static final String REF_CHOSEN_LOGPS = "ref_chosen_logps";
    /** Added by precompute-ref: summed reference log-prob of the rejected completion (DOUBLE, never null). */
    public static final String REF_REJECTED_LOGPS = "ref_rejected_logps";
    /** Added by precompute-ref: number of scored chosen completion tokens (INT). */
    public static final String REF_CHOSEN_TOKENS = "ref_chosen_tokens";
    /** Added by precompute-ref: number of scored rejected completion tokens (INT). */
    public static final String REF_REJECTED_TOKENS = "ref_rejected_tokens";

    /** SFT data: the completion's token ids (EOS appended for text completions), after truncation. */
    public static final String COMPLETION_IDS = "completion_ids";
    /** SFT data: completion_len. */
    public static final String COMPLETION_LEN = "completion_len";
    /** Output columns of prepared SFT data ({@code prepare} on prompt/completion or messages rows), in order. */
    public static final List<String> SFT_OUTPUT = List.of(ID, PROMPT_IDS, COMPLETION_IDS, PROMPT_LEN, COMPLETION_LEN,
            SEQ_LEN, LENGTH_BUCKET, TRUNCATED);
    /** What {@code sft} needs of a prepared SFT shard. */
    public static final List<String> SFT_TOKENS = List.of(ID, PROMPT_IDS, COMPLETION_IDS);

    /** What precompute-ref needs of a prepared shard. */
    public static final List<String> TOKENS = List.of(ID, PROMPT_IDS, CHOSEN_IDS, REJECTED_IDS);
    /** The reference columns precompute-ref adds, in order. */
    public static final List<String> REFERENCE = List.of(REF_CHOSEN_LOGPS, REF_REJECTED_LOGPS, REF_CHOSEN_TOKENS,
            REF_REJECTED_TOKENS);

    private PairColumns() {}

    /** Types of the SFT output columns. */
    public static StructType sftOutputSchema() {
        return new StructType()
                .add(ID, DataTypes.StringType, true)
                .add(PROMPT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(COMPLETION_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(PROMPT_LEN, DataTypes.IntegerType, true)
                .add(COMPLETION_LEN, DataTypes.IntegerType, true)
                .add(SEQ_LEN, DataTypes.IntegerType, true)
                .add(LENGTH_BUCKET, DataTypes.IntegerType, true)
                .add(TRUNCATED, DataTypes.BooleanType, true);
    }

    /** Types of the output columns. */
    public static StructType outputSchema() {
        return new StructType()
                .add(ID, DataTypes.StringType, true)
                .add(PROMPT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(CHOSEN_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(REJECTED_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false), true)
                .add(PROMPT_LEN, DataTypes.IntegerType, true)
                .add(CHOSEN_LEN, DataTypes.IntegerType, true)
                .add(REJECTED_LEN, DataTypes.IntegerType, true)
                .add(SEQ_LEN, DataTypes.IntegerType, true)
                .add(LENGTH_BUCKET, DataTypes.IntegerType, true)
                .add(TRUNCATED, DataTypes.BooleanType, true);
    }
}
