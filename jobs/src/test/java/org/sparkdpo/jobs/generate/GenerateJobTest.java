package org.sparkdpo.jobs.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.JobFailedException;
import org.sparkdpo.common.JobRefusedException;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.jobs.pipeline.TaskModels;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.arch.ModelStore;
import org.sparkdpo.model.generate.Generation;
import org.sparkdpo.model.generate.GenerationConfig;
import org.sparkdpo.model.generate.Generator;
import org.sparkdpo.model.lora.LoraAdapter;
import org.sparkdpo.model.tokenizer.HfTokenizer;

/** {@code generate} on the synthetic task's scratch model: output format, equality with the generator, errors. */
class GenerateJobTest {
    @TempDir static Path tmp;
    static Path model, adapter;

    @BeforeAll
    static void models() throws Exception {
        model = TaskModels.scratch(tmp.resolve("model"));
        adapter = TaskModels.randomAdapter(ModelStore.load(model, DataType.FLOAT), tmp.resolve("adapter"), 3, 0.5);
    }

    static Path prompts(Path file, String... lines) throws Exception {
        return Files.write(file, List.of(lines));
    }

    @Test
    void writesOneLinePerPromptEqualToTheGeneratorsGreedyOutput() throws Exception {
        String q1 = "the kite is green . what color is the kite ?", q2 = "emma lives in oslo . where does emma live ?";
        Path in = prompts(tmp.resolve("p1.jsonl"), "{\"id\": \"a\", \"prompt\": \"" + q1 + "\"}", "",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"" + q2 + "\"}]}");
        Path out = tmp.resolve("out1/answers.jsonl");
        assertEquals(ExitCodes.OK, Main.run(new String[]{"generate", "--model", model.toString(), "--adapter", adapter.toString(),
                "--prompts", in.toString(), "--out", out.toString(), "--max-new-tokens", "12", "--batch-size", "2"}));
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(out)) lines.add(new ObjectMapper().readTree(l));
        assertEquals(2, lines.size());
        assertEquals(List.of("id", "prompt", "completion", "prompt_tokens", "completion_tokens", "finish_reason"),
                iterate(lines.get(0).fieldNames()));
        assertEquals("a", lines.get(0).get("id").asText());
        assertEquals("1", lines.get(1).get("id").asText(), "default id: the prompt's position");
        assertEquals(q1, lines.get(0).get("prompt").asText());
        assertTrue(lines.get(1).get("prompt").isArray(), "a conversation is echoed as given");

