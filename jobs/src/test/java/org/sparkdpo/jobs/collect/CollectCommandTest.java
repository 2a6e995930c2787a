package org.sparkdpo.jobs.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.jobs.pipeline.TaskModels;

/** {@code collect} driven through standard input on the task's scratch model, then {@code prepare} on its output. */
class CollectCommandTest {
    @TempDir static Path tmp;
    static Path model;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void models() throws Exception {
        model = TaskModels.scratch(tmp.resolve("model"));
    }

    /** Runs the CLI with {@code keys} on standard input, expecting exit code {@code wantCode}; returns its standard output. */
    static String collect(int wantCode, String keys, String... args) {
        InputStream in = System.in;
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(keys.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            List<String> a = new ArrayList<>(List.of("collect"));
            a.addAll(List.of(args));
            assertEquals(wantCode, Main.run(a.toArray(String[]::new)));
        } finally {
            System.setIn(in);
            System.setOut(out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static List<JsonNode> lines(Path f) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(f)) if (!l.isBlank()) out.add(JSON.readTree(l));
        return out;
    }

    @Test
    void stdinKeysUndoAndRerunThenPrepareReadsTheDataset() throws Exception {
        Path prompts = Files.write(tmp.resolve("prompts.jsonl"), List.of(
                "{\"id\": \"kite\", \"prompt\": \"the kite is green . what color is the kite ?\"}",
                "{\"prompt\": \"emma lives in oslo . where does emma live ?\"}",
                "{\"prompt\": \"the cup is red . what color is the cup ?\"}",
                "{\"prompt\": \"ben lives in rome . where does ben live ?\"}"));
        Path prefs = tmp.resolve("run/prefs.jsonl");
        String[] args = {"--model", model.toString(), "--prompts", prompts.toString(), "--out", prefs.toString(),
                "--annotator", "ann", "--max-new-tokens", "8", "--temperature", "1.0", "--top-k", "20"};
        // kite: 1; prompt 1: tie; prompt 2: 2, undone, then 1; then quit before prompt 3
        String shown = collect(ExitCodes.COLLECT_STOPPED, "1\nt\n2\nu\n1\nq\n", args);
        assertTrue(shown.contains("progress 0/1 (ann)"), shown);
        assertTrue(shown.contains("undone: pair 2 (chosen_"), shown);
        List<JsonNode> journal = lines(AnnotationQueue.sibling(prefs, ".decisions"));
        assertEquals(List.of("decision", "decision", "decision", "undo", "decision"), journal.stream().map(j -> j.get("event").asText()).toList());
        assertEquals(journal.get(2).get("seq").asLong(), journal.get(3).get("undoes").asLong(), "undo removes exactly the last decision");
        List<JsonNode> answers = lines(AnnotationQueue.sibling(prefs, ".answers"));
        assertEquals(List.of("kite", "1", "2", "3"), answers.stream().map(a -> a.get("pair_id").asText()).toList(),
                "pairs are sampled as they are needed (prompt 3 was shown when q was pressed)");
        for (JsonNode a : answers) {
            assertNotEquals(a.get("answer_a").asText(), a.get("answer_b").asText());
            assertEquals(model.toString(), a.get("model").asText());
        }

        // the rerun resumes at the first unanswered prompt and samples nothing already answered again
        String again = collect(ExitCodes.OK, "b\n", args);
        assertTrue(again.contains("pair 3"), again);
        assertTrue(again.contains("nothing left to label for ann (4/4 (ann))"), again);
        assertEquals(answers, lines(AnnotationQueue.sibling(prefs, ".answers")), "nothing sampled again");

        List<JsonNode> rows = lines(prefs);
        assertEquals(List.of("kite/ann", "2/ann"), rows.stream().map(r -> r.get("id").asText()).toList());
        JsonNode kite = rows.get(0);
        String first = ShownOrder.AB.equals(kite.get("shown_order").asText()) ? answers.get(0).get("answer_a").asText()
                : answers.get(0).get("answer_b").asText();
        assertEquals(first, kite.get("chosen").asText(), "key 1 prefers the answer shown first");

        Path prepared = tmp.resolve("prepared");
        assertEquals(ExitCodes.OK, Main.run(new String[] {"prepare", "--input", prefs.toString(), "--tokenizer", model.toString(),
                "--out", prepared.toString(), "--max-length", "48"}));
        JsonNode manifest = JSON.readTree(prepared.resolve("_manifest.json").toFile());
        long chosen = lines(prefs).size();
        assertEquals(chosen, manifest.get("counts").get("kept").asLong(), manifest.toString());
        assertEquals(2, chosen);
    }

    @Test
    void pairsFileModeLabelsExistingPairs() throws Exception {
        Path pairs = tmp.resolve("pairs.jsonl");
        Files.writeString(pairs, """
                {"id": "x", "prompt": "q1", "answer_a": "<script>alert(1)</script>", "answer_b": "fine"}
                {"id": "y", "prompt": "q2", "answer_a": "a", "answer_b": "b\\u001b[31mred"}
                """);
        Path prefs = tmp.resolve("pairs-run/prefs.jsonl");
        String shown = collect(ExitCodes.OK, "?\nz\n1\n2\n", "--pairs", pairs.toString(), "--out", prefs.toString(), "--annotator", "bob");
        assertTrue(shown.contains("Pick the better answer"), shown);
        assertTrue(shown.contains("unknown key 'z'"), shown);
        assertTrue(shown.contains("<script>alert(1)</script>"), "text shown as it is");
        assertTrue(!shown.contains("\u001b"), "escape sequences are not passed to the terminal");
        assertEquals(2, lines(prefs).size());
        Map<String, String> byId = Map.of(lines(prefs).get(0).get("id").asText(), lines(prefs).get(0).get("choice").asText());
        assertTrue(byId.containsKey("x/bob"));
    }

    @Test
    void conversationsGiveTheConversationalFormAndPrepareReadsIt() throws Exception {
        Path prompts = Files.write(tmp.resolve("chat.jsonl"), List.of(
                "{\"id\": \"c1\", \"messages\": [{\"role\": \"user\", \"content\": \"the kite is green . what color is the kite ?\"}]}",
                "{\"id\": \"c2\", \"messages\": [{\"role\": \"user\", \"content\": \"emma lives in oslo . where does emma live ?\"}]}"));
        Path prefs = tmp.resolve("chat-run/prefs.jsonl");
        collect(ExitCodes.OK, "2 1", "--model", model.toString(), "--prompts", prompts.toString(), "--out", prefs.toString(),
                "--annotator", "ann", "--max-new-tokens", "6", "--temperature", "1.0");
        List<JsonNode> rows = lines(prefs);
        assertEquals(2, rows.size());
        for (JsonNode r : rows) {
            assertEquals("user", r.get("prompt").get(0).get("role").asText());
            assertEquals("assistant", r.get("chosen").get(0).get("role").asText());
            assertEquals("assistant", r.get("rejected").get(0).get("role").asText());
        }
        Path prepared = tmp.resolve("chat-prepared");
        assertEquals(ExitCodes.OK, Main.run(new String[] {"prepare", "--input", prefs.toString(), "--tokenizer", model.toString(),
                "--out", prepared.toString(), "--max-length", "48"}));
        JsonNode manifest = JSON.readTree(prepared.resolve("_manifest.json").toFile());
        assertEquals(2, manifest.get("counts").get("kept").asInt(), manifest.toString());
        assertEquals("conversational", manifest.get("format").asText(), manifest.toString());
    }

    @Test
    void badOptionsAndInputsAreNamed() throws Exception {
        Path pairs = Files.writeString(tmp.resolve("bad-pairs.jsonl"), "{\"prompt\": \"q\", \"answer_a\": \"a\", \"answer_b\": \"b\"}\n{oops\n");
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertEquals(ExitCodes.FAILURE, Main.run(new String[] {"collect", "--pairs", pairs.toString(), "--out", tmp.resolve("b/p.jsonl").toString()}));
            assertEquals(ExitCodes.USAGE, Main.run(new String[] {"collect", "--pairs", pairs.toString(), "--model", "m", "--out", "x"}));
            assertEquals(ExitCodes.USAGE, Main.run(new String[] {"collect", "--prompts", "p.jsonl", "--out", "x"}));
        } finally {
            System.setErr(err);
        }
        String e = buf.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("error: " + pairs + ":2: not a JSON object"), e);
        assertTrue(e.contains("--pairs: labels existing pairs"), e);
        assertTrue(e.contains("give --model PATH and --prompts FILE"), e);
    }
}
