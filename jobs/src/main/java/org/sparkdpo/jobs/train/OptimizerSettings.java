package org.sparkdpo.jobs.train;

/**
 * Optimiser settings with Hugging Face Trainer's meanings: AdamW (decoupled weight decay, betas 0.9/0.999,
 * epsilon 1e-8) or SGD, a warm-up/decay schedule, and clipping of the global gradient norm (0 = off).
 */
public record OptimizerSettings(String optimizer, double lr, int warmupSteps, WarmupDecaySchedule.Decay decay,
                                double weightDecay, double maxGradNorm, double adamBeta1, double adamBeta2,
                                double adamEpsilon) {
    public OptimizerSettings {
        if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
            throw new IllegalArgumentException("optimizer must be adamw or sgd, got " + optimizer);
        }
        if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + lr);
        if (warmupSteps < 0) throw new IllegalArgumentException("warmup steps must be >= 0");
        if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0");
        if (maxGradNorm < 0) throw new IllegalArgumentException("max grad norm must be >= 0 (0 = off)");
    }

    public static OptimizerSettings sgd(double lr) {
        return new OptimizerSettings("sgd", lr, 0, WarmupDecaySchedule.Decay.CONSTANT, 0, 0, 0.9, 0.999, 1e-8);
    }
}
