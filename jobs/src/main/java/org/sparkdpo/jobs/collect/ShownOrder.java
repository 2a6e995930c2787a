package org.sparkdpo.jobs.collect;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.sparkdpo.jobs.common.Sha256;

/**
 * The order an annotator sees a pair in: "ab" (answer_a first) or "ba". It is a hash of (pair id, annotator), so it
 * is random-looking across pairs (no side bias to learn) yet identical on every reload and rerun, and the key a person
 * presses ("1" = the first shown) maps back to the same content choice.
 */
public final class ShownOrder {
    public static final String AB = "ab";
    public static final String BA = "ba";

    private ShownOrder() {}

    public static String of(String pairId, String annotator) {
        MessageDigest md = Sha256.digest();
        md.update(pairId.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(annotator.getBytes(StandardCharsets.UTF_8));
        return (md.digest()[0] & 1) == 0 ? AB : BA;
    }

    /**
     * The content choice of a key: "1"/"2" pick the first/second answer shown; "t", "b", "s" are tie, both bad, skip.
     *
     * @throws IllegalArgumentException for any other key or an order other than "ab"/"ba"
     */
    public static Choice fromKey(String key, String shownOrder) {
        if (!AB.equals(shownOrder) && !BA.equals(shownOrder)) {
            throw new IllegalArgumentException("shown order must be ab or ba, got " + shownOrder);
        }
        boolean abFirst = AB.equals(shownOrder);
        return switch (key == null ? "" : key) {
            case "1" -> abFirst ? Choice.CHOSEN_A : Choice.CHOSEN_B;
            case "2" -> abFirst ? Choice.CHOSEN_B : Choice.CHOSEN_A;
            case "t" -> Choice.TIE;
            case "b" -> Choice.BOTH_BAD;
            case "s" -> Choice.SKIP;
            default -> throw new IllegalArgumentException("unknown key '" + key + "' (1, 2, t, b or s)");
        };
    }

    /** The decision keys {@link #fromKey} accepts. */
    public static boolean isDecisionKey(String key) {
        return key != null && (key.equals("1") || key.equals("2") || key.equals("t") || key.equals("b") || key.equals("s"));
    }
}
