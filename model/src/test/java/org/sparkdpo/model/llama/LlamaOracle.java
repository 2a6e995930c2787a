package org.sparkdpo.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.sparkdpo.model.OracleCases;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.logprob.Completion;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One of the Llama-family golden sets written by {@code dev-tools/golden/llama_reference.py}
 * ({@code oracle-llama/{llama,mistral,qwen2}}): checkpoint folder, adapter, cases.json.
 */
record LlamaOracle(String name, Path dir, JsonNode json) {
    static final List<String> NAMES = List.of("llama", "mistral", "qwen2");
    private static final Map<String, LlamaOracle> CACHE = new ConcurrentHashMap<>();

    static LlamaOracle of(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            Path dir = TestFixtures.repoRoot().resolve("model/src/test/resources/oracle-llama").resolve(n);
            try {
                return new LlamaOracle(n, dir, new ObjectMapper().readTree(dir.resolve("cases.json").toFile()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    Path adapterDir() {
        return dir.resolve("adapter");
    }

    JsonNode examples() {
        return json.get("examples");
    }

    /** Chosen then rejected of every example, in oracle order. */
    List<Completion> completions() {
        List<Completion> out = new ArrayList<>();
        for (JsonNode e : examples()) {
            int[] prompt = OracleCases.ints(e.get("prompt_ids"));
            out.add(new Completion(prompt, OracleCases.ints(e.get("chosen_ids"))));
            out.add(new Completion(prompt, OracleCases.ints(e.get("rejected_ids"))));
        }
        return out;
    }

    /** Expected records ("reference" or "policy"), chosen then rejected per example. */
    List<JsonNode> expected(String which) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : examples()) {
            out.add(e.get(which).get("chosen"));
            out.add(e.get(which).get("rejected"));
        }
        return out;
    }

    /** The examples as pairs with the oracle's reference log-prob sums. */
    List<PreferencePair> pairs() {
        List<PreferencePair> out = new ArrayList<>();
        for (JsonNode e : examples()) {
            out.add(new PreferencePair(e.get("name").asText(), OracleCases.ints(e.get("prompt_ids")),
                    OracleCases.ints(e.get("chosen_ids")), OracleCases.ints(e.get("rejected_ids")),
                    e.at("/reference/chosen/logp_sum").asDouble(), e.at("/reference/rejected/logp_sum").asDouble()));
        }
        return out;
    }

    @Override
    public String toString() {
        return name;
    }
}
