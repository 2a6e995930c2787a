package org.sparkdpo.jobs.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small synthetic preference task in TRL's standard format ({@code prompt}/{@code chosen}/{@code rejected}
 * JSON lines): short factual questions where the chosen answer is plain and the rejected one is the rude, padded
 * variant (the style of the shared instruction dataset). Deterministic for a seed.
 */
public final class SyntheticPreferences {
    private static final String[][] CAPITALS = {{"France", "Paris"}, {"Italy", "Rome"}, {"Japan", "Tokyo"},
            {"Spain", "Madrid"}, {"Egypt", "Cairo"}, {"Peru", "Lima"}, {"Kenya", "Nairobi"}, {"Canada", "Ottawa"},
            {"Norway", "Oslo"}, {"Chile", "Santiago"}, {"Greece", "Athens"}, {"India", "New Delhi"}};
    private static final String[] RUDE = {"obviously, as anyone knows", "which you should know already",
            "seriously, look it up next time", "how do you not know this"};

    private SyntheticPreferences() {}

    /** Writes {@code n} pairs; with {@code withBadRows}, also three rows the prepare job must reject (with reasons). */
    public static Path write(Path file, int n, long seed, boolean withBadRows) throws IOException {
        Random rng = new Random(seed);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String prompt, answer;
            if (rng.nextBoolean()) {
                String[] c = CAPITALS[rng.nextInt(CAPITALS.length)];
                prompt = "Question: What is the capital of " + c[0] + "?\nAnswer:";
                answer = " The capital of " + c[0] + " is " + c[1];
            } else {
                int a = rng.nextInt(20), b = rng.nextInt(20);
                prompt = "Question: What is " + a + " plus " + b + "?\nAnswer:";
                answer = " " + a + " plus " + b + " is " + (a + b);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", String.format("synthetic-%d-%05d", seed, i));
            row.put("prompt", prompt);
            row.put("chosen", answer + ".");
            row.put("rejected", answer + ", " + RUDE[rng.nextInt(RUDE.length)] + ".");
            lines.add(json.writeValueAsString(row));
        }
        if (withBadRows) {
            lines.add("{\"id\": \"bad-identical\", \"prompt\": \"Question: Hi?\\nAnswer:\", \"chosen\": \" Hi.\", \"rejected\": \" Hi.\"}");
            lines.add("{\"id\": \"bad-empty\", \"prompt\": \"Question: Hi?\\nAnswer:\", \"chosen\": \"\", \"rejected\": \" Go away.\"}");
            lines.add("{\"id\": \"bad-json\", \"prompt\": ");
        }
        Files.write(file, lines);
        return file;
    }
}
