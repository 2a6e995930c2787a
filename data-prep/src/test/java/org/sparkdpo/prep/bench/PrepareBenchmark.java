package org.sparkdpo.prep.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.model.TestFixtures;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.PrepareJob;
import org.sparkdpo.prep.PrepareSettings;
import org.sparkdpo.prep.PrepareSettingsBuilder;
import org.sparkdpo.prep.PrepareProgress;
import org.sparkdpo.prep.PrepareResult;
import org.sparkdpo.data.PairColumns;
import org.sparkdpo.prep.pair.PromptTemplate;

/**
 * Not a test: throughput of the prepare job in local mode on the shared 1,100-pair dataset replicated to ~100k rows
 * (each copy with its own id), next to the raw single-thread tokenizer throughput on the same texts. Run with
 * {@code submit/bench.sh prepare [--rows N] [--cores N] [--tokenizer DIR] [--data FILE]}.
 */
public final class PrepareBenchmark {
    private PrepareBenchmark() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        int rows = Integer.parseInt(a.getOrDefault("rows", "100000"));
        String cores = a.getOrDefault("cores", "*");
        Path tokDir = Path.of(a.getOrDefault("tokenizer", TestFixtures.tinyGpt2().toString()));
        Path data = a.containsKey("data") ? Path.of(a.get("data")) : TestFixtures.sharedPreferenceDataset();
        if (data == null) throw new IllegalStateException("no --data and ../shared is absent");
        Path work = Files.createTempDirectory("prepare-bench");

        ObjectMapper json = new ObjectMapper();
        JsonNode records = json.readTree(data.toFile());
        Path input = work.resolve("pairs.jsonl");
        int copies = (rows + records.size() - 1) / records.size();
        long bytes = 0;
        try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
            for (int k = 0; k < copies; k++) {
                for (int i = 0; i < records.size(); i++) {
                    ObjectNode r = ((ObjectNode) records.get(i)).deepCopy();
                    r.put("id", "c" + k + "-" + i);
                    String line = json.writeValueAsString(r);
                    w.write(line);
                    w.write('\n');
                    bytes += line.length() + 1;
                }
            }
        }
        long total = (long) copies * records.size();
        System.out.printf("input: %,d rows (%d copies of %s), %.1f MB JSON Lines%n", total, copies, data.getFileName(), bytes / 1e6);

        // Raw tokenizer, one thread, the same texts the job encodes (Alpaca prompt, chosen, rejected).
        HfTokenizer tok = HfTokenizer.load(tokDir);
        PromptTemplate alpaca = PromptTemplate.of("alpaca");
        List<String[]> texts = new ArrayList<>();
        for (JsonNode r : records) {
            String prompt = alpaca.render(f -> r.has(f) ? r.get(f).asText() : null);
            texts.add(new String[] {prompt, r.get("chosen").asText(), r.get("rejected").asText()});
        }
        for (int i = 0; i < 3000; i++) for (String s : texts.get(i % texts.size())) tok.encode(s); // warm-up
        long tokens = 0;
        long t0 = System.nanoTime();
        for (long n = 0; n < total; n++) for (String s : texts.get((int) (n % texts.size()))) tokens += tok.encode(s).length;
        double rawSec = (System.nanoTime() - t0) / 1e9;
        System.out.printf("raw tokenizer, 1 thread: %,.0f rows/s, %,.0f tokens/s (%,d tokens in %.1f s)%n",
                total / rawSec, tokens / rawSec, tokens, rawSec);

        System.setProperty("spark.master", "local[" + cores + "]");
        SparkSession spark = SparkSessions.getOrCreate("prepare-benchmark");
        int threads = spark.sparkContext().defaultParallelism();
        for (int run = 1; run <= 2; run++) {
            Path out = work.resolve("out" + run);
            long s0 = System.nanoTime();
            PrepareResult r = PrepareJob.run(spark, PrepareSettingsBuilder.of(List.of(input.toString()), tokDir.toString(), out.toString()).build(),
                    (stage, msg) -> System.out.printf("  %6.1f s  %s: %s%n", (System.nanoTime() - s0) / 1e9, stage, msg));
            double sec = (System.nanoTime() - s0) / 1e9;
            Row sums = spark.read().parquet(r.out() + "/part-*.parquet").selectExpr("sum(" + PairColumns.PROMPT_LEN + " + " + PairColumns.CHOSEN_LEN
                    + " + " + PairColumns.REJECTED_LEN + ")").first();
            long jobTokens = sums.getLong(0);
            System.out.printf("prepare job, local[%d], run %d: %,.0f rows/s, %,.0f tokens/s (%,d read, %,d kept, %d shard(s), %.1f s)%n",
                    threads, run, r.counts().read() / sec, jobTokens / sec, r.counts().read(), r.counts().kept(), r.shards().size(), sec);
        }
        spark.stop();
    }
}
