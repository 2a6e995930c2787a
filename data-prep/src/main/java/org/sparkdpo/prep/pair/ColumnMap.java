package org.sparkdpo.prep.pair;

import org.sparkdpo.data.PairColumns;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which input column plays which role ({@code --column-map prompt=question,chosen=good}), so datasets with their own
 * column names need no rewriting. Roles not mapped use their own name as the column name.
 *
 * @param mapping role to column name, only for the roles that were mapped
 */
public record ColumnMap(Map<String, String> mapping) implements Serializable {
    /** The roles a column can be mapped to. */
    public static final List<String> ROLES = List.of("prompt", "chosen", "rejected", PairColumns.ID, "instruction", "input", "completion", "messages",
            PairColumns.PROMPT_IDS, PairColumns.CHOSEN_IDS, PairColumns.REJECTED_IDS);

    public ColumnMap {
        mapping = new TreeMap<>(mapping);
        for (String role : mapping.keySet()) {
            if (!ROLES.contains(role)) throw new IllegalArgumentException("unknown role '" + role + "'");
        }
    }

    public static ColumnMap identity() {
        return new ColumnMap(Map.of());
    }

    /**
     * Parses {@code role=column} items.
     *
     * @throws IllegalArgumentException naming the bad item (unknown role, missing '=', role given twice)
     */
    public static ColumnMap parse(List<String> items) {
        Map<String, String> m = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0 || eq == item.length() - 1) {
                errors.add("'" + item + "' is not role=column");
                continue;
            }
            String role = item.substring(0, eq).trim();
            String column = item.substring(eq + 1).trim();
            if (!ROLES.contains(role)) {
                errors.add("unknown role '" + role + "' in '" + item + "' (roles: " + String.join(", ", ROLES) + ")");
            } else if (m.put(role, column) != null) {
                errors.add("role '" + role + "' mapped twice");
            }
        }
        if (!errors.isEmpty()) throw new IllegalArgumentException(String.join("; ", errors));
        return new ColumnMap(m);
    }

    /** The input column for {@code role} (the role's own name unless mapped). */
    public String column(String role) {
        return mapping.getOrDefault(role, role);
    }

    /** "prompt=question,chosen=good" (sorted by role), or "" when nothing is mapped. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        mapping.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(",", parts);
    }
}
