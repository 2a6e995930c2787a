package org.sparkdpo.jobs.train;

import java.io.Serializable;

/** One evaluated pair: policy and reference log-probs, token counts, vocabulary-logit sums and its loss. */
public record PairScore(String id, double policyChosen, double policyRejected, double refChosen, double refRejected,
                        int chosenTokens, int rejectedTokens, double chosenLogitSum, double rejectedLogitSum,
                        double loss) implements Serializable {}
