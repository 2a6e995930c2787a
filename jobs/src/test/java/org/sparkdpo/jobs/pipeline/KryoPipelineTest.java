package org.sparkdpo.jobs.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.KryoRegistration;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.jobs.cli.PipelineCommand;

/**
 * Every job under {@code spark.serializer=KryoSerializer}, as many clusters set it: the pipeline at reduced size
 * (prepare of SFT and preference data, sft, precompute-ref, train with 2 workers, eval, compare) in a Kryo session of
 * its own ({@link PipelineCommandTest} runs the same jobs under Spark's default Java serializer). The output folder,
 * and so every model path, is relative to the working directory, as a user types it: every job must hand its tasks
 * the qualified path, and records it so.
 */
class KryoPipelineTest {
    static SparkSession spark;

    @BeforeAll
    static void kryoSession() {
        SparkSessions.stop();     // a session's serializer is fixed when it starts
        SparkConf conf = new SparkConf().set("spark.master", "local[2]").set("spark.sql.session.timeZone", "UTC")
                .set("spark.serializer", SparkSessions.KRYO);
        spark = SparkSession.builder().config(SparkSessions.configure(conf, "spark-dpo-kryo-tests")).getOrCreate();
    }

    @AfterAll
    static void stop() {
        SparkSessions.stop();     // later test classes get the shared default session again
    }

    @Test
    void everyJobRunsUnderKryoWithARelativeModelPath(@TempDir Path tmp) throws Exception {
        SparkConf conf = spark.sparkContext().getConf();
        assertEquals(SparkSessions.KRYO, conf.get("spark.serializer"));
        assertEquals(KryoRegistration.class.getName() + "," + KryoRegistration.ND4J_REGISTRATOR, conf.get("spark.kryo.registrator"));

        Path out = tmp.resolve("run").toAbsolutePath().normalize();
        Path relative = Path.of("").toAbsolutePath().relativize(out);
        assertTrue(!relative.toString().startsWith("/"), relative.toString());
        PipelineJob.Result r = PipelineCommand.run(spark, relative, System.err, "--pairs-per-question", 1, "--max-steps", 4,
                "--max-new-tokens", 8, "--heldout-fraction", 0.1, "--sft-steps", 3);
        assertTrue(Double.isFinite(((Number) r.summary().get("heldout_reward_accuracy")).doubleValue()), r.summary().toString());

        ObjectMapper json = new ObjectMapper();
        String qualified = "file:" + out.resolve("sft/model");
        JsonNode train = json.readTree(out.resolve("dpo/summary.json").toFile());
        assertEquals(qualified, train.get("model").asText(), "train records (and ships) the qualified model path");
        assertEquals(4, train.get("steps").asInt());
        JsonNode eval = json.readTree(out.resolve("eval-heldout/summary.json").toFile());
        assertEquals(qualified, eval.get("model").asText());
        JsonNode ref = json.readTree(out.resolve("ref/train/_manifest.json").toFile());
        assertEquals(qualified, ref.get("model_dir").asText(), "precompute-ref's tasks got the qualified path");
        JsonNode prepared = json.readTree(out.resolve("prepared/train/_manifest.json").toFile());
        assertEquals(qualified, prepared.get("tokenizer").get("path").asText());
        JsonNode sftData = json.readTree(out.resolve("sft/data/_manifest.json").toFile());
        assertEquals("file:" + out.resolve("model"), sftData.get("tokenizer").get("path").asText());

        // prepared, reference-scored and SFT outputs are Spark datasets of exactly their rows
        long kept = prepared.at("/counts/kept").asLong();
        assertEquals(kept, spark.read().parquet(out.resolve("prepared/train").toString()).count());
        assertEquals(kept, spark.read().parquet(out.resolve("ref/train").toString()).count());
        assertEquals(sftData.at("/counts/kept").asLong(), spark.read().parquet(out.resolve("sft/data").toString()).count());
    }
}
