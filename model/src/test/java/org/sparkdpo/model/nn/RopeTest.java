package org.sparkdpo.model.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.config.LlamaConfig;
import org.sparkdpo.model.config.LlamaConfig.RopeScaling;
import org.sparkdpo.model.config.ModelConfig;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rotary tables and their application: against the PyTorch reference and against values derived here by hand. */
class RopeTest {

    static Path golden(String name) {
        return TestFixtures.repoRoot().resolve("model/src/test/resources/oracle-llama").resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "qwen2"})
    void inverseFrequenciesAndTablesEqualTheReference(String name) throws Exception {
        LlamaConfig c = (LlamaConfig) ModelConfig.load(golden(name));
        JsonNode rope = new ObjectMapper().readTree(golden(name).resolve("cases.json").toFile()).get("rope");
        float[] inv = Rope.inverseFrequencies(c);
        assertEquals(rope.get("inv_freq").size(), inv.length);
        for (int i = 0; i < inv.length; i++) {
            assertEquals((float) rope.get("inv_freq").get(i).asDouble(), inv[i], 0f, name + " inv_freq[" + i + "] bit-exact");
        }
        int maxPos = 0;
        for (JsonNode p : rope.get("positions")) maxPos = Math.max(maxPos, p.asInt());
        INDArray[] t = Rope.tables(inv, maxPos + 1, DataType.DOUBLE);
        for (int k = 0; k < rope.get("positions").size(); k++) {
            int p = rope.get("positions").get(k).asInt();
            for (int j = 0; j < c.headDim(); j++) {
                assertEquals(rope.get("cos").get(k).get(j).asDouble(), t[0].getDouble(p, j), 1e-15, name + " cos[" + p + "][" + j + "]");
                assertEquals(rope.get("sin").get(k).get(j).asDouble(), t[1].getDouble(p, j), 1e-15, name + " sin[" + p + "][" + j + "]");
            }
        }
    }

    /** theta^(-2i/d) in exact arithmetic: the float32 formula must agree to float32 precision. */
    @Test
    void plainFrequenciesAreThetaToTheMinusTwoIOverD() {
        float[] inv = Rope.inverseFrequencies(128, 500000.0, null);
        assertEquals(64, inv.length);
        assertEquals(1.0f, inv[0]);
        for (int i = 0; i < 64; i++) {
            double exact = Math.pow(500000.0, -2.0 * i / 128);
            assertEquals(exact, inv[i], 2e-7 * exact, "inv_freq[" + i + "]");
        }
    }

    /**
     * Llama 3.1's rescaling derived independently (in double) for its real settings: factor 8, low 1, high 4,
     * original context 8192, theta 500000, d 128. Wavelengths above 8192 are divided by 8, below 2048 kept, and
     * in between interpolated as (1 - s) inv/8 + s inv with s = (8192/wavelen - 1) / 3.
     */
    @Test
    void llama3ScalingByBand() {
        RopeScaling s = RopeScaling.llama3(8, 1, 4, 8192);
        float[] inv = Rope.inverseFrequencies(128, 500000.0, s);
        int kept = 0, divided = 0, smoothed = 0;
        for (int i = 0; i < 64; i++) {
            double f = Math.pow(500000.0, -2.0 * i / 128);
            double wavelen = 2 * Math.PI / f;
            double want;
            if (wavelen < 2048) {
                want = f;
                kept++;
            } else if (wavelen > 8192) {
                want = f / 8;
                divided++;
            } else {
                double sm = (8192 / wavelen - 1) / 3;
                want = (1 - sm) * f / 8 + sm * f;
                smoothed++;
            }
            assertEquals(want, inv[i], 1e-6 * want, "inv_freq[" + i + "] wavelen " + wavelen);
        }
        assertTrue(kept > 0 && divided > 0 && smoothed > 0, kept + "/" + smoothed + "/" + divided);
        // linear scaling divides every frequency
        float[] lin = Rope.inverseFrequencies(64, 10000.0, RopeScaling.linear(4));
        float[] plain = Rope.inverseFrequencies(64, 10000.0, null);
        for (int i = 0; i < 32; i++) assertEquals(plain[i] / 4f, lin[i]);
    }

    /** Angles are float32 products, as in transformers: position 1000 of frequency i is float(inv[i] * 1000f). */
    @Test
    void tablesUseFloat32AnglesAndDuplicateTheHalves() {
        float[] inv = Rope.inverseFrequencies(8, 10000.0, null);
        INDArray[] t = Rope.tables(inv, 1001, DataType.DOUBLE);
        for (int i = 0; i < 4; i++) {
            float angle = inv[i] * 1000f;
            assertEquals(Math.cos(angle), t[0].getDouble(1000, i), 0.0);
            assertEquals(Math.cos(angle), t[0].getDouble(1000, i + 4), 0.0);
            assertEquals(Math.sin(angle), t[1].getDouble(1000, i), 0.0);
            assertEquals(Math.sin(angle), t[1].getDouble(1000, i + 4), 0.0);
            assertEquals(1.0, t[0].getDouble(0, i), 0.0, "position 0 is the identity");
            assertEquals(0.0, t[1].getDouble(0, i), 0.0);
        }
    }

    /** Ops.rotary on [N, H*D] against the rotation written out by hand: pairs (j, j + d/2) rotate by their angle. */
    @Test
    void rotaryRotatesEachHalfPairPerHead() {
        int heads = 2, d = 6, n = 3;
        float[] inv = Rope.inverseFrequencies(d, 10000.0, null);
        int[] positions = {0, 4, 9};
        INDArray[] t = Rope.tables(inv, 10, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, n, heads * d);
        SameDiff sd = SameDiff.create();
        INDArray pos = Nd4j.createFromArray(new long[]{0, 4, 9});
        INDArray out = Ops.rotary(sd, sd.constant(x), sd.gather(sd.constant(t[0]), sd.constant(pos), 0),
                sd.gather(sd.constant(t[1]), sd.constant(pos), 0), sd.constant(Rope.rotateHalfMatrix(d, DataType.DOUBLE)),
                n, heads, d).eval();
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < heads; h++) {
                for (int j = 0; j < d / 2; j++) {
                    double a = inv[j] * (float) positions[r];
                    double x1 = x.getDouble(r, h * d + j), x2 = x.getDouble(r, h * d + j + d / 2);
                    assertEquals(x1 * Math.cos(a) - x2 * Math.sin(a), out.getDouble(r, h * d + j), 1e-14);
                    assertEquals(x2 * Math.cos(a) + x1 * Math.sin(a), out.getDouble(r, h * d + j + d / 2), 1e-14);
                }
            }
        }
    }

    /** The defining property of RoPE: q·k after rotation depends only on the distance of the two positions. */
    @Test
    void scoresDependOnRelativePositionOnly() {
        int d = 8;
        float[] inv = Rope.inverseFrequencies(d, 10000.0, null);
        INDArray[] t = Rope.tables(inv, 40, DataType.DOUBLE);
        Nd4j.getRandom().setSeed(3);
        INDArray q = Nd4j.randn(DataType.DOUBLE, 1, d), k = Nd4j.randn(DataType.DOUBLE, 1, d);
        double s1 = dot(rotate(q, t, 3, d), rotate(k, t, 1, d));
        double s2 = dot(rotate(q, t, 30, d), rotate(k, t, 28, d));
        assertEquals(s1, s2, 1e-5, "float32 angles: equal to float32 precision");
    }

    static INDArray rotate(INDArray x, INDArray[] t, int pos, int d) {
        SameDiff sd = SameDiff.create();
        INDArray p = Nd4j.createFromArray(new long[]{pos});
        return Ops.rotary(sd, sd.constant(x), sd.gather(sd.constant(t[0]), sd.constant(p), 0),
                sd.gather(sd.constant(t[1]), sd.constant(p), 0), sd.constant(Rope.rotateHalfMatrix(d, DataType.DOUBLE)),
                1, 1, d).eval();
    }

    static double dot(INDArray a, INDArray b) {
        return a.mul(b).sumNumber().doubleValue();
    }
}
