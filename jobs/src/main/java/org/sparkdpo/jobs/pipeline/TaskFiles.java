package org.sparkdpo.jobs.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes a {@link SyntheticTask} under one folder: {@code train/}, {@code heldout/} (Parquet, TRL's standard
 * preference format {@code id, prompt, chosen, rejected} plus {@code rejected_style}), {@code sft/} (Parquet,
 * {@code id, prompt, completion, style}) and {@code heldout_prompts.jsonl} (the held-out prompts for
 * {@code generate}/{@code compare}).
 */
public final class TaskFiles {
    public record Layout(Path dir) {
        public Path train() {
            return dir.resolve("train");
        }

        public Path heldout() {
            return dir.resolve("heldout");
        }

        public Path sft() {
            return dir.resolve("sft");
        }

        public Path heldoutPrompts() {
            return dir.resolve("heldout_prompts.jsonl");
        }
    }

    static final StructType PAIRS = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType)
            .add("chosen", DataTypes.StringType).add("rejected", DataTypes.StringType).add("rejected_style", DataTypes.StringType);
    static final StructType SFT = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType)
            .add("completion", DataTypes.StringType).add("style", DataTypes.StringType);

    private TaskFiles() {}

    public static Layout write(SparkSession spark, SyntheticTask.Task task, Path dir) throws IOException {
        Layout l = new Layout(dir);
        Files.createDirectories(dir);
        parquet(spark, pairRows(task.train()), PAIRS, l.train());
        parquet(spark, pairRows(task.heldout()), PAIRS, l.heldout());
        List<Row> sft = new ArrayList<>();
        for (SyntheticTask.SftRow r : task.sft()) sft.add(RowFactory.create(r.id(), r.prompt(), r.completion(), r.style()));
        parquet(spark, sft, SFT, l.sft());
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (SyntheticTask.Question q : task.heldoutQuestions()) {
            lines.add(json.writeValueAsString(java.util.Map.of("id", q.id(), "prompt", q.prompt())));
        }
        Files.write(l.heldoutPrompts(), lines);
        return l;
    }

    private static List<Row> pairRows(List<SyntheticTask.Pair> pairs) {
        List<Row> rows = new ArrayList<>();
        for (SyntheticTask.Pair p : pairs) rows.add(RowFactory.create(p.id(), p.prompt(), p.chosen(), p.rejected(), p.rejectedStyle()));
        return rows;
    }

    private static void parquet(SparkSession spark, List<Row> rows, StructType schema, Path out) {
        spark.createDataFrame(rows, schema).coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(out.toUri().toString());
    }
}
