package org.sparkdpo.prep.pair;

import java.util.Locale;

/**
 * Why a row was not kept; the {@link #code()} is what {@code rejects/} and {@code manifest.json} record, so users can
 * filter and count rejects by a stable word instead of parsing messages.
 */
public enum RejectReason {
    /** A required field is null or absent. */
    NULL_FIELD,
    /** A required field is empty or only whitespace (or, for implicit prompts, there is no shared prefix). */
    EMPTY_FIELD,
    /** Chosen and rejected are identical (as text, or as ids after truncation): the pair carries no preference. */
    CHOSEN_EQUALS_REJECTED,
    /** Under the truncation mode the pair would lose all of its completion (keep_start) or all of its prompt (keep_end). */
    TOO_LONG,
    /** The record's bytes are not valid UTF-8. */
    INVALID_UTF8,
    /** A JSON Lines line that is not valid JSON. */
    UNPARSABLE_LINE,
    /** A field (or the record itself) has the wrong JSON/Spark type, e.g. a number where text is expected. */
    WRONG_TYPE,
    /** A completion has no tokens at all, before any truncation (e.g. a template that renders nothing for it). */
    EMPTY_COMPLETION,
    /** A pre-tokenized id is negative or not below the tokenizer's vocabulary size. */
    ID_OUT_OF_VOCAB,
    /** The chat or prompt template could not render the row. */
    TEMPLATE_ERROR,
    /** Another row (earlier in input order) already has this id; ids must be unique for joins downstream. */
    DUPLICATE_ID;

    /** The lower-case code written to outputs ("null_field"). */
    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
