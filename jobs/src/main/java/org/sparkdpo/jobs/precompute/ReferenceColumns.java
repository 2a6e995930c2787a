package org.sparkdpo.jobs.precompute;

import java.util.List;

/**
 * Column names of the precompute contract: what it reads from data-prep's shards and what it adds for the trainer.
 * One place, so the trainer and this job cannot drift apart.
 */
public final class ReferenceColumns {
    /** Input: row identity, used in error messages. */
    public static final String ID = "id";
    /** Input: token ids (ARRAY&lt;INT&gt;); completions include EOS. */
    public static final String PROMPT_IDS = "prompt_ids";
    public static final String CHOSEN_IDS = "chosen_ids";
    public static final String REJECTED_IDS = "rejected_ids";

    /** Output: summed reference log-prob of the chosen completion (DOUBLE, never null). */
    public static final String REF_CHOSEN_LOGPS = "ref_chosen_logps";
    /** Output: summed reference log-prob of the rejected completion (DOUBLE, never null). */
    public static final String REF_REJECTED_LOGPS = "ref_rejected_logps";
    /** Output: number of scored chosen completion tokens (INT). */
    public static final String REF_CHOSEN_TOKENS = "ref_chosen_tokens";
    /** Output: number of scored rejected completion tokens (INT). */
    public static final String REF_REJECTED_TOKENS = "ref_rejected_tokens";

    public static final List<String> REQUIRED_INPUT = List.of(ID, PROMPT_IDS, CHOSEN_IDS, REJECTED_IDS);
    public static final List<String> ADDED = List.of(REF_CHOSEN_LOGPS, REF_REJECTED_LOGPS, REF_CHOSEN_TOKENS, REF_REJECTED_TOKENS);

    private ReferenceColumns() {}
}
