package org.sparkdpo.prep;

import org.sparkdpo.data.PairColumns;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.prep.pair.ColumnMap;
import org.sparkdpo.prep.pair.InputFormat;
import org.sparkdpo.prep.pair.PromptTemplate;

/**
 * Chooses the input format from the columns (after {@code --column-map}), or checks a forced one, on the driver
 * before any row is processed. Detection order: pretokenized (prompt_ids, chosen_ids, rejected_ids), conversational
 * (chosen is a list of {role, content}), standard (prompt), instruction (instruction), implicit (chosen and rejected
 * only); without chosen and rejected, the SFT formats: messages (a list of {role, content}), prompt_completion
 * (prompt and completion). Problems name the columns found and the formats expected.
 */
public final class FormatDetector {
    static final String EXPECTED = "expected one of: standard (prompt, chosen, rejected as text); implicit (chosen,"
            + " rejected as text, no prompt); conversational (chosen, rejected as lists of {role, content}, optional"
            + " prompt); pretokenized (prompt_ids, chosen_ids, rejected_ids as integer lists); instruction (instruction,"
            + " optional input, chosen, rejected); SFT data: prompt_completion (prompt, completion as text); messages"
            + " (messages as a list of {role, content} ending with the assistant's answer). Map other names with --column-map role=column";

    private FormatDetector() {}

    /**
     * The format to use: {@code forced} if given (after checking its columns), else the detected one.
     *
     * @param typed the column types are the input's own (Parquet), not merged by JSON inference; only then is a
     *              forced conversational format refused for text-typed columns (JSON rows are checked one by one)
     */
    public static InputFormat choose(StructType schema, ColumnMap map, InputFormat forced, PromptTemplate template,
                                     boolean typed) {
        InputFormat f = forced != null ? forced : detect(schema, map);
        List<String> missing = new ArrayList<>();
        for (String c : requiredColumns(f, map, template)) if (!has(schema, c)) missing.add(c);
        if (!missing.isEmpty()) {
            throw new PrepareException("format " + f.code() + " needs column(s) " + String.join(", ", missing)
                    + " but the input has " + found(schema) + "; " + EXPECTED);
        }
        if (typed && f == InputFormat.MESSAGES && !messages(schema, map.column("messages"))) {
            throw new PrepareException("format messages needs messages as a list of {role, content}, but column "
                    + map.column("messages") + " is " + schema.apply(map.column("messages")).dataType().simpleString());
        }
        if (typed && f == InputFormat.CONVERSATIONAL && !messages(schema, map.column("chosen"))) {
            throw new PrepareException("format conversational needs chosen as a list of {role, content} messages, but column "
                    + map.column("chosen") + " is " + schema.apply(map.column("chosen")).dataType().simpleString());
        }
        checkClashes(schema, map, f);
        return f;
    }

    static InputFormat detect(StructType schema, ColumnMap map) {
        boolean ids = has(schema, map.column(PairColumns.PROMPT_IDS)) && has(schema, map.column(PairColumns.CHOSEN_IDS))
                && has(schema, map.column(PairColumns.REJECTED_IDS));
        if (ids) return InputFormat.PRETOKENIZED;
        if (has(schema, map.column("chosen")) && has(schema, map.column("rejected"))) {
            if (messages(schema, map.column("chosen"))) return InputFormat.CONVERSATIONAL;
            if (has(schema, map.column("prompt"))) return InputFormat.STANDARD;
            if (has(schema, map.column("instruction"))) return InputFormat.INSTRUCTION;
            return InputFormat.IMPLICIT;
        }
        if (messages(schema, map.column("messages"))) return InputFormat.MESSAGES;
        if (has(schema, map.column("prompt")) && has(schema, map.column("completion"))) return InputFormat.PROMPT_COMPLETION;
        String mapped = map.mapping().isEmpty() ? "" : " (with --column-map " + map + ")";
        throw new PrepareException("cannot detect the input format from the columns found: " + found(schema) + mapped
                + "; " + EXPECTED);
    }

    /** Columns every row of {@code format} needs. */
    public static Set<String> requiredColumns(InputFormat format, ColumnMap map, PromptTemplate template) {
        Set<String> out = new LinkedHashSet<>();
        switch (format) {
            case STANDARD -> out.addAll(List.of(map.column("prompt"), map.column("chosen"), map.column("rejected")));
            case IMPLICIT, CONVERSATIONAL -> out.addAll(List.of(map.column("chosen"), map.column("rejected")));
            case PROMPT_COMPLETION -> out.addAll(List.of(map.column("prompt"), map.column("completion")));
            case MESSAGES -> out.add(map.column("messages"));
            case PRETOKENIZED -> out.addAll(List.of(map.column(PairColumns.PROMPT_IDS), map.column(PairColumns.CHOSEN_IDS), map.column(PairColumns.REJECTED_IDS)));
            case INSTRUCTION -> {
                for (String field : template.requiredFields()) out.add(map.column(field));
                out.addAll(List.of(map.column("chosen"), map.column("rejected")));
            }
        }
        return out;
    }

    /** Top-level text columns the format reads (checked for valid UTF-8 in Parquet input). */
    public static Set<String> textColumns(InputFormat format, ColumnMap map, PromptTemplate template) {
        Set<String> out = new LinkedHashSet<>(List.of(map.column(PairColumns.ID)));
        switch (format) {
            case STANDARD -> out.addAll(requiredColumns(format, map, template));
            case IMPLICIT, PROMPT_COMPLETION -> out.addAll(requiredColumns(format, map, template));
            case INSTRUCTION -> {
                for (String field : template.fields()) out.add(map.column(field));
                out.addAll(List.of(map.column("chosen"), map.column("rejected")));
            }
            default -> { }
        }
        return out;
    }

    /** Input columns named like output columns would be silently replaced: refuse, except the id and pretokenized ids. */
    private static void checkClashes(StructType schema, ColumnMap map, InputFormat f) {
        List<String> clashes = new ArrayList<>();
        for (String c : f.outputColumns()) {
            if (!has(schema, c)) continue;
            boolean idSource = c.equals(PairColumns.ID) && map.column(PairColumns.ID).equals(PairColumns.ID);
            if (!idSource && f != InputFormat.PRETOKENIZED) clashes.add(c);
        }
        if (!clashes.isEmpty()) {
            throw new PrepareException("input column(s) " + String.join(", ", clashes) + " have the names of output columns"
                    + " and would be replaced; drop or rename them (or use --format pretokenized to re-prepare prepared data)");
        }
    }

    static boolean has(StructType schema, String column) {
        return schema.getFieldIndex(column).isDefined();
    }

    /** An array of structs with role and content fields. */
    static boolean messages(StructType schema, String column) {
        if (!has(schema, column)) return false;
        DataType t = schema.apply(column).dataType();
        if (!(t instanceof ArrayType a) || !(a.elementType() instanceof StructType s)) return false;
        return has(s, "role") && has(s, "content");
    }

    private static String found(StructType schema) {
        if (schema.fields().length == 0) return "(no columns)";
        List<String> cols = new ArrayList<>();
        for (var f : schema.fields()) cols.add(f.name() + " " + f.dataType().simpleString());
        return "[" + String.join(", ", cols) + "]";
    }
}
