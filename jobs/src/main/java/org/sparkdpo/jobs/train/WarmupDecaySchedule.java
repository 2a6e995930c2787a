package org.sparkdpo.jobs.train;

import org.nd4j.linalg.schedule.ISchedule;

/**
 * Hugging Face's learning-rate schedules (transformers' {@code get_*_schedule_with_warmup}): linear warm-up from
 * 0 over {@code warmupSteps}, then constant, linear decay to 0 at {@code totalSteps}, or half-cosine decay.
 * The value at iteration i is the rate of optimiser step i + 1 (i counts completed steps), as HF steps its
 * scheduler after each optimiser step.
 */
public class WarmupDecaySchedule implements ISchedule {
    /** Shape after warm-up. */
    public enum Decay { CONSTANT, LINEAR, COSINE }

    private double peak;
    private int warmupSteps;
    private int totalSteps;
    private String decay = "LINEAR";

    public WarmupDecaySchedule() {
        // for Jackson
    }

    public WarmupDecaySchedule(double peak, int warmupSteps, int totalSteps, Decay decay) {
        if (totalSteps <= 0) throw new IllegalArgumentException("total steps must be positive, got " + totalSteps);
        this.peak = peak;
        this.warmupSteps = warmupSteps;
        this.totalSteps = totalSteps;
        this.decay = decay.name();
    }

    @Override
    public double valueAt(int iteration, int epoch) {
        return peak * factor(iteration);
    }

    /** The multiplier of the peak rate at {@code step} completed steps. */
    public double factor(int step) {
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (Decay.valueOf(decay)) {
            case CONSTANT -> 1.0;
            case LINEAR -> Math.max(0.0, 1.0 - progress);
            case COSINE -> Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * progress)));
        };
    }

    @Override
    public ISchedule clone() {
        WarmupDecaySchedule c = new WarmupDecaySchedule();
        c.peak = peak;
        c.warmupSteps = warmupSteps;
        c.totalSteps = totalSteps;
        c.decay = decay;
        return c;
    }

    public double getPeak() { return peak; }
    public void setPeak(double peak) { this.peak = peak; }
    public int getWarmupSteps() { return warmupSteps; }
    public void setWarmupSteps(int warmupSteps) { this.warmupSteps = warmupSteps; }
    public int getTotalSteps() { return totalSteps; }
    public void setTotalSteps(int totalSteps) { this.totalSteps = totalSteps; }
    public String getDecay() { return decay; }
    public void setDecay(String decay) { this.decay = decay; }
}
