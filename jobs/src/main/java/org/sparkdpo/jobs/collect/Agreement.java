package org.sparkdpo.jobs.collect;

/**
 * Inter-annotator agreement over the pairs that exactly two annotators decided (skips not counted). The first
 * decision of a pair (by journal order) is rater 1, the second rater 2; the categories are chosen_a, chosen_b, tie
 * and both_bad.
 *
 * @param kappa Cohen's kappa, (p_o - p_e) / (1 - p_e); null when fewer than 2 such pairs, or p_e = 1 (undefined)
 * @param raw   p_o, the share of those pairs with the same choice; null when there are none
 * @param n     the number of such pairs
 */
public record Agreement(Double kappa, Double raw, int n) {}
