package org.sparkdpo.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.sparkdpo.model.dpo.PreferencePair;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The GPT-2 oracle's cases.json, read for tests. */
public final class OracleCases {
    private static JsonNode cached;

    private OracleCases() {}

    public static synchronized JsonNode json() {
        if (cached == null) {
            try {
                cached = new ObjectMapper().readTree(TestFixtures.tinyGpt2().resolve("cases.json").toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return cached;
    }

    public static JsonNode examples() {
        return json().get("examples");
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    public static double[] doubles(JsonNode arr) {
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asDouble();
        return out;
    }

    /** The six examples as pairs with the oracle's reference log-prob sums. */
    public static List<PreferencePair> pairs() {
        return pairs(json());
    }

    /** cases.json of any oracle folder (GPT-2 or oracle-llama/*). */
    public static JsonNode read(java.nio.file.Path modelDir) {
        try {
            return new ObjectMapper().readTree(modelDir.resolve("cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The examples of a cases.json as pairs with its reference log-prob sums. */
    public static List<PreferencePair> pairs(JsonNode cases) {
        List<PreferencePair> out = new ArrayList<>();
        for (JsonNode e : cases.get("examples")) {
            out.add(new PreferencePair(e.get("name").asText(), ints(e.get("prompt_ids")), ints(e.get("chosen_ids")),
                    ints(e.get("rejected_ids")), e.at("/reference/chosen/logp_sum").asDouble(),
                    e.at("/reference/rejected/logp_sum").asDouble()));
        }
        return out;
    }

    /**
     * Checks a gradient tensor against its golden value: same shape, norm within 1e-6 relative of both the golden
     * tensor's and the recorded norm, and every entry within 1e-6 relative (floored at 1e-3 of the tensor's largest
     * entry, so near-zero entries are compared at the tensor's precision). Returns the norm.
     */
    public static double assertGradient(String key, org.nd4j.linalg.api.ndarray.INDArray want,
                                        org.nd4j.linalg.api.ndarray.INDArray got, double recordedNorm) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(want.shape(), got.shape(), key + " shape");
        double wantNorm = want.norm2Number().doubleValue();
        double gotNorm = got.norm2Number().doubleValue();
        org.junit.jupiter.api.Assertions.assertTrue(wantNorm > 0, key + " has a non-zero golden gradient");
        org.junit.jupiter.api.Assertions.assertTrue(closeRel(gotNorm, wantNorm, 1e-6), key + " norm " + gotNorm + " vs " + wantNorm);
        org.junit.jupiter.api.Assertions.assertTrue(closeRel(gotNorm, recordedNorm, 1e-6), key + " recorded norm");
        double[] wv = want.reshape(-1).toDoubleVector();
        double[] gv = got.reshape(-1).toDoubleVector();
        double maxAbs = java.util.Arrays.stream(wv).map(Math::abs).max().orElse(0);
        for (int i = 0; i < wv.length; i++) {
            org.junit.jupiter.api.Assertions.assertEquals(wv[i], gv[i], 1e-6 * Math.max(Math.abs(wv[i]), 1e-3 * maxAbs), key + "[" + i + "]");
        }
        return gotNorm;
    }

    /** |a - b| <= rel * max(|b|, tiny): relative closeness with a floor so exact zeros compare sanely. */
    public static boolean closeRel(double a, double b, double rel) {
        return Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12);
    }
}
