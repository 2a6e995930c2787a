package org.sparkdpo.jobs.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.sparkdpo.data.PairColumns;
import org.sparkdpo.jobs.sft.SftSettings;
import org.sparkdpo.jobs.sft.SftTrainer;
import org.sparkdpo.model.tokenizer.HfTokenizer;
import org.sparkdpo.prep.pair.PairEncoder;

/**
 * The pipeline's SFT stage: tokenizes the task's {@code prompt}/{@code completion} rows as training sees them
 * (prompt without specials, completion with EOS: {@link PairEncoder}) into {@code settings.data()}, then runs
 * full-parameter {@code sft} with {@code settings}, whose output folder holds the fine-tuned model ({@code model/}).
 * The task is a few hundred rows, so tokenizing on the driver is simplest.
 */
public final class SftTaskStage implements PipelineJob.SftStage {
    private static final StructType TOKENS = new StructType()
            .add(PairColumns.ID, DataTypes.StringType)
            .add(PairColumns.PROMPT_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false))
            .add(PairColumns.COMPLETION_IDS, DataTypes.createArrayType(DataTypes.IntegerType, false));

    private final SftSettings settings;

    /** @param settings the sft run; its {@code data} is where the tokenized rows go, its {@code out} holds {@code model/} */
    public SftTaskStage(SftSettings settings) {
        this.settings = settings;
    }

    @Override
    public Path run(SparkSession spark, Path model, Path sftData, Path outModel, PrintStream log) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (HfTokenizer tok = HfTokenizer.load(model)) {
            PairEncoder enc = new PairEncoder(tok);
            for (Row r : spark.read().parquet(sftData.toString()).select("id", "prompt", "completion").collectAsList()) {
                rows.add(RowFactory.create(r.getString(0), boxed(enc.encodePrompt(r.getString(1))),
                        boxed(enc.encodeCompletion(r.getString(2)))));
            }
        }
        spark.createDataFrame(rows, TOKENS).coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(settings.data());
        log.printf("[pipeline] sft: %d examples tokenized -> %s%n", rows.size(), settings.data());
        SftTrainer.train(spark, settings);
        return outModel;
    }

    private static List<Integer> boxed(int[] ids) {
        List<Integer> l = new ArrayList<>(ids.length);
        for (int i : ids) l.add(i);
        return l;
    }
}
