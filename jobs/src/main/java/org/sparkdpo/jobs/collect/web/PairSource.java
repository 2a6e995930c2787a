package org.sparkdpo.jobs.collect.web;

import java.util.Optional;
import org.sparkdpo.jobs.collect.Shown;

/**
 * Where the server gets an annotator's next pair: the queue itself ({@code queue::next}) when the pairs are given,
 * or a collect session that samples a new pair from the model when the queue has none left for the annotator.
 */
@FunctionalInterface
public interface PairSource {
    Optional<Shown> next(String annotator);
}
