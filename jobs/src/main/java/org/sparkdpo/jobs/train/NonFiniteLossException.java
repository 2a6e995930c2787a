package org.sparkdpo.jobs.train;

/** Raised by a worker when a step's loss or gradient is NaN or infinite; the driver reports the step. */
public final class NonFiniteLossException extends RuntimeException {
    private final int step;

    public NonFiniteLossException(int step, double loss, double gradNorm) {
        super("non-finite " + (Double.isFinite(loss) ? "gradient (norm " + gradNorm + ")" : "loss (" + loss + ")")
                + " at step " + (step + 1));
        this.step = step + 1;
    }

    /** The 1-based optimiser step that failed. */
    public int step() {
        return step;
    }
}
