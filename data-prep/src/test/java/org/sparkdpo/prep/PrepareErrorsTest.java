package org.sparkdpo.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sparkdpo.prep.PrepFixtures.msg;
import static org.sparkdpo.prep.PrepFixtures.rec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkdpo.common.spark.SparkSessions;
import org.sparkdpo.prep.pair.InputFormat;

/** Problems with inputs end in one PrepareException line that names what is wrong, and never leave an output. */
class PrepareErrorsTest {
    static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSessions.forTests();
    }

    /** Runs, expects a PrepareException containing every fragment, checks that nothing was left in {@code dir}. */
    static String fails(Path dir, PrepareSettings o, String... fragments) throws Exception {
        List<String> before = names(dir);
        PrepareException e = assertThrows(PrepareException.class, () -> PrepareJob.run(spark, o, PrepareProgress.silent()));
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertEquals(before, names(dir), "nothing left behind");
        return e.getMessage();
    }

    static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static PrepareSettingsBuilder opts(Path in, Path dir) {
        return PrepareSettingsBuilder.of(List.of(in.toString()), PrepFixtures.gpt2().toString(), dir.resolve("out").toString());
    }

    @Test
    void unknownColumnsListWhatWasFoundAndWhatIsExpected(@TempDir Path dir) throws Exception {
        Path in = PrepFixtures.jsonl(dir.resolve("q.jsonl"), List.of(rec("question", "Q", "good", " a", "bad", " b")));
        fails(dir, opts(in, dir).build(), "columns found", "question", "good", "bad", "standard (prompt, chosen, rejected",
                "pretokenized", "--column-map");
        fails(dir, opts(in, dir).withFormat(InputFormat.STANDARD).build(), "format standard needs column(s) prompt, chosen, rejected");
    }

    @Test
    void missingAndEmptyInputs(@TempDir Path dir) throws Exception {
        fails(dir, opts(dir.resolve("nope.jsonl"), dir).build(), "input path does not exist", "nope.jsonl");
        Path empty = Files.createFile(dir.resolve("empty.jsonl"));
        fails(dir, opts(empty, dir).build(), "empty input");
        Files.createDirectories(dir.resolve("folder/_SUCCESS_dir"));
        fails(dir, opts(dir.resolve("folder"), dir).build(), "no data files", "folder");
        fails(dir, PrepareSettingsBuilder.of(List.of(empty.toString()), dir.resolve("no-tokenizer").toString(),
                dir.resolve("out").toString()).build(), "tokenizer", "no-tokenizer");
    }

    @Test
    void corruptParquetIsNamed(@TempDir Path dir) throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.parquet"), "this is not parquet at all");
        fails(dir, opts(garbage, dir).build(), "corrupt Parquet file", "garbage.parquet");

        StructType schema = new StructType().add("prompt", DataTypes.StringType).add("chosen", DataTypes.StringType)
                .add("rejected", DataTypes.StringType);
        spark.createDataFrame(List.<Row>of(RowFactory.create("p", " a", " b")), schema).coalesce(1)
                .write().parquet(dir.resolve("good").toString());
        Path file;
        try (var s = Files.list(dir.resolve("good"))) {
            file = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(file);
        Path cut = Files.createDirectories(dir.resolve("cut"));
        Files.write(cut.resolve("half.parquet"), Arrays.copyOf(bytes, bytes.length / 2));
        fails(dir, opts(cut, dir).build(), "corrupt Parquet file", "half.parquet");
    }

    @Test
    void aBrokenJsonArrayNamesFileAndLine(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("data.json"), "[\n  {\"prompt\": \"p\", \"chosen\": \" a\", \"rejected\": \" b\"},\n"
                + "  {\"prompt\": \"p\", \"chosen\": oops}\n]\n", StandardCharsets.UTF_8);
        fails(dir, opts(in, dir).build(), "data.json", "line 3");
    }

    @Test
    void settingsThatCannotWork(@TempDir Path dir) throws Exception {
        Path chat = PrepFixtures.jsonl(dir.resolve("chat.jsonl"), List.of(rec("prompt", List.of(msg("user", "q")),
                "chosen", List.of(msg("assistant", "a")), "rejected", List.of(msg("assistant", "b")))));
        fails(dir, opts(chat, dir).build(), "conversational needs a chat template");
        Path text = PrepFixtures.jsonl(dir.resolve("text.jsonl"), List.of(rec("prompt", "p", "chosen", " a", "rejected", " b")));
        fails(dir, PrepareSettingsBuilder.of(List.of(text.toString()), null, dir.resolve("out").toString()).build(), "needs --tokenizer");
        Path clash = PrepFixtures.jsonl(dir.resolve("clash.jsonl"), List.of(rec("prompt", "p", "chosen", " a", "rejected", " b",
                "prompt_len", 3)));
        fails(dir, opts(clash, dir).build(), "prompt_len", "names of output columns");
    }

    @Test
    void nothingUsableNamesTheFirstBadRow(@TempDir Path dir) throws Exception {
        Path in = PrepFixtures.jsonl(dir.resolve("same.jsonl"), List.of(rec("prompt", "p", "chosen", " a", "rejected", " a"),
                rec("prompt", "p", "chosen", " b", "rejected", " b")));
        fails(dir, opts(in, dir).build(), "no usable rows", "chosen_equals_rejected 2", "same.jsonl line 1");
    }
}
