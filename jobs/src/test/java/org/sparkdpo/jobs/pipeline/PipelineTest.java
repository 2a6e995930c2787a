package org.sparkdpo.jobs.pipeline;

import org.sparkdpo.model.TestWeights;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.ExitCodes;
import org.sparkdpo.jobs.cli.Main;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.arch.BaseWeights;
import org.sparkdpo.model.dpo.PreferencePair;
import org.sparkdpo.model.logprob.Completion;
import org.sparkdpo.model.logprob.CompletionScorer;
import org.sparkdpo.model.lora.LoraAdapter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole pipeline as a user runs it, through the command line: prepare, precompute-ref, train (2 workers), eval;
 * on the tiny GPT-2 with text data (the demo) and on a tiny Llama with pre-tokenized data, through one model
 * interface and the same jobs.
 */
class PipelineTest {
    static SparkSession spark;

    @BeforeAll
    static void session() {
        spark = SparkSessions.forTests();
    }

    /** A tiny Llama (the Llama oracle's weights, GQA and llama3 rope) with a word-level tokenizer of its 320 ids. */
    static Path tinyLlama(Path dir) throws Exception {
        Path src = TestFixtures.repoRoot().resolve("model/src/test/resources/oracle-llama/llama");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(src.resolve(f), dir.resolve(f));
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < 320; i++) vocab.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                + "\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab + "},\"unk_token\":\"w0\"}}");
        return dir;
    }

    @Test
    void llamaRunsThroughPrecomputeTrainAndEval(@TempDir Path tmp) throws Exception {
        Path model = tinyLlama(tmp.resolve("llama"));
        Random rng = new Random(5);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            int[] prompt = rng.ints(3 + rng.nextInt(6), 10, 300).toArray();
            int[] chosen = rng.ints(2 + rng.nextInt(3), 300, 310).toArray();     // learnable: ids 300..309 preferred
            int[] rejected = rng.ints(2 + rng.nextInt(3), 310, 320).toArray();
            lines.add(String.format("{\"id\": \"L%02d\", \"prompt_ids\": %s, \"chosen_ids\": %s, \"rejected_ids\": %s}", i,
                    java.util.Arrays.toString(prompt), java.util.Arrays.toString(chosen), java.util.Arrays.toString(rejected)));
        }
        Path jsonl = Files.write(tmp.resolve("pairs.jsonl"), lines);
        String m = model.toString();
        assertEquals(ExitCodes.OK, Main.run(new String[]{"prepare", "--input", jsonl.toString(), "--tokenizer", m,
                "--out", tmp.resolve("prepared").toString(), "--shards", "2"}));
        assertEquals(ExitCodes.OK, Main.run(new String[]{"precompute-ref", "--data", tmp.resolve("prepared").toString(),
                "--model", m, "--out", tmp.resolve("ref").toString()}));

        // reference values equal the model module's one-at-a-time scores
        BaseWeights base = TestWeights.get(model, DataType.FLOAT);
        CompletionScorer scorer = new CompletionScorer(base, null);
        List<org.apache.spark.sql.Row> rows = spark.read().parquet(refShards(tmp.resolve("ref")))
                .select("id", "prompt_ids", "chosen_ids", "ref_chosen_logps").collectAsList();
        assertEquals(48, rows.size());
        for (org.apache.spark.sql.Row row : rows) {
            double want = scorer.score(List.of(new Completion(ints(row.getList(1)), ints(row.getList(2))))).sums()[0];
            assertEquals(want, row.getDouble(3), 1e-4, "row " + row.getString(0));
        }

        Path out = tmp.resolve("run");
        assertEquals(ExitCodes.OK, Main.run(new String[]{"train", "--data", tmp.resolve("ref").toString(), "--model", m,
                "--out", out.toString(), "--workers", "2", "--batch-size", "4", "--max-steps", "10", "--lr", "1e-2",
                "--lora-r", "4", "--lora-targets", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
                "--log-every", "1", "--lr-scheduler", "constant"}));
        List<Map<String, Object>> metrics = org.sparkdpo.jobs.train.MetricsLog.read(out.resolve("metrics.jsonl"));
        double first = ((Number) metrics.get(0).get("loss")).doubleValue();
        double last = ((Number) metrics.get(metrics.size() - 1).get("loss")).doubleValue();
        assertTrue(last < first, "loss falls on the Llama: " + first + " -> " + last);
        LoraAdapter adapter = LoraAdapter.load(out.resolve("adapter"), base.model(), DataType.FLOAT);
        assertEquals(2 * 7, adapter.pairs().size(), "7 projections in each of 2 layers");
        assertTrue(Files.readString(out.resolve("adapter/adapter_config.json")).contains("\"fan_in_fan_out\": false"));

        assertEquals(ExitCodes.OK, Main.run(new String[]{"eval", "--data", tmp.resolve("ref").toString(), "--model", m,
                "--adapter", out.resolve("adapter").toString(), "--out", tmp.resolve("eval").toString()}));
        JsonNode summary = new ObjectMapper().readTree(tmp.resolve("eval/summary.json").toFile());
        assertEquals(48, summary.get("eval_pairs").asInt());
        assertTrue(summary.get("eval_rewards/margins").asDouble() > 0, summary.toString());
    }

    static String[] refShards(Path ref) throws Exception {
        try (Stream<Path> s = Files.list(ref)) {
            return s.filter(p -> p.toString().endsWith(".parquet")).map(Path::toString).sorted().toArray(String[]::new);
        }
    }

    static int[] ints(List<Object> l) {
        return l.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }
}
