package org.sparkdpo.model.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.config.LlamaConfig;
import org.sparkdpo.model.config.LlamaConfig.RopeScaling;

/**
 * Rotary position embedding tables with Hugging Face's numerics. transformers computes the inverse frequencies
 * and the rotation angles (inv_freq * position) in float32 whatever the model's dtype, so the angles are
 * reproduced here step by step in float arithmetic (including the llama3 and linear frequency scaling); only their
 * cos and sin are then taken in float64. Exact float64 angles would differ from transformers' by 1e-4 rad and more
 * at positions in the thousands (the float32 rounding of angles of that size).
 *
 * <p>One deliberate difference: {@code base ** (2i/d)} is the correctly rounded float32 power, whereas torch's
 * vectorised powf is 1 ulp off for a few (base, d) pairs (e.g. base 1e6, d 128, i = 37); the effect on an angle
 * is a relative 6e-8.
 */
public final class Rope {
    private Rope() {}

    /** The d/2 inverse frequencies of a head of size {@code headDim}, as transformers' rope init functions give them. */
    public static float[] inverseFrequencies(int headDim, double theta, RopeScaling scaling) {
        if (headDim <= 0 || headDim % 2 != 0) throw new IllegalArgumentException("head_dim must be even and positive, got " + headDim);
        int half = headDim / 2;
        float base = (float) theta;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            float power = (float) Math.pow(base, exponent);
            inv[i] = 1.0f / power;
        }
        if (scaling == null) return inv;
        float factor = (float) scaling.factor();
        if (scaling.type() == RopeScaling.Type.LINEAR) {
            for (int i = 0; i < half; i++) inv[i] = inv[i] / factor;
            return inv;
        }
        // llama3: long wavelengths divided by factor, short ones kept, the band between interpolated
        float low = (float) scaling.lowFreqFactor();
        float high = (float) scaling.highFreqFactor();
        float old = (float) scaling.originalMaxPositions();
        float lowWavelen = (float) (scaling.originalMaxPositions() / scaling.lowFreqFactor());
        float highWavelen = (float) (scaling.originalMaxPositions() / scaling.highFreqFactor());
        float band = (float) (scaling.highFreqFactor() - scaling.lowFreqFactor());
        float twoPi = (float) (2 * Math.PI);
        float[] out = new float[half];
        for (int i = 0; i < half; i++) {
            float wavelen = (1.0f / inv[i]) * twoPi;
            float scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
            float smooth = ((1.0f / wavelen) * old - low) / band;
            float smoothed = (1.0f - smooth) * scaled / factor + smooth * scaled;
            boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            out[i] = medium ? smoothed : scaled;
        }
        return out;
    }

    /** {@link #inverseFrequencies(int, double, RopeScaling)} of a config. */
    public static float[] inverseFrequencies(LlamaConfig c) {
        return inverseFrequencies(c.headDim(), c.ropeTheta(), c.ropeScaling());
    }

    /** The float32 rotation angle of frequency {@code i} at {@code position}: float(inv_freq[i] * position). */
    public static float angle(float[] invFreq, int i, int position) {
        return invFreq[i] * (float) position;
    }

    /**
     * cos and sin tables [positions, headDim] for positions 0..positions-1: column j and column j + d/2 both hold
     * the angle of frequency j (transformers' {@code cat(freqs, freqs)}), for the non-interleaved rotate_half.
     */
    public static INDArray[] tables(float[] invFreq, int positions, DataType dtype) {
        int half = invFreq.length;
        int d = 2 * half;
        double[] cos = new double[positions * d];
        double[] sin = new double[positions * d];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double a = angle(invFreq, i, p);
                double c = Math.cos(a), s = Math.sin(a);
                cos[p * d + i] = c;
                cos[p * d + half + i] = c;
                sin[p * d + i] = s;
                sin[p * d + half + i] = s;
            }
        }
        long[] shape = {positions, d};
        return new INDArray[]{Nd4j.create(cos, shape, DataType.DOUBLE).castTo(dtype),
                Nd4j.create(sin, shape, DataType.DOUBLE).castTo(dtype)};
    }

    /**
     * The [d, d] matrix R with x R = rotate_half(x) = [-x2, x1] for x = [x1, x2] split in halves: a constant, so the
     * rotation is one matmul with an exact ±1 / 0 pattern, differentiable without slicing.
     */
    public static INDArray rotateHalfMatrix(int headDim, DataType dtype) {
        int half = headDim / 2;
        INDArray r = Nd4j.zeros(dtype, headDim, headDim);
        for (int c = 0; c < half; c++) {
            r.putScalar(c + half, c, -1.0);      // output column c takes -x[c + d/2]
            r.putScalar(c, c + half, 1.0);       // output column c + d/2 takes x[c]
        }
        return r;
    }
}
