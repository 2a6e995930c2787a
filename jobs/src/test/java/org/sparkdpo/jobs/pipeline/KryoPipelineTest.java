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
import org.sparkdpo.jobs.cli.DemoCommand;
import org.sparkdpo.jobs.demo.DemoJob;
import org.sparkdpo.model.TestFixtures;

/**
 * Every job under {@code spark.serializer=KryoSerializer}, as many clusters set it: the demo pipeline (prepare,
 * precompute-ref, eval, train with 2 workers, eval) in a Kryo session of its own ({@link PipelineTest} runs the same
 * jobs under Spark's default Java serializer). The model is given as a path relative to the working directory, as a
 * user types it: every job must hand its tasks the qualified path, and records it so.
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

        Path model = TestFixtures.tinyGpt2().toAbsolutePath().normalize();
        String relative = Path.of("").toAbsolutePath().relativize(model).toString();
        assertTrue(!relative.startsWith("/"), relative);
        DemoJob.Result r = DemoCommand.run(spark, tmp.resolve("demo"), relative, 32, 4, 2, 5e-3, System.err);

        assertEquals(35, r.prepared().counts().read(), "32 pairs and 3 bad rows read");
        assertEquals(Math.log(2), r.before().get("eval_loss"), 1e-3, "the base model is its own reference");
        assertTrue(r.after().get("eval_loss") < r.before().get("eval_loss"), r.before() + " -> " + r.after());

        ObjectMapper json = new ObjectMapper();
        String qualified = "file:" + model;
        JsonNode train = json.readTree(tmp.resolve("demo/dpo/summary.json").toFile());
        assertEquals(qualified, train.get("model").asText(), "train records (and ships) the qualified model path");
        assertEquals(4, train.get("steps").asInt());
        JsonNode eval = json.readTree(tmp.resolve("demo/eval-after/summary.json").toFile());
        assertEquals(qualified, eval.get("model").asText());
        JsonNode ref = json.readTree(tmp.resolve("demo/ref/train/_manifest.json").toFile());
        assertEquals(qualified, ref.get("model_dir").asText(), "precompute-ref's tasks got the qualified path");
        JsonNode prepared = json.readTree(tmp.resolve("demo/prepared/train/_manifest.json").toFile());
        assertEquals(qualified, prepared.get("tokenizer").get("path").asText());

        // both outputs are Spark datasets of exactly their rows
        long kept = r.prepared().counts().kept();
        assertEquals(kept, spark.read().parquet(tmp.resolve("demo/prepared/train").toString()).count());
        assertEquals(kept, spark.read().parquet(tmp.resolve("demo/ref/train").toString()).count());
    }
}
