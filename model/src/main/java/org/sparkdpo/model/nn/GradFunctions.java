package org.sparkdpo.model.nn;

import org.nd4j.autodiff.samediff.SameDiff;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * Creates a SameDiff gradient function without its console noise: ND4J 1.0.0-M2.1 prints one
 * "Added differentiated op" line per op to System.out while differentiating (hundreds per graph, and training
 * workers rebuild graphs), which would bury progress output and corrupt stdout-based outputs.
 */
public final class GradFunctions {
    private static final PrintStream DISCARD = new PrintStream(OutputStream.nullOutputStream());

    private GradFunctions() {}

    /** Builds {@code sd}'s gradient function once (loss variables must be set), with System.out muted meanwhile. */
    public static void ensure(SameDiff sd) {
        if (sd.getFunction("grad") != null) return;
        GradOverrides.register();
        synchronized (GradFunctions.class) {
            PrintStream out = System.out;
            System.setOut(DISCARD);
            try {
                sd.createGradFunction();
            } finally {
                System.setOut(out);
            }
        }
    }
}
