package org.sparkdpo.prep.io;

/**
 * Names of the bookkeeping columns the readers add beside a record's own columns; the prefix keeps them apart from
 * user columns (an input column with this prefix is refused).
 */
public final class SourceColumns {
    public static final String PREFIX = "_prep_";
    /** The file the record came from (qualified URI). */
    public static final String FILE = "_prep_file";
    /** 1-based line where the record starts (JSON files), else null. */
    public static final String LINE = "_prep_line";
    /** 0-based position of the record in its file (Parquet row index, JSON array element), else null. */
    public static final String ROW = "_prep_row";
    /** A reject code set while reading (invalid_utf8, wrong_type), else null. */
    public static final String BAD = "_prep_bad";
    /** Detail of {@link #BAD}. */
    public static final String BAD_DETAIL = "_prep_bad_detail";
    /** The record's original JSON text (JSON inputs), else null. */
    public static final String JSON = "_prep_json";
    /** Prefix of the raw bytes of a Parquet text column, used to check UTF-8. */
    public static final String UTF8 = "_prep_utf8_";

    private SourceColumns() {}
}