        BaseWeights base = ModelStore.load(model, DataType.FLOAT);
        try (HfTokenizer tok = HfTokenizer.load(model)) {
            List<int[]> ids = List.of(tok.encode(q1), tok.encode(q2));
            List<Generation> want = Generator.withoutCache(base, LoraAdapter.load(adapter, base.model(), DataType.FLOAT), tok)
                    .generate(ids, GenerationConfig.greedy(12, Set.of(1)));
            for (int i = 0; i < 2; i++) {
                JsonNode l = lines.get(i);
                assertEquals(want.get(i).text(), l.get("completion").asText());
                assertEquals(ids.get(i).length, l.get("prompt_tokens").asInt());
                assertEquals(want.get(i).tokenIds().length, l.get("completion_tokens").asInt());
                assertEquals(want.get(i).finishReason().label(), l.get("finish_reason").asText());
            }
        }
    }

    @Test
    void samplingIsReproducibleBySeedAndTheBaseModelDiffersFromTheAdapter() throws Exception {
        Path in = prompts(tmp.resolve("p2.jsonl"), "{\"prompt\": \"the cup is red . what color is the cup ?\"}",
                "{\"prompt\": \"ben lives in rome . where does ben live ?\"}");
        List<String> runs = new ArrayList<>();
        for (String[] extra : List.of(new String[]{"--seed", "5"}, new String[]{"--seed", "5"}, new String[]{"--seed", "6"})) {
            Path out = tmp.resolve("sample-" + runs.size() + ".jsonl");
            List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString(), "--prompts", in.toString(),
                    "--out", out.toString(), "--temperature", "1.5", "--top-k", "20", "--top-p", "0.95", "--max-new-tokens", "10"));
            args.addAll(List.of(extra));
            assertEquals(ExitCodes.OK, Main.run(args.toArray(String[]::new)));
            runs.add(Files.readString(out));
        }
        assertEquals(runs.get(0), runs.get(1), "same seed, same answers");
        assertTrue(!runs.get(0).equals(runs.get(2)), "another seed, other answers");
    }

    @Test
    void badInputIsNamedAndOutputsAreNotOverwritten() throws Exception {
        GenerationConfig g = GenerationConfig.greedy(4, Set.of());
        Path bad = prompts(tmp.resolve("bad.jsonl"), "{\"prompt\": \"hi\"}", "{\"prompt\": ");
        JobFailedException e = assertThrows(JobFailedException.class, () -> GenerateJob.run(new GenerateJob.Settings(
                model.toString(), null, bad, tmp.resolve("x.jsonl"), g, 4, DataType.FLOAT)));
        assertTrue(e.getMessage().startsWith(bad + ":2: not a JSON object"), e.getMessage());
        Path noPrompt = prompts(tmp.resolve("noprompt.jsonl"), "{\"text\": \"hi\"}");
        e = assertThrows(JobFailedException.class, () -> PromptFile.read(noPrompt));
        assertTrue(e.getMessage().contains(":1: no 'prompt'"), e.getMessage());
        Path assistantLast = prompts(tmp.resolve("assistant.jsonl"), "{\"messages\": [{\"role\": \"assistant\", \"content\": \"x\"}]}");
        e = assertThrows(JobFailedException.class, () -> PromptFile.read(assistantLast));
        assertTrue(e.getMessage().contains("must be from user or tool"), e.getMessage());
        Path dup = prompts(tmp.resolve("dup.jsonl"), "{\"id\": 1, \"prompt\": \"a\"}", "{\"id\": \"1\", \"prompt\": \"b\"}");
        e = assertThrows(JobFailedException.class, () -> PromptFile.read(dup));
        assertTrue(e.getMessage().contains(":2: id '1' is used twice"), e.getMessage());

        String longPrompt = "the cup is red ." .repeat(13);
        Path tooLong = prompts(tmp.resolve("long.jsonl"), "{\"id\": \"L\", \"prompt\": \"" + longPrompt + "\"}");
        e = assertThrows(JobFailedException.class, () -> GenerateJob.run(new GenerateJob.Settings(
                model.toString(), null, tooLong, tmp.resolve("y.jsonl"), g, 4, DataType.FLOAT)));
        assertTrue(e.getMessage().startsWith("prompt 'L': prompt 0 has 65 tokens but the model's context is 48"), e.getMessage());

        Path exists = Files.writeString(tmp.resolve("exists.jsonl"), "keep\n");
        assertThrows(JobRefusedException.class, () -> GenerateJob.run(new GenerateJob.Settings(
                model.toString(), null, tooLong, exists, g, 4, DataType.FLOAT)));
        assertEquals("keep\n", Files.readString(exists));
        assertEquals(ExitCodes.USAGE, Main.run(new String[]{"generate", "--model", model.toString(), "--prompts", "p",
                "--out", "o", "--top-p", "0"}));
    }

    @Test
    void stopIdsAreEveryEosIdOfTheModelFolderAndTokenizer() throws Exception {
        Path dir = tmp.resolve("eos-model");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            Files.copy(model.resolve(f), dir.resolve(f));
        }
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, 5, 9]}");
        try (HfTokenizer tok = HfTokenizer.load(dir)) {
            assertEquals(Set.of(1, 5, 9), Answerer.eosTokenIds(dir, tok));
        }
    }

    static List<String> iterate(java.util.Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
