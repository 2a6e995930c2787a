package org.sparkdpo.jobs.collect;

/**
 * Where labelling stands.
 *
 * @param done          pairs this annotator has decided (skips included)
 * @param total         pairs this annotator may see: its decided ones plus those still needing an annotator
 * @param overallDone   decisions that count toward the target (non-skip, at most {@code overlap} per pair)
 * @param overallNeeded pairs x overlap
 */
public record Progress(String annotator, int done, int total, int overallDone, int overallNeeded) {
    /** "done/total (annotator)", the terminal's progress line. */
    public String line() {
        return done + "/" + total + " (" + annotator + ")";
    }
}
