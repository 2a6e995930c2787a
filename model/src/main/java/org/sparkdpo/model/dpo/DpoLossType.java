package org.sparkdpo.model.dpo;

import java.util.Arrays;
import java.util.Locale;

/** TRL's DPO loss types, under TRL's names ({@code loss_type}). */
public enum DpoLossType {
    SIGMOID, HINGE, IPO, ROBUST, EXO_PAIR, NCA_PAIR, BCO_PAIR, SPPO_HARD, APO_ZERO, APO_DOWN, DISCOPOP, SIGMOID_NORM, SFT;

    /** TRL's spelling, e.g. {@code nca_pair}. */
    public String trlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses TRL's spelling; the error lists every supported type (aot and aot_unpaired are not). */
    public static DpoLossType parse(String s) {
        for (DpoLossType t : values()) if (t.trlName().equals(s.trim().toLowerCase(Locale.ROOT))) return t;
        String hint = s.startsWith("aot") ? " (aot and aot_unpaired sort across the batch and are not supported)" : "";
        throw new IllegalArgumentException("unknown loss type '" + s + "'" + hint + "; supported: "
                + Arrays.stream(values()).map(DpoLossType::trlName).toList());
    }
}
