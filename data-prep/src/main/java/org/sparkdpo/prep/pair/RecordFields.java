package org.sparkdpo.prep.pair;

import java.util.Map;

/**
 * One input record's fields as plain Java values (String, Long/Integer/Double/BigDecimal/BigInteger, Boolean,
 * List, Map, byte[]), whatever the record came from (a JSON line or a Parquet row), so the format rules are written
 * once.
 */
public interface RecordFields {
    /**
     * The value of {@code column}, or null when it is null or absent.
     *
     * @throws Rejected invalid_utf8 when the column's text bytes are not valid UTF-8
     */
    Object get(String column) throws Rejected;

    /** Every column of the record with its value, for the content hash of rows without an id. */
    Map<String, Object> all();
}
