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

    /** |a - b| <= rel * max(|b|, tiny): relative closeness with a floor so exact zeros compare sanely. */
    public static boolean closeRel(double a, double b, double rel) {
        return Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12);
    }
}
